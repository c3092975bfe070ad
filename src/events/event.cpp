// Event storage and the JSON -> Event flattening (one SAX pass, no recursion, so deeply
// nested documents cannot overflow the stack).
#include "eql/event.h"

#include <algorithm>
#include <atomic>
#include <limits>

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

namespace eql {

// ---- Event --------------------------------------------------------------------------------

struct Event::Body {
  std::string storage;          // every path and string value; views point into it
  std::vector<Entry> entries;   // sorted by path, unique
  std::vector<Value> values;
  std::string json;
  std::uint64_t serial = 0;
  bool edited = false;          // set() changed the fields: `json` no longer tells them all
  bool fields_dropped = false;  // without_fields(): only `json` (and `storage` for the tiebreaker)

  Body() = default;
  // A deep copy whose views point into its own storage.
  Body(const Body& other)
      : storage(other.storage), entries(other.entries), values(other.values), json(other.json),
        edited(other.edited), fields_dropped(other.fields_dropped) {
    rebase(other.storage.data(), nullptr);
  }
  Body& operator=(const Body&) = delete;

  // Moves every view into [old_base, old_base + storage.size()] to the same offset in
  // `storage` (after a copy or a reallocation), and `extra` with them.
  void rebase(const char* old_base, Value* extra) {
    const char* old_end = old_base + storage.size();
    auto move_view = [&](std::string_view& view) {
      if (view.data() >= old_base && view.data() <= old_end) {
        view = std::string_view(storage.data() + (view.data() - old_base), view.size());
      }
    };
    for (auto& entry : entries) move_view(entry.path);
    for (auto& value : values) {
      if (value.kind == ValueKind::String) move_view(value.string);
    }
    if (extra && extra->kind == ValueKind::String) move_view(extra->string);
  }
};

namespace {

std::uint64_t next_serial() {
  static std::atomic<std::uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

}  // namespace

bool Event::holds(std::string_view text) const {
  if (!body_ || body_->storage.empty()) return false;
  const auto begin = reinterpret_cast<std::uintptr_t>(body_->storage.data());
  const auto at = reinterpret_cast<std::uintptr_t>(text.data());
  return at >= begin && at + text.size() <= begin + body_->storage.size();
}

Event Event::without_fields() const {
  if (!body_ || body_->edited || body_->fields_dropped) return *this;
  auto body = std::make_shared<Body>();
  body->json = body_->json;
  body->serial = next_serial();
  body->fields_dropped = true;
  Event thin;
  thin.timestamp = timestamp;
  thin.tiebreaker = tiebreaker;
  thin.ordinal = ordinal;
  if (tiebreaker.kind == ValueKind::String) {
    body->storage.assign(tiebreaker.string);
    thin.tiebreaker.string = body->storage;
  }
  thin.body_ = std::move(body);
  return thin;
}

bool Event::fields_dropped() const { return body_ && body_->fields_dropped; }

Event Event::restored() const {
  if (!fields_dropped()) return *this;
  std::string error;
  // The text was read as an event before, so it parses again, to the same fields.
  std::optional<Event> full = parse_event(body_->json, error, nullptr, std::numeric_limits<std::size_t>::max());
  if (!full) return *this;
  full->timestamp = timestamp;
  full->ordinal = ordinal;
  full->tiebreaker = tiebreaker;
  if (tiebreaker.kind == ValueKind::String) {
    // The tiebreaker's text goes into the new storage (the body is this function's alone
    // until it returns), and every view moves with it when the storage reallocates.
    auto& body = const_cast<Body&>(*full->body_);
    const char* old_base = body.storage.data();
    const std::size_t offset = body.storage.size();
    body.storage.append(tiebreaker.string);
    if (body.storage.data() != old_base) body.rebase(old_base, nullptr);
    full->tiebreaker.string = std::string_view(body.storage).substr(offset, tiebreaker.string.size());
  }
  return std::move(*full);
}

std::uint64_t Event::serial() const { return body_ ? body_->serial : 0; }

const std::string& Event::json() const {
  static const std::string empty;
  return body_ ? body_->json : empty;
}

std::span<const Value> Event::values(std::string_view path) const {
  if (!body_) return {};
  const auto& entries = body_->entries;
  auto it = std::lower_bound(entries.begin(), entries.end(), path,
                             [](const Entry& entry, std::string_view p) { return entry.path < p; });
  if (it == entries.end() || it->path != path) return {};
  return std::span<const Value>(body_->values.data() + it->first, it->count);
}

Value Event::first(std::string_view path) const {
  for (const Value& value : values(path)) {
    if (!value.is_null()) return value;
  }
  return Value::null();
}

std::vector<std::string_view> Event::paths() const {
  std::vector<std::string_view> out;
  if (!body_) return out;
  out.reserve(body_->entries.size());
  for (const auto& entry : body_->entries) out.push_back(entry.path);
  return out;
}

std::span<const Event::Entry> Event::entries() const {
  if (!body_) return {};
  return body_->entries;
}

std::span<const Value> Event::values_of(const Entry& entry) const {
  return std::span<const Value>(body_->values.data() + entry.first, entry.count);
}

Event Event::assemble(std::string storage, std::vector<Entry> entries, std::vector<Value> values,
                      std::string json) {
  auto body = std::make_shared<Body>();
  // Views into `storage` stay valid: moving a std::string keeps its heap buffer (the
  // short-string buffer is the exception, so rebase from the old address below).
  const char* old_base = storage.data();
  body->storage = std::move(storage);
  body->json = std::move(json);
  body->serial = next_serial();

  // Group every path's values together, keeping document order within a path.
  std::vector<std::uint32_t> order(entries.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return entries[a].path < entries[b].path;
  });
  std::size_t distinct = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || entries[order[i]].path != entries[order[i - 1]].path) ++distinct;
  }
  body->entries.reserve(distinct);  // exact sizes: held events (eql run) cost what they hold
  body->values.reserve(values.size());
  for (std::uint32_t index : order) {
    const Entry& entry = entries[index];
    if (body->entries.empty() || body->entries.back().path != entry.path) {
      body->entries.push_back(Entry{entry.path, static_cast<std::uint32_t>(body->values.size()), 0});
    }
    for (std::uint32_t k = 0; k < entry.count; ++k) {
      body->values.push_back(values[entry.first + k]);
      ++body->entries.back().count;
    }
  }
  if (old_base != body->storage.data()) body->rebase(old_base, nullptr);
  Event event;
  event.body_ = std::move(body);
  return event;
}

