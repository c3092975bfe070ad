// Event storage and the JSON -> Event flattening (one SAX pass, no recursion, so deeply
// nested documents cannot overflow the stack).
#include "eql/event.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>

#include "common/view_table.h"
#include "events/simd_json.h"

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
  std::shared_ptr<const FieldSelection> selection;  // the fields it was read with; null: all

  Body() = default;
  // A deep copy whose views point into its own storage.
  Body(const Body& other)
      : storage(other.storage), entries(other.entries), values(other.values), json(other.json),
        edited(other.edited), fields_dropped(other.fields_dropped), selection(other.selection) {
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
  body->selection = body_->selection;
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
  std::optional<Event> full =
      parse_event(body_->json, error, nullptr, std::numeric_limits<std::size_t>::max(), body_->selection);
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

const std::shared_ptr<const FieldSelection>& Event::selection() const {
  static const std::shared_ptr<const FieldSelection> all;
  return body_ ? body_->selection : all;
}

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
                      std::string json, std::shared_ptr<const FieldSelection> selection) {
  auto body = std::make_shared<Body>();
  body->selection = std::move(selection);
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

// ---- FieldSelection -----------------------------------------------------------------------

FieldSelection::FieldSelection(const std::vector<std::string>& paths) : paths_(paths) {
  std::sort(paths_.begin(), paths_.end());
  paths_.erase(std::unique(paths_.begin(), paths_.end()), paths_.end());
  std::vector<std::string> prefixes;
  for (const std::string& path : paths_) {
    for (std::size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', dot + 1)) {
      prefixes.push_back(path.substr(0, dot));
    }
    prefixes.push_back(path);
  }
  std::sort(prefixes.begin(), prefixes.end());
  prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
  for (std::string& prefix : prefixes) {
    bool wanted = std::binary_search(paths_.begin(), paths_.end(), prefix);
    prefixes_.push_back(Prefix{std::move(prefix), wanted});
  }
  // The table keeps the address of each `wanted`: the pairs refer to prefixes_, which no
  // longer changes.
  std::vector<std::pair<std::string_view, const bool&>> keyed;
  keyed.reserve(prefixes_.size());
  for (const Prefix& prefix : prefixes_) keyed.emplace_back(prefix.text, prefix.wanted);
  table_ = std::make_unique<detail::ViewTable<bool>>();
  table_->build(keyed);
}

FieldSelection::~FieldSelection() = default;

// (An empty key, from `{"": ...}`, is no path a rule can name.)
bool FieldSelection::wants(std::string_view path) const {
  const bool* wanted = path.empty() ? nullptr : table_->find(path);
  return wanted != nullptr && *wanted;
}

bool FieldSelection::may_hold(std::string_view prefix) const {
  return !prefix.empty() && table_->find(prefix) != nullptr;
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

class Flattener : public simd_json::BaseReaderHandler<simd_json::UTF8<>, Flattener> {
 public:
  Flattener(std::size_t max_nesting, std::size_t max_path_bytes, const FieldSelection* selection)
      : max_nesting_(max_nesting), max_path_bytes_(max_path_bytes), selection_(selection) {}
  std::string storage;
  std::vector<PendingValue> pending;
  std::string error;
  // Whether the parse was refused at a '{' or '[': RapidJSON's recursive parser has read
  // that byte when it asks, its iterative one has not. Offsets are the byte's own.
  bool refused_opening = false;

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
  bool String(const char* s, simd_json::SizeType length, bool) {
    if (!enter_value()) return false;
    if (!files_value()) return true;
    auto offset = static_cast<std::uint32_t>(storage.size());
    storage.append(s, length);
    return push(Value::of_string({}), offset, length);
  }
  bool StartObject() {
    if (frames_.empty()) {
      if (started_) return refuse_opening("an event must be a JSON object");
      started_ = true;
      frames_.push_back({false, 0, false});
      return true;
    }
    if (!enter_value()) return false;
    if (!nests()) return refuse_opening(too_deep());
    frames_.push_back({false, path_.size(), skips_container()});
    return true;
  }
  bool Key(const char* s, simd_json::SizeType length, bool) {
    Frame& frame = frames_.back();
    if (frame.skipped) return true;  // no path below it is filed: none is built
    truncate_path(frame.base);
    if (!path_.empty()) path_ += '.';
    path_.append(s, length);
    return true;
  }
  bool EndObject(simd_json::SizeType) {
    frames_.pop_back();
    return true;
  }
  bool StartArray() {
    if (frames_.empty()) return refuse_opening("an event must be a JSON object, not an array");
    if (!enter_value()) return false;
    if (!nests()) return refuse_opening(too_deep());
    frames_.push_back({true, path_.size(), skips_container()});
    return true;
  }
  bool EndArray(simd_json::SizeType) {
    frames_.pop_back();
    return true;
  }

 private:
  struct Frame {
    bool array;
    std::size_t base;  // length of this container's own path
    bool skipped;      // a selection files nothing below it
  };

  // With a selection: whether the container about to start (at path_) holds no selected
  // field, so that nothing below it is filed (its JSON is still parsed and checked).
  bool skips_container() const {
    if (frames_.back().skipped) return true;
    return selection_ != nullptr && !selection_->may_hold(path_);
  }
  // Whether the scalar about to be read (at path_) is filed.
  bool files_value() const {
    if (frames_.back().skipped) return false;
    return selection_ == nullptr || selection_->wants(path_);
  }

  bool fail(std::string message) {
    error = std::move(message);
    return false;
  }
  // Refused at a '{' or '[' (see refused_opening).
  bool refuse_opening(std::string message) {
    refused_opening = true;
    return fail(std::move(message));
  }
  bool nests() const { return frames_.size() < max_nesting_; }
  std::string too_deep() const {
    return "nested deeper than the limit of " + std::to_string(max_nesting_) + " levels";
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
    if (!files_value()) return true;
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
  const FieldSelection* selection_;
  bool started_ = false;
};

constexpr unsigned kParseFlags = simd_json::kParseIterativeFlag | simd_json::kParseFullPrecisionFlag;
// RapidJSON's recursive parser takes fewer instructions than its iterative one, but uses a
// few stack frames per level of nesting. The Flattener refuses a level past max_nesting, so
// under the default limit (1,000 levels, well within a thread's stack) the recursion is
// bounded; a larger limit parses iteratively.
constexpr unsigned kRecursiveFlags = simd_json::kParseFullPrecisionFlag | simd_json::kParseInsituFlag;
constexpr std::size_t kMaxRecursiveNesting = kDefaultMaxNesting;

// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF). Eight ASCII bytes at a time, as events are mostly ASCII.
bool is_valid_utf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    if (i + 8 <= size) {
      std::uint64_t word;
      std::memcpy(&word, bytes + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char lead = bytes[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;   // overlong
      if (lead == 0xED) high = 0x9F;  // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;   // overlong
      if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (i + length > size) return false;
    if (bytes[i + 1] < low || bytes[i + 1] > high) return false;
    for (std::size_t k = 2; k < length; ++k) {
      if (bytes[i + k] < 0x80 || bytes[i + k] > 0xBF) return false;
    }
    i += length;
  }
  return true;
}

}  // namespace

std::optional<Event> parse_event(std::string_view json, std::string& error,
                                 std::size_t* error_offset, std::size_t max_nesting,
                                 std::shared_ptr<const FieldSelection> selection) {
  if (json.size() > std::numeric_limits<std::uint32_t>::max() / 2) {
    error = "event larger than 2 GiB";
    if (error_offset) *error_offset = 0;
    return std::nullopt;
  }
  Flattener flattener(max_nesting, 16 * json.size() + (1u << 20), selection.get());
  // Above the short-string size, so moving the storage keeps the address views point to.
  // (A selection files a small part of the event: the storage grows as needed.)
  flattener.storage.reserve(selection ? 256 : std::max<std::size_t>(json.size(), 64));
  // The event keeps its text for output; the parser reads that copy, whose end is a NUL.
  std::string text(json);
  simd_json::Reader reader;
  simd_json::ParseResult result;
  std::size_t parsed_to = 0;
  if (is_valid_utf8(text)) {
    // The common case: the encoding is known good, so the parser need not check it byte by
    // byte (that check was a third of the time of parsing an event), and it decodes the
    // strings in place in a scratch copy of the text, which costs less than building each
    // one apart (the Flattener copies what it files).
    thread_local std::vector<char> scratch;
    scratch.assign(text.c_str(), text.c_str() + text.size() + 1);
    scratch.insert(scratch.end(), kSimdJsonPadding, '\0');
    // A byte order mark opening the text is skipped, as the validating stream below skips it;
    // offsets stay offsets into the text.
    const std::size_t bom = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
    simd_json::InsituStringStream input(scratch.data() + bom);
    if (max_nesting <= kMaxRecursiveNesting) {
      result = reader.Parse<kRecursiveFlags>(input, flattener);
      if (!result && flattener.refused_opening) result.Set(result.Code(), result.Offset() - 1);
    } else {
      result = reader.Parse<kParseFlags | simd_json::kParseInsituFlag>(input, flattener);
    }
    if (!result) result.Set(result.Code(), result.Offset() + bom);
    parsed_to = input.Tell() + bom;
  } else {
    // Invalid UTF-8 somewhere: the parser checks as it goes, so that the first problem in
    // the text, encoding or syntax, is the one reported, at its offset.
    simd_json::MemoryStream stream(text.data(), text.size());
    simd_json::EncodedInputStream<simd_json::UTF8<>, simd_json::MemoryStream> input(stream);
    result = reader.Parse<kParseFlags | simd_json::kParseValidateEncodingFlag>(input, flattener);
    parsed_to = input.Tell();
  }
  if (!result) {
    error = !flattener.error.empty() ? flattener.error
                                     : std::string(simd_json::GetParseError_En(result.Code()));
    if (error_offset) *error_offset = result.Offset();
    return std::nullopt;
  }
  // rapidjson takes a NUL byte for the end of the text: what follows one would be ignored.
  if (parsed_to < json.size()) {
    error = "unexpected NUL byte after the event";
    if (error_offset) *error_offset = parsed_to;
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
  return Event::assemble(std::move(storage), std::move(entries), std::move(values), std::move(text),
                         std::move(selection));
}

}  // namespace eql
