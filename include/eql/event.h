// Events: JSON documents read once into a form that answers "the values of field
// `a.b.c`" quickly, whatever shape the JSON had, and the readers that produce them
// (NDJSON, a JSON array, a search response, gzip, stdin).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eql/default_fields.h"
#include "eql/value.h"

namespace eql {

namespace detail {
template <class Item>
class ViewTable;
}  // namespace detail

class FieldSelection;

/// One event. Every scalar of the JSON document is filed under its dotted path, so
/// `{"process":{"name":"a"}}`, `{"process.name":"a"}` and `{"process":{"parent.name":..}}`
/// all answer `values("process.name")`/`values("process.parent.name")`; arrays add no path
/// component (`{"a":[{"b":1},{"b":2}]}` gives `a.b` = [1, 2]); an explicit JSON null is
/// kept as a Null value (a mapping's `null_value` may give it meaning); `[]` and objects
/// leave no value. Integers keep all 64 bits.
class Event {
 public:
  /// The values filed under `path`, in document order (nulls included); empty when the
  /// event has no such field.
  std::span<const Value> values(std::string_view path) const;
  /// The first non-null value under `path`, or null.
  Value first(std::string_view path) const;
  bool has(std::string_view path) const { return !values(path).empty(); }

  /// Every path the event holds, sorted.
  std::vector<std::string_view> paths() const;

  struct Entry;
  /// Every field the event holds, sorted by path (no copy: for walking all fields fast);
  /// values_of(entry) gives its values.
  std::span<const Entry> entries() const;
  std::span<const Value> values_of(const Entry& entry) const;

  /// A copy that keeps the JSON text and the ordering data only, for an event that waits
  /// (in a partial sequence) for events that may never come: a few times smaller than the
  /// parsed fields. restored() reads the fields back. An event changed by set() is kept
  /// whole, as its JSON text does not tell the change.
  Event without_fields() const;
  /// Whether without_fields() dropped the fields of this event.
  bool fields_dropped() const;
  /// The event with its fields read back from its JSON text (the same event when it has
  /// them); ordering data as in this one.
  Event restored() const;

  /// Whether `text` lies in the event's own storage (its paths and string values), so that
  /// it keeps its address and content for as long as the event lives.
  bool holds(std::string_view text) const;

  /// The event as compact JSON, as it was read (or as built).
  const std::string& json() const;

  /// Adds or replaces a field (used to derive fields such as `@timestamp`).
  void set(std::string_view path, const Value& value);

  /// Names the event's fields and values: copies share it (they share the read-only
  /// storage, so a copy that only changes the ordering data below costs a few bytes), set()
  /// gives a new one, and no two different contents ever had the same serial in this
  /// process. 0 for an empty event. The evaluator caches per-event lookups under it.
  std::uint64_t serial() const;

  // Ordering data, extracted once by the reader (see EventReadOptions).
  std::optional<EpochNanos> timestamp;
  Value tiebreaker;          ///< null when absent; a view into this event
  std::uint64_t ordinal = 0; ///< position in the input, for stable ordering

  /// The fields the event was read with (nullptr: all of them); restored() reads the
  /// same ones back.
  const std::shared_ptr<const FieldSelection>& selection() const;

  // ---- construction (used by the reader; see src/events/) ----
  struct Entry {
    std::string_view path;
    std::uint32_t first = 0;
    std::uint32_t count = 0;
  };
  /// Takes ownership of `storage`; every string_view in `entries` and `values` must point
  /// into it. `entries` need not be sorted or unique.
  static Event assemble(std::string storage, std::vector<Entry> entries,
                        std::vector<Value> values, std::string json,
                        std::shared_ptr<const FieldSelection> selection = nullptr);

 private:
  struct Body;  // the fields and the JSON text; immutable once shared (src/events/event.cpp)
  std::shared_ptr<const Body> body_;
};

/// The fields a reader files (see parse_event): the paths that the loaded rules or the
/// query read. Every other scalar of the document is parsed (the JSON is checked whole and
/// kept as text for output) but not filed, and a subtree that holds none of the paths is
/// not even walked for paths: most of an event's fields are read by no rule, and filing
/// them was most of the cost of parsing. An event read with a selection answers values()
/// for a path outside it as if the field were missing.
class FieldSelection {
 public:
  /// The selection of exactly these paths (as Event paths: dotted, arrays add no component).
  explicit FieldSelection(const std::vector<std::string>& paths);
  // Its lookup table holds views into its own strings.
  FieldSelection(const FieldSelection&) = delete;
  FieldSelection& operator=(const FieldSelection&) = delete;
  ~FieldSelection();

