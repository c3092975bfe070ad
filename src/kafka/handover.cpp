#include "kafka/handover.h"

#include <algorithm>
#include <charconv>

namespace eql::kafka {

namespace {

// The integer after `"name":` in `text`, when there is one.
std::optional<std::int64_t> field(std::string_view text, std::string_view name) {
  std::string key = "\"" + std::string(name) + "\":";
  std::size_t at = text.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  const char* begin = text.data() + at + key.size();
  const char* end = text.data() + text.size();
  std::int64_t value = 0;
  auto [stop, error] = std::from_chars(begin, end, value);
  if (error != std::errc() || stop == begin || (stop != end && *stop != ',' && *stop != '}')) return std::nullopt;
  return value;
}

}  // namespace

std::string format_commit_metadata(const CommitMark& mark) {
  return "{\"v\":1,\"alerts_partition\":" + std::to_string(mark.alerts_partition) +
         ",\"alerts_high\":" + std::to_string(mark.alerts_high) + "}";
}

std::optional<CommitMark> parse_commit_metadata(std::string_view text) {
  if (text.empty() || text.front() != '{' || text.back() != '}') return std::nullopt;
  std::optional<std::int64_t> version = field(text, "v");
  std::optional<std::int64_t> partition = field(text, "alerts_partition");
  std::optional<std::int64_t> high = field(text, "alerts_high");
  if (version != 1 || !partition || !high || *partition < -1 || *partition > INT32_MAX || *high < -1) {
    return std::nullopt;
  }
  return CommitMark{static_cast<std::int32_t>(*partition), *high};
}

std::int64_t handover_budget_ms(const RebalanceTiming& timing, std::int64_t stalled_ms, std::int64_t cap_ms) {
  const std::int64_t window = timing.session_timeout_ms > 1'000 ? timing.session_timeout_ms - 1'000
                                                                 : timing.session_timeout_ms;
  // A fifth of the window for the commit, the rejoin and a loaded machine's scheduling.
  const std::int64_t left = window - window / 5 - timing.heartbeat_interval_ms - std::max<std::int64_t>(stalled_ms, 0);
  return std::min(left, cap_ms);
}

void Handover::take(std::int32_t partition, std::int64_t committed_next, std::int64_t read_end,
                    const std::vector<WrittenAlert>& written) {
  State& state = partitions_[partition];
  state = State{};
  state.read_end = read_end;
  for (const WrittenAlert& alert : written) {
    if (alert.source_offset < committed_next) continue;  // before the restart point: never made again
    state.written.emplace(std::make_pair(alert.source_offset, alert.id), alert.alerts_offset);
  }
}

void Handover::drop(std::int32_t partition) { partitions_.erase(partition); }

bool Handover::suppress(std::int32_t partition, std::int64_t offset, const std::string& id) {
  auto state = partitions_.find(partition);
  if (state == partitions_.end() || state->second.written.empty()) return false;
  auto found = state->second.written.find(std::make_pair(offset, id));
  if (found == state->second.written.end()) return false;
  state->second.written.erase(found);
  ++suppressed_;
  return true;
}

std::int64_t Handover::mark(std::int32_t partition, std::int64_t next_offset, std::int64_t own_high) {
  auto state = partitions_.find(partition);
  if (state == partitions_.end()) return own_high;
  auto& written = state->second.written;
  written.erase(written.begin(), written.lower_bound(std::make_pair(next_offset, std::string())));
  if (!written.empty()) {
    // Alerts of events not yet re-processed remain: the next owner must read from the
    // first of them (this worker's own alerts of the partition come after the read end).
    std::int64_t first = written.begin()->second;
    for (const auto& [key, alerts_offset] : written) first = std::min(first, alerts_offset);
    return first - 1;
  }
  // Everything found was re-processed: every alert of this partition up to the read end,
  // or acknowledged to this worker, is of an event before next_offset.
  return std::max(own_high, state->second.read_end - 1);
}

std::size_t Handover::pending() const {
  std::size_t count = 0;
  for (const auto& [partition, state] : partitions_) count += state.written.size();
  return count;
}

std::uint32_t Acknowledgements::sent(std::int32_t partition, std::int64_t offset) {
  Progress& progress = partitions_[partition];
  ++progress.on_their_way[offset];
  return progress.epoch;
}

void Acknowledgements::settled(std::int32_t partition, std::uint32_t epoch, std::int64_t offset,
                               std::int64_t alerts_offset) {
  auto found = partitions_.find(partition);
  if (found == partitions_.end() || found->second.epoch != epoch) return;  // forgotten since
  Progress& progress = found->second;
  auto waiting = progress.on_their_way.find(offset);
  if (waiting == progress.on_their_way.end()) return;
  if (--waiting->second == 0) progress.on_their_way.erase(waiting);
  if (alerts_offset >= 0) {
    std::int64_t& high = progress.alerts_landed.try_emplace(offset, -1).first->second;
    high = std::max(high, alerts_offset);
  }
}

std::int64_t Acknowledgements::acknowledged_until(std::int32_t partition, std::int64_t next_offset) const {
  auto found = partitions_.find(partition);
  if (found == partitions_.end() || found->second.on_their_way.empty()) return next_offset;
  return std::min(next_offset, found->second.on_their_way.begin()->first);
}

std::int64_t Acknowledgements::alerts_high(std::int32_t partition, std::int64_t before) const {
  auto found = partitions_.find(partition);
  if (found == partitions_.end()) return -1;
  std::int64_t high = found->second.alerts_high_committed;
  const auto& landed = found->second.alerts_landed;
  for (auto it = landed.begin(); it != landed.end() && it->first < before; ++it) high = std::max(high, it->second);
  return high;
}

void Acknowledgements::committed(std::int32_t partition, std::int64_t next_offset) {
  auto found = partitions_.find(partition);
  if (found == partitions_.end()) return;
  Progress& progress = found->second;
  progress.alerts_high_committed = alerts_high(partition, next_offset);
  progress.alerts_landed.erase(progress.alerts_landed.begin(), progress.alerts_landed.lower_bound(next_offset));
}

void Acknowledgements::forget(std::int32_t partition) {
  Progress& progress = partitions_[partition];
  progress = Progress{progress.epoch + 1, {}, {}, -1};
}

}  // namespace eql::kafka
