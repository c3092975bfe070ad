// The process tree behind `descendant of`/`child of` (see lineage.h, docs/lineage.md).
//
// Each process keeps, besides the conditions its own start event matched, a copy of what
// its parent and its ancestors had matched when it started. So a question about a process
// whose ancestry arrived in order is answered without walking, however deep the chain, and
// an ancestor that ended and was removed still counts for its descendants. Only ancestry
// linked later (a parent whose start event came after its child's) needs the walk up the
// parent links, which is iterative and bounded by max_walk.
#include "run/lineage.h"

#include <algorithm>
#include <utility>

namespace eql {

namespace {

/// The string under `path`, or empty (entity ids and host ids are strings in Defend's
/// events; another type is taken as absent).
std::string_view text_of(const Event& event, std::string_view path) {
  Value value = event.first(path);
  return value.kind == ValueKind::String ? value.string : std::string_view{};
}

bool holds_string(const Event& event, std::string_view path, std::string_view wanted) {
  for (const Value& value : event.values(path))
    if (value.kind == ValueKind::String && value.string == wanted) return true;
  return false;
}

// What Defend writes: event.type ["start"] / ["end"] with event.action "start" / "end" on
// Windows; "fork" and "exec" on Linux and macOS; "already_running" for the processes found
// when the sensor starts.
bool is_start(const Event& event) {
  if (holds_string(event, "event.type", "start")) return true;
  std::string_view action = text_of(event, "event.action");
  return action == "start" || action == "fork" || action == "exec" || action == "already_running";
}

bool is_end(const Event& event) {
  return holds_string(event, "event.type", "end") || text_of(event, "event.action") == "end";
}

}  // namespace

ProcessTree::ProcessTree(LineageOptions options) : options_(std::move(options)) {
  options_.max_processes = std::max<std::size_t>(options_.max_processes, 1);
}

ProcessTree::~ProcessTree() = default;

ProcessTree::ConditionId ProcessTree::add_condition(Condition matches) {
  conditions_.push_back(std::move(matches));
  return static_cast<ConditionId>(conditions_.size() - 1);
}

ProcessTree::ConditionId ProcessTree::add_condition(FilterProgram inner) {
  for (std::string& path : inner.fields()) inner_fields_.push_back(std::move(path));
  EvalContext* context = &context_;
  return add_condition([inner = std::move(inner), context](const Event& event) { return inner.matches(event, *context); });
}

std::vector<std::string> ProcessTree::fields_read() const {
  if (conditions_.empty()) return {};
  std::vector<std::string> paths = inner_fields_;
  for (const char* own : {"event.type", "event.action", "host.id", "process.entity_id", "process.parent.entity_id"}) {
    paths.emplace_back(own);
  }
  paths.push_back(options_.category_field);
  return paths;
}

bool ProcessTree::has(const Bits& bits, ConditionId condition) {
  std::size_t word = condition / 64;
  return word < bits.size() && ((bits[word] >> (condition % 64)) & 1u) != 0;
}

void ProcessTree::merge(Bits& into, const Bits& from) {
  if (into.size() < from.size()) into.resize(from.size(), 0);
  for (std::size_t i = 0; i < from.size(); ++i) into[i] |= from[i];
}

void ProcessTree::observe(const Event& event) {
  if (event.timestamp && *event.timestamp > now_) now_ = *event.timestamp;
  expire();
  if (!holds_string(event, options_.category_field, "process")) return;
  std::string_view entity_id = text_of(event, "process.entity_id");
  if (entity_id.empty()) return;
  std::string_view host = text_of(event, "host.id");
  // An end event may also say `end` in event.type of a start-like action; ending wins, as
  // the process is gone either way.
  if (is_end(event)) {
    end(host, entity_id);
  } else if (is_start(event)) {
    std::string_view parent = text_of(event, "process.parent.entity_id");
    start(host, entity_id, parent == entity_id ? std::string_view{} : parent, event);
  }
}

void ProcessTree::start(std::string_view host_id, std::string_view entity_id, std::string_view parent,
                        const Event& event) {
  Bits matched;
  for (std::size_t c = 0; c < conditions_.size(); ++c) {
    if (!conditions_[c](event)) continue;
    if (matched.size() <= c / 64) matched.resize(c / 64 + 1, 0);
    matched[c / 64] |= std::uint64_t{1} << (c % 64);
  }
  if (auto host = hosts_.find(host_id); host != hosts_.end()) {
    if (auto known = host->second->processes.find(entity_id); known != host->second->processes.end()) {
      // A second start of one process (an exec on Linux, a repeated event): it has become
      // what this event says too, so it keeps both.
      ++stats_.repeated_starts;
      merge(known->second.own, matched);
      return;
    }
  }
  // What the parent knows is copied before making room: the bound may evict the parent
  // itself, and its child must still know its ancestry.
  Node node;
  node.parent = std::string(parent);
  node.own = std::move(matched);
  if (auto host = hosts_.find(host_id); host != hosts_.end() && !parent.empty()) {
    if (auto found = host->second->processes.find(parent); found != host->second->processes.end()) {
      node.parent_own = found->second.own;
      node.above = found->second.above;
      merge(node.above, found->second.own);
    }
  }
  make_room();  // before taking the host: evicting may remove an emptied host
  auto host_entry = hosts_.find(host_id);
  if (host_entry == hosts_.end()) {
    auto created = std::make_unique<Host>();
    created->id = std::string(host_id);
    host_entry = hosts_.emplace(created->id, std::move(created)).first;
  }
  Host& host = *host_entry->second;
  auto [stored, inserted] = host.processes.emplace(std::string(entity_id), std::move(node));
  (void)inserted;
  stored->second.started_entry = started_.insert(started_.end(), Order{&host, stored->first});
  stored->second.ended_entry = ended_.end();
  ++stats_.starts;
  stats_.processes += 1;
  stats_.peak = std::max(stats_.peak, stats_.processes);
}

void ProcessTree::end(std::string_view host_id, std::string_view entity_id) {
  auto host = hosts_.find(host_id);
  if (host == hosts_.end()) return;
  auto found = host->second->processes.find(entity_id);
  if (found == host->second->processes.end() || found->second.ended_at) return;
  ++stats_.ends;
  found->second.ended_at = now_;
  found->second.ended_entry = ended_.insert(ended_.end(), Order{host->second.get(), found->first});
}

void ProcessTree::remove(Host& host, std::string_view entity_id) {
  auto found = host.processes.find(entity_id);
  if (found == host.processes.end()) return;
  started_.erase(found->second.started_entry);
  if (found->second.ended_at) ended_.erase(found->second.ended_entry);
  host.processes.erase(found);
  stats_.processes -= 1;
  if (host.processes.empty()) hosts_.erase(hosts_.find(std::string_view(host.id)));
}

void ProcessTree::expire() {
  // Ends are recorded at the clock of their event, which only moves forward, so the list
  // is in end order and the oldest end is at its front.
  while (!ended_.empty()) {
    Order oldest = ended_.front();
    const Node& node = oldest.host->processes.find(oldest.entity_id)->second;
    // In unsigned arithmetic: the difference of two times far apart does not overflow.
    if (now_ <= *node.ended_at ||
        static_cast<std::uint64_t>(now_) - static_cast<std::uint64_t>(*node.ended_at) <=
            static_cast<std::uint64_t>(std::max<std::int64_t>(options_.ended_grace_ns, 0)))
      break;
    remove(*oldest.host, oldest.entity_id);
    ++stats_.expired;
  }
}

void ProcessTree::make_room() {
  while (stats_.processes >= options_.max_processes) {
    Order victim = ended_.empty() ? started_.front() : ended_.front();
    remove(*victim.host, victim.entity_id);
    ++stats_.evicted;
  }
}

const ProcessTree::Node* ProcessTree::find(std::string_view host_id, std::string_view entity_id) const {
  auto host = hosts_.find(host_id);
  if (host == hosts_.end()) return nullptr;
  auto found = host->second->processes.find(entity_id);
  return found == host->second->processes.end() ? nullptr : &found->second;
}

bool ProcessTree::ancestor_matched(const Host& host, const Node& start, ConditionId condition) const {
  if (has(start.above, condition)) return true;
  const Node* current = &start;
  for (std::size_t steps = 0;; ++steps) {
    if (current->parent.empty()) return false;
    auto parent = host.processes.find(current->parent);
    if (parent == host.processes.end()) return false;
    if (steps == options_.max_walk) {
      ++stats_.walks_cut;
      return false;
    }
    current = &parent->second;
    if (has(current->own, condition) || has(current->above, condition)) return true;
  }
}

bool ProcessTree::is_descendant_of(std::string_view host_id, std::string_view entity_id,
                                   ConditionId condition) const {
  auto host = hosts_.find(host_id);
  if (host == hosts_.end()) return false;
  auto found = host->second->processes.find(entity_id);
  return found != host->second->processes.end() && ancestor_matched(*host->second, found->second, condition);
}

bool ProcessTree::is_child_of(std::string_view host_id, std::string_view entity_id, ConditionId condition) const {
  const Node* node = find(host_id, entity_id);
  if (node == nullptr) return false;
  if (has(node->parent_own, condition)) return true;
  const Node* parent = node->parent.empty() ? nullptr : find(host_id, node->parent);
  return parent != nullptr && has(parent->own, condition);
}

bool ProcessTree::is_event_of(std::string_view host_id, std::string_view entity_id, ConditionId condition) const {
  const Node* node = find(host_id, entity_id);
  return node != nullptr && has(node->own, condition);
}

bool ProcessTree::related(const Event& event, Relation relation, std::uint32_t condition) const {
  switch (relation) {
    case Relation::Descendant: return event_is_descendant_of(event, condition);
    case Relation::Child: return event_is_child_of(event, condition);
    case Relation::Event: return is_event_of(text_of(event, "host.id"), text_of(event, "process.entity_id"), condition);
  }
  return false;
}

bool ProcessTree::parent_or_above_matched(std::string_view host_id, std::string_view parent,
                                          ConditionId condition) const {
  auto host = hosts_.find(host_id);
  if (host == hosts_.end()) return false;
  auto found = host->second->processes.find(parent);
  if (found == host->second->processes.end()) return false;
  return has(found->second.own, condition) || ancestor_matched(*host->second, found->second, condition);
}

bool ProcessTree::event_is_descendant_of(const Event& event, ConditionId condition) const {
  std::string_view host = text_of(event, "host.id");
  std::string_view entity_id = text_of(event, "process.entity_id");
  if (!entity_id.empty() && find(host, entity_id) != nullptr) return is_descendant_of(host, entity_id, condition);
  std::string_view parent = text_of(event, "process.parent.entity_id");
  if (parent.empty() || parent == entity_id) return false;
  return parent_or_above_matched(host, parent, condition);
}

bool ProcessTree::event_is_child_of(const Event& event, ConditionId condition) const {
  std::string_view host = text_of(event, "host.id");
  std::string_view entity_id = text_of(event, "process.entity_id");
  if (!entity_id.empty() && find(host, entity_id) != nullptr) return is_child_of(host, entity_id, condition);
  std::string_view parent = text_of(event, "process.parent.entity_id");
  if (parent.empty() || parent == entity_id) return false;
  const Node* node = find(host, parent);
  return node != nullptr && has(node->own, condition);
}

}  // namespace eql
