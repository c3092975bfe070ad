// Event storage and the JSON -> Event flattening (one SAX pass, no recursion, so deeply
// nested documents cannot overflow the stack).
#include "eql/event.h"

#include <algorithm>
#include <limits>

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

namespace eql {

// ---- Event --------------------------------------------------------------------------------

Event::Event(const Event& other)
    : timestamp(other.timestamp),
      tiebreaker(other.tiebreaker),
      ordinal(other.ordinal),
      storage_(other.storage_),
      entries_(other.entries_),
      values_(other.values_),
      json_(other.json_) {
  rebase(other.storage_.data());
}

Event& Event::operator=(const Event& other) {
  if (this != &other) {
    Event copy(other);
    *this = std::move(copy);
  }
  return *this;
}

void Event::rebase(const char* old_base) {
  const char* old_end = old_base + storage_.size();
  auto move_view = [&](std::string_view& view) {
    if (view.data() >= old_base && view.data() <= old_end) {
      view = std::string_view(storage_.data() + (view.data() - old_base), view.size());
    }
  };
  for (auto& entry : entries_) move_view(entry.path);
  for (auto& value : values_) {
    if (value.kind == ValueKind::String) move_view(value.string);
  }
  if (tiebreaker.kind == ValueKind::String) move_view(tiebreaker.string);
}

std::span<const Value> Event::values(std::string_view path) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), path,
                             [](const Entry& entry, std::string_view p) { return entry.path < p; });
  if (it == entries_.end() || it->path != path) return {};
  return std::span<const Value>(values_.data() + it->first, it->count);
}

Value Event::first(std::string_view path) const {
  for (const Value& value : values(path)) {
    if (!value.is_null()) return value;
  }
  return Value::null();
}

std::vector<std::string_view> Event::paths() const {
  std::vector<std::string_view> out;
  out.reserve(entries_.size());
  for (const auto& entry : entries_) out.push_back(entry.path);
  return out;
}

Event Event::assemble(std::string storage, std::vector<Entry> entries, std::vector<Value> values,
                      std::string json) {
  Event event;
  // Views into `storage` stay valid: moving a std::string keeps its heap buffer (the
  // short-string buffer is the exception, so rebase from the old address below).
  const char* old_base = storage.data();
  event.storage_ = std::move(storage);
  event.json_ = std::move(json);

  // Group every path's values together, keeping document order within a path.
  std::vector<std::uint32_t> order(entries.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return entries[a].path < entries[b].path;
  });
  event.values_.reserve(values.size());
  for (std::uint32_t index : order) {
    const Entry& entry = entries[index];
    if (event.entries_.empty() || event.entries_.back().path != entry.path) {
      event.entries_.push_back(
          Entry{entry.path, static_cast<std::uint32_t>(event.values_.size()), 0});
    }
    for (std::uint32_t k = 0; k < entry.count; ++k) {
      event.values_.push_back(values[entry.first + k]);
      ++event.entries_.back().count;
    }
  }
  if (old_base != event.storage_.data()) event.rebase(old_base);
  return event;
}

void Event::set(std::string_view path_in, const Value& value_in) {
  // The arguments may point into this event's own storage, which may move below.
  const std::string path(path_in);
  const std::string text(value_in.kind == ValueKind::String ? value_in.string : std::string_view());
  Value value = value_in;
  if (value.kind == ValueKind::String) value.string = text;
  // Copy the new strings into storage; a reallocation moves every view.
  std::string_view path_copy;
  std::string_view string_copy;
  {
    const char* old_base = storage_.data();
    std::size_t path_offset = storage_.size();
    storage_.append(path);
    std::size_t string_offset = storage_.size();
    if (value.kind == ValueKind::String) storage_.append(value.string);
    if (storage_.data() != old_base) rebase(old_base);
    path_copy = std::string_view(storage_.data() + path_offset, path.size());
    string_copy = std::string_view(storage_.data() + string_offset, value.string.size());
  }
  Value stored = value;
  if (stored.kind == ValueKind::String) stored.string = string_copy;
  auto it = std::lower_bound(entries_.begin(), entries_.end(), path,
                             [](const Entry& entry, std::string_view p) { return entry.path < p; });
  Entry entry{path_copy, static_cast<std::uint32_t>(values_.size()), 1};
  values_.push_back(stored);
  if (it != entries_.end() && it->path == path) {
    *it = entry;
  } else {
    entries_.insert(it, entry);
  }
}

// ---- JSON -> Event ------------------------------------------------------------------------

namespace {

// Values and paths are recorded as offsets while the storage string still grows; views are
// made once it is complete.
struct PendingValue {
  std::uint32_t path_offset;
  std::uint32_t path_length;
  Value value;
  std::uint32_t string_offset;
  std::uint32_t string_length;
};

class Flattener : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Flattener> {
 public:
  Flattener(std::size_t max_nesting, std::size_t max_path_bytes)
      : max_nesting_(max_nesting), max_path_bytes_(max_path_bytes) {}
  std::string storage;
  std::vector<PendingValue> pending;
  std::string error;