void Event::set(std::string_view path_in, const Value& value_in) {
  // The arguments may point into this event's own storage, which may move below.
  const std::string path(path_in);
  const std::string text(value_in.kind == ValueKind::String ? value_in.string : std::string_view());
  Value value = value_in;
  if (value.kind == ValueKind::String) value.string = text;
  // Copies may share the body: change a private copy of it (with its own serial).
  std::shared_ptr<Body> body = body_ ? std::make_shared<Body>(*body_) : std::make_shared<Body>();
  if (body_ && tiebreaker.kind == ValueKind::String) {
    // The tiebreaker is a view into the old storage: move it to the copy's.
    const char* old_base = body_->storage.data();
    const char* old_end = old_base + body_->storage.size();
    if (tiebreaker.string.data() >= old_base && tiebreaker.string.data() <= old_end) {
      tiebreaker.string = std::string_view(body->storage.data() + (tiebreaker.string.data() - old_base),
                                           tiebreaker.string.size());
    }
  }
  body->serial = next_serial();
  body->edited = true;
  // Copy the new strings into storage; a reallocation moves every view.
  std::string_view path_copy;
  std::string_view string_copy;
  {
    const char* old_base = body->storage.data();
    std::size_t path_offset = body->storage.size();
    body->storage.append(path);
    std::size_t string_offset = body->storage.size();
    if (value.kind == ValueKind::String) body->storage.append(value.string);
    if (body->storage.data() != old_base) body->rebase(old_base, &tiebreaker);
    path_copy = std::string_view(body->storage.data() + path_offset, path.size());
    string_copy = std::string_view(body->storage.data() + string_offset, value.string.size());
  }
  Value stored = value;
  if (stored.kind == ValueKind::String) stored.string = string_copy;
  auto& entries = body->entries;
  auto it = std::lower_bound(entries.begin(), entries.end(), path,
                             [](const Entry& entry, std::string_view p) { return entry.path < p; });
  Entry entry{path_copy, static_cast<std::uint32_t>(body->values.size()), 1};
  body->values.push_back(stored);
  if (it != entries.end() && it->path == path) {
    *it = entry;
  } else {
    entries.insert(it, entry);
  }
  body_ = std::move(body);
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
  // Reserved for the worst case; held events should cost what they use. (Never down to the
  // short-string buffer, whose address changes when the string moves.)
  if (storage.size() > 64) storage.shrink_to_fit();
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