  /// Whether values under exactly this path are filed.
  bool wants(std::string_view path) const;
  /// Whether some selected path is `prefix` or lies below it (`prefix.` ...).
  bool may_hold(std::string_view prefix) const;
  /// The selected paths, sorted.
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  std::vector<std::string> paths_;
  // Every dotted prefix of every path, and the paths, each marked whether it is a selected
  // path: looked up once per key and per value of every event.
  struct Prefix {
    std::string text;
    bool wanted = false;
  };
  std::vector<Prefix> prefixes_;
  std::unique_ptr<detail::ViewTable<bool>> table_;  // views into prefixes_
};

/// Deepest nesting of objects and arrays an event may have by default: Elasticsearch's JSON
/// parser refuses documents nested deeper than 1,000 levels too.
inline constexpr std::size_t kDefaultMaxNesting = 1000;

/// Parses one JSON object into an Event. On error returns nothing and sets `error` to a
/// message with a byte offset into `json`. An event nested deeper than `max_nesting`
/// levels (the root object is level 1) is an error, and so is one whose field paths would
/// take more than 16 bytes per byte of JSON (plus 1 MiB): a long key above many fields
/// would otherwise repeat in every path below it.
/// With a `selection`, only its fields are filed (see FieldSelection).
std::optional<Event> parse_event(std::string_view json, std::string& error,
                                 std::size_t* error_offset = nullptr,
                                 std::size_t max_nesting = kDefaultMaxNesting,
                                 std::shared_ptr<const FieldSelection> selection = nullptr);

/// A problem in an input file: `file:line:column: message`. Lines and columns are 1-based.
struct InputProblem {
  std::string file;
  std::uint64_t line = 0;
  std::uint64_t column = 0;
  std::string message;
  std::string to_string() const;
};

struct EventReadOptions {
  std::string timestamp_field{kDefaultTimestampField};
  std::string tiebreaker_field;  ///< empty: none
  /// Longest NDJSON line (and largest whole JSON document) accepted, in bytes.
  std::size_t max_line_bytes = 64u << 20;
  std::size_t max_document_bytes = 1u << 30;
  /// Deepest nesting of objects and arrays in one event (see parse_event).
  std::size_t max_nesting = kDefaultMaxNesting;
  /// The fields to file (nullptr: every field). A selection must hold the timestamp and
  /// tiebreaker fields above and every field the events' consumers read.
  std::shared_ptr<const FieldSelection> fields;
  /// Stop reading at the first problem (a malformed or refused line) instead of reporting
  /// it and going on (`eql query --strict`).
  bool stop_at_problem = false;
};

/// What one reader pass did.
struct ReadSummary {
  std::uint64_t events = 0;
  std::uint64_t skipped = 0;  ///< malformed lines or elements reported and skipped
  bool io_error = false;      ///< the file could not be read at all
};

/// Reads a file (`-` is standard input), gunzipping when it starts with the gzip magic.
/// The format is detected: a JSON array of events, one JSON document (an event, or a
/// search response whose `hits.hits[]._source` are the events), or NDJSON. Each event
/// is passed to `sink` in input order; a false return stops reading. Each problem is passed
/// to `problem` and the reader goes on with the next line (or stops, with
/// `options.stop_at_problem`). A search response with no hits holds no events.
ReadSummary read_events(const std::string& path, const EventReadOptions& options,
                        const std::function<bool(Event&&)>& sink,
                        const std::function<void(const InputProblem&)>& problem);

/// Reading a live stream (standard input on a pipe or terminal, a named pipe): each event
/// is handed out as soon as its line is complete, instead of when a block is full.
struct LiveReadOptions {
  /// Called whenever the reader has handed out every complete event it read and is about
  /// to wait for more input, then every `interval_ms` while none comes (to flush output,
  /// and to release what waits by wall-clock time). Without it no input is read live.
  std::function<void()> waiting;
  std::int64_t interval_ms = 100;
};

/// Whether `path` is read live by the overload below: `-` when standard input is not a
/// regular file, or a named pipe.
bool is_live_input(const std::string& path);

/// read_events; a live input (is_live_input) is read as LiveReadOptions says.
ReadSummary read_events(const std::string& path, const EventReadOptions& options,
                        const std::function<bool(Event&&)>& sink,
                        const std::function<void(const InputProblem&)>& problem,
                        const LiveReadOptions& live);

/// The same over text already in memory (`name` is used in problems).
ReadSummary read_events_from_text(std::string_view name, std::string_view text,
                                  const EventReadOptions& options,
                                  const std::function<bool(Event&&)>& sink,
                                  const std::function<void(const InputProblem&)>& problem);

/// Fills `timestamp` and `tiebreaker` of `event` from the named fields.
void extract_ordering(Event& event, const EventReadOptions& options);

}  // namespace eql