  bool Null() { return record(Value::null()); }
  bool Bool(bool b) { return record(Value::of_bool(b)); }
  bool Int(int i) { return record(Value::of_int(i)); }
  bool Uint(unsigned u) { return record(Value::of_int(u)); }
  bool Int64(std::int64_t i) { return record(Value::of_int(i)); }
  bool Uint64(std::uint64_t u) {
    if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return record(Value::of_int(static_cast<std::int64_t>(u)));
    return record(Value::of_double(static_cast<double>(u)));
  }
  bool Double(double d) { return record(Value::of_double(d)); }
  bool String(const char* s, rapidjson::SizeType length, bool) {
    if (!enter_value()) return false;
    auto offset = static_cast<std::uint32_t>(storage.size());
    storage.append(s, length);
    return push(Value::of_string({}), offset, length);
  }
  bool StartObject() {
    if (frames_.empty()) {
      if (started_) return fail("an event must be a JSON object");
      started_ = true;
      frames_.push_back({false, 0});
      return true;
    }
    if (!enter_value() || !nest()) return false;
    frames_.push_back({false, path_.size()});
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType length, bool) {
    Frame& frame = frames_.back();
    truncate_path(frame.base);
    if (!path_.empty()) path_ += '.';
    path_.append(s, length);
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    frames_.pop_back();
    return true;
  }
  bool StartArray() {
    if (frames_.empty()) return fail("an event must be a JSON object, not an array");
    if (!enter_value() || !nest()) return false;
    frames_.push_back({true, path_.size()});
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    frames_.pop_back();
    return true;
  }

 private:
  struct Frame {
    bool array;
    std::size_t base;  // length of this container's own path
  };

  bool fail(std::string message) {
    error = std::move(message);
    return false;
  }
  bool nest() {
    if (frames_.size() < max_nesting_) return true;
    return fail("nested deeper than the limit of " + std::to_string(max_nesting_) + " levels");
  }
  // Puts `path_` at the path of the value about to be read.
  bool enter_value() {
    if (frames_.empty()) return fail("an event must be a JSON object");
    if (frames_.back().array) truncate_path(frames_.back().base);
    return true;
  }
  void truncate_path(std::size_t length) {
    path_.resize(length);
    same_prefix_ = std::min(same_prefix_, length);
  }
  bool record(const Value& value) {
    if (!enter_value()) return false;
    return push(value, 0, 0);
  }
  bool push(const Value& value, std::uint32_t string_offset, std::uint32_t string_length) {
    std::uint32_t path_offset;
    // Values under the path of the value before them (arrays) share its copy. Only the
    // bytes appended since then are compared, so a long path above a long array stays linear.
    const PendingValue* last = pending.empty() ? nullptr : &pending.back();
    if (last && last->path_length == path_.size() &&
        path_.compare(same_prefix_, std::string::npos, storage, last->path_offset + same_prefix_,
                      path_.size() - same_prefix_) == 0) {
      path_offset = last->path_offset;
    } else {
      path_bytes_ += path_.size();
      if (path_bytes_ > max_path_bytes_) {
        return fail("field paths longer than the limit of " + std::to_string(max_path_bytes_) + " bytes in all");
      }
      path_offset = static_cast<std::uint32_t>(storage.size());
      storage += path_;
    }
    same_prefix_ = path_.size();
    pending.push_back({path_offset, static_cast<std::uint32_t>(path_.size()), value, string_offset,
                       string_length});
    return true;
  }

  std::vector<Frame> frames_;
  std::string path_;
  std::size_t same_prefix_ = 0;  // how much of path_ is known equal to the last value's path
  std::size_t path_bytes_ = 0;
  std::size_t max_nesting_;
  std::size_t max_path_bytes_;
  bool started_ = false;
};

}  // namespace

std::optional<Event> parse_event(std::string_view json, std::string& error,
                                 std::size_t* error_offset, std::size_t max_nesting) {
  if (json.size() > std::numeric_limits<std::uint32_t>::max() / 2) {
    error = "event larger than 2 GiB";
    if (error_offset) *error_offset = 0;
    return std::nullopt;
  }
  Flattener flattener(max_nesting, 16 * json.size() + (1u << 20));
  // Above the short-string size, so moving the storage keeps the address views point to.
  flattener.storage.reserve(std::max<std::size_t>(json.size(), 64));
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(json.data(), json.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> input(stream);
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseFullPrecisionFlag |
                              rapidjson::kParseValidateEncodingFlag;
  rapidjson::ParseResult result = reader.Parse<kFlags>(input, flattener);
  if (!result) {
    error = !flattener.error.empty() ? flattener.error
                                     : std::string(rapidjson::GetParseError_En(result.Code()));
    if (error_offset) *error_offset = result.Offset();
    return std::nullopt;
  }
  // rapidjson takes a NUL byte for the end of the text: what follows one would be ignored.
  if (input.Tell() < json.size()) {
    error = "unexpected NUL byte after the event";
    if (error_offset) *error_offset = input.Tell();
    return std::nullopt;
  }
  std::string storage = std::move(flattener.storage);
  const char* base = storage.data();
  std::vector<Event::Entry> entries;
  std::vector<Value> values;
  entries.reserve(flattener.pending.size());
  values.reserve(flattener.pending.size());
  for (const PendingValue& p : flattener.pending) {
    Value value = p.value;
    if (value.kind == ValueKind::String) value.string = std::string_view(base + p.string_offset, p.string_length);
    // Values that share a stored path (an array's) form one entry, so that sorting the
    // entries never compares a long path with itself once per array element.
    if (!entries.empty() && entries.back().path.data() == base + p.path_offset) {
      ++entries.back().count;
    } else {
      entries.push_back({std::string_view(base + p.path_offset, p.path_length),
                         static_cast<std::uint32_t>(values.size()), 1});
    }
    values.push_back(value);
  }
  return Event::assemble(std::move(storage), std::move(entries), std::move(values), std::string(json));
}

}  // namespace eql
