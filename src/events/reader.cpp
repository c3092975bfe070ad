// Event files: NDJSON, a JSON array, a single document or a search response; gzip or
// plain; a path or standard input. Problems are reported per line and never stop the
// valid events around them.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "eql/event.h"
#include "events/live_input.h"

namespace eql {

std::string InputProblem::to_string() const {
  std::string out = file;
  if (line > 0) {
    out += ':';
    out += std::to_string(line);
    if (column > 0) {
      out += ':';
      out += std::to_string(column);
    }
  }
  out += ": ";
  out += message;
  return out;
}

void extract_ordering(Event& event, const EventReadOptions& options) {
  event.timestamp.reset();
  if (!options.timestamp_field.empty()) {
    Value stamp = event.first(options.timestamp_field);
    if (!stamp.is_null()) event.timestamp = date_of(stamp);
  }
  event.tiebreaker = options.tiebreaker_field.empty() ? Value::null()
                                                      : event.first(options.tiebreaker_field);
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// What a problem from parse_event says: a JSON syntax error, or valid JSON past a limit
// (its message names the limit, like the line-length problem).
std::string event_problem(const std::string& error) {
  if (error.find("than the limit of") != std::string::npos) return error + "; skipped";
  return "invalid JSON: " + error;
}

// 1-based line and column (in bytes) of a byte offset.
std::pair<std::uint64_t, std::uint64_t> line_and_column(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::uint64_t line = 1 + static_cast<std::uint64_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
  std::size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  line_start = (line_start == std::string_view::npos || offset == 0) ? 0 : line_start + 1;
  return {line, offset - line_start + 1};
}

// Finds the objects that are events inside one whole JSON document: the elements of a
// top-level array; the `_source` objects of a search response (`hits.hits[]._source`) or of
// an EQL search response (`hits.events[]._source`, `hits.sequences[].events[]._source`);
// or else the root object itself. Records byte spans; the events are parsed from them
// afterwards.
class DocumentSplitter : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, DocumentSplitter> {
 public:
  DocumentSplitter(const rapidjson::StringStream& stream, std::string_view text) : stream_(stream), text_(text) {}

  struct Piece {
    std::size_t begin = 0;
    std::size_t end = 0;
    bool is_object = true;
  };
  std::vector<Piece> array_elements;
  std::vector<Piece> sources;
  bool root_is_array = false;
  bool root_is_object = false;
  /// The root is a search or EQL search response (it has one of the hit arrays above), so
  /// its events are the `_source` objects, none when the arrays are empty.
  bool response = false;

  bool Default() {
    scalar();
    return true;
  }
  bool Null() { return Default(); }
  bool Bool(bool) { return Default(); }
  bool Int(int) { return Default(); }
  bool Uint(unsigned) { return Default(); }
  bool Int64(std::int64_t) { return Default(); }
  bool Uint64(std::uint64_t) { return Default(); }
  bool Double(double) { return Default(); }
  bool String(const char*, rapidjson::SizeType, bool) { return Default(); }
  bool Key(const char* s, rapidjson::SizeType length, bool) {
    if (frames_.size() <= kDeepestPath) frames_.back().key.assign(s, length);
    return true;
  }
  bool StartObject() { return start(false); }
  bool StartArray() { return start(true); }
  bool EndObject(rapidjson::SizeType) { return end(); }
  bool EndArray(rapidjson::SizeType) { return end(); }

 private:
  struct Frame {
    bool array;
    std::string key;
    int capture = 0;  // 1: an array element, 2: a _source object
    std::size_t begin = 0;
  };

  // hits.sequences[].events[]._source: six levels above an event.
  static constexpr std::size_t kDeepestPath = 6;

  bool in_top_array() const { return frames_.size() == 1 && frames_[0].array; }
  // Where the value about to start sits, as `hits/hits/[]/_source`; empty when deeper than
  // any event of a response.
  std::string path() const {
    std::string out;
    if (frames_.size() > kDeepestPath) return out;
    for (const Frame& frame : frames_) {
      if (!out.empty()) out += '/';
      out += frame.array ? "[]" : frame.key;
    }
    return out;
  }
  bool at_source() const {
    std::string here = path();
    return here == "hits/hits/[]/_source" || here == "hits/events/[]/_source" ||
           here == "hits/sequences/[]/events/[]/_source";
  }
  bool at_hit_array() const {
    std::string here = path();
    return here == "hits/hits" || here == "hits/events" || here == "hits/sequences";
  }
  void scalar() {
    if (in_top_array()) {
      std::size_t at = stream_.Tell();
      array_elements.push_back({at, at, false});
    }
  }
  bool start(bool array) {
    if (frames_.empty()) {
      root_is_array = array;
      root_is_object = !array;
    }
    Frame frame{array, {}, 0, bracket_at(array ? '[' : '{')};
    if (in_top_array()) frame.capture = 1;
    else if (at_source() && !array) frame.capture = 2;
    else if (array && at_hit_array()) response = true;
    frames_.push_back(std::move(frame));
    return true;
  }
  bool end() {
    Frame frame = std::move(frames_.back());
    frames_.pop_back();
    std::size_t end = bracket_at(frame.array ? ']' : '}') + 1;
    if (frame.capture == 1) array_elements.push_back({frame.begin, end, !frame.array});
    if (frame.capture == 2) sources.push_back({frame.begin, end, true});
    return true;
  }

  // Where the bracket of the current StartObject/EndObject call is. Depending on the parse
  // mode rapidjson calls the handler just before or just after taking the bracket.
  std::size_t bracket_at(char bracket) const {
    std::size_t at = stream_.Tell();
    if (at < text_.size() && text_[at] == bracket) return at;
    return at > 0 ? at - 1 : 0;
  }

  const rapidjson::StringStream& stream_;
  std::string_view text_;
  std::vector<Frame> frames_;
};

// One line of JSON for an event cut out of a pretty-printed document, so that NDJSON output
// stays one event per line. Empty when the text is not valid JSON.
std::string compact_json(std::string_view json) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  rapidjson::Reader reader;
  rapidjson::MemoryStream memory(json.data(), json.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> input(memory);
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseFullPrecisionFlag;
  if (!reader.Parse<kFlags>(input, writer)) return {};
  return std::string(buffer.GetString(), buffer.GetSize());
}

struct Emitter {
  std::string_view name;
  std::string_view text;
  const EventReadOptions& options;
  const std::function<bool(Event&&)>& sink;
  const std::function<void(const InputProblem&)>& problem;
  ReadSummary summary;
  bool stopped = false;

  void report(std::size_t offset, std::string message) {
    auto [line, column] = line_and_column(text, offset);
    problem(InputProblem{std::string(name), line, column, std::move(message)});
    ++summary.skipped;
    if (options.stop_at_problem) stopped = true;
  }

  // Parses one event from text[begin, end).
  void emit(std::size_t begin, std::size_t end) {
    std::string_view json = text.substr(begin, end - begin);
    while (!json.empty() && is_space(json.back())) json.remove_suffix(1);
    std::string error;
    std::size_t error_offset = 0;
    std::optional<Event> event;
    if (json.find_first_of("\r\n") != std::string_view::npos) {
      std::string compact = compact_json(json);
      if (!compact.empty()) event = parse_event(compact, error, &error_offset, options.max_nesting, options.fields);
    }
    if (!event) event = parse_event(json, error, &error_offset, options.max_nesting, options.fields);
    if (!event) {
      report(begin + error_offset, event_problem(error));
      return;
    }
    extract_ordering(*event, options);
    event->ordinal = summary.events++;
    if (!sink(std::move(*event))) stopped = true;
  }
};

// Tries `text` as one JSON document; true when it was one (events emitted).
bool read_whole_document(Emitter& emitter) {
  std::string_view text = emitter.text;
  if (text.size() > emitter.options.max_document_bytes) return false;
  // rapidjson's StringStream needs a terminating NUL; the text may not have one.
  std::string copy(text);
  rapidjson::StringStream stream(copy.c_str());
  DocumentSplitter splitter(stream, copy);
  rapidjson::Reader reader;
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag;
  rapidjson::ParseResult result = reader.Parse<kFlags>(stream, splitter);
  std::size_t after = stream.Tell();
  bool only_space_after =
      std::all_of(text.begin() + static_cast<std::ptrdiff_t>(std::min(after, text.size())), text.end(), is_space);
  if (!result || !only_space_after) {
    // A top-level array cannot be NDJSON: report the error here rather than per line.
    if (splitter.root_is_array) {
      if (!result) {
        emitter.report(result.Offset(), std::string("invalid JSON array: ") +
                                            rapidjson::GetParseError_En(result.Code()));
      } else {
        emitter.report(after, "unexpected text after the JSON array");
      }
      // The elements completed before the error are still valid events.
      for (const auto& piece : splitter.array_elements) {
        if (emitter.stopped) break;
        if (piece.is_object) emitter.emit(piece.begin, piece.end);
      }
      return true;
    }
    return false;
  }
  if (splitter.root_is_array) {
    std::size_t index = 0;
    for (const auto& piece : splitter.array_elements) {
      if (emitter.stopped) break;
      if (!piece.is_object) {
        emitter.report(piece.begin, "array element " + std::to_string(index) + " is not a JSON object");
      } else {
        emitter.emit(piece.begin, piece.end);
      }
      ++index;
    }
    return true;
  }
  if (splitter.response) {
    for (const auto& piece : splitter.sources) {
      if (emitter.stopped) break;
      emitter.emit(piece.begin, piece.end);
    }
    return true;
  }
  std::size_t begin = 0;
  while (begin < text.size() && is_space(text[begin])) ++begin;
  emitter.emit(begin, text.size());
  return true;
}

void read_ndjson(Emitter& emitter) {
  std::string_view text = emitter.text;
  std::size_t line_start = 0;
  std::uint64_t line_number = 0;
  while (line_start < text.size() && !emitter.stopped) {
    std::size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    ++line_number;
    std::string_view line = text.substr(line_start, line_end - line_start);
    bool blank = std::all_of(line.begin(), line.end(), is_space);
    if (!blank) {
      if (line.size() > emitter.options.max_line_bytes) {
        emitter.problem(InputProblem{std::string(emitter.name), line_number, 1,
                                     "line of " + std::to_string(line.size()) + " bytes is longer than the limit of " +
                                         std::to_string(emitter.options.max_line_bytes) + " bytes; skipped"});
        ++emitter.summary.skipped;
        if (emitter.options.stop_at_problem) emitter.stopped = true;
      } else {
        emitter.emit(line_start, line_end);
      }
    }
    line_start = line_end + 1;
  }
}

}  // namespace

ReadSummary read_events_from_text(std::string_view name, std::string_view text,
                                  const EventReadOptions& options,
                                  const std::function<bool(Event&&)>& sink,
                                  const std::function<void(const InputProblem&)>& problem) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
  Emitter emitter{name, text, options, sink, problem, {}, false};
  std::size_t first = 0;
  while (first < text.size() && is_space(text[first])) ++first;
  if (first < text.size() && (text[first] == '[' || text[first] == '{')) {
    if (read_whole_document(emitter)) return emitter.summary;
  }
  read_ndjson(emitter);
  return emitter.summary;
}

namespace {

// Reads a stream in chunks (from `read`: bytes, 0 at the end, -1 on an error) and hands
// out lines; remembers what it has handed out so that a caller who decides it needs the
// whole document can have it. Bytes are read straight into the buffer that lines are
// viewed in: a line costs no copy before the parser's own (plain files come from read(2),
// see OpenInput; zlib, for gzip and pipes, copies out of its own buffer).
class ChunkedInput {
 public:
  using Read = std::function<long(char*, std::size_t, std::string&)>;
  static constexpr std::size_t kReadSize = 1u << 18;
  explicit ChunkedInput(Read read) : read_(std::move(read)) {}

  std::string error;

  // The next line without its '\n', valid until the next call; false at the end (or on a
  // read error, see `error`). A line longer than `limit` is skipped to its end and returned
  // empty with `too_long` set, so that memory stays bounded by the limit.
  bool next_line(std::string_view& line, std::size_t limit, bool& too_long) {
    line = {};
    too_long = false;
    std::size_t searched = begin_;
    while (true) {
      const char* newline =
          searched < end_ ? static_cast<const char*>(std::memchr(data_.get() + searched, '\n', end_ - searched))
                          : nullptr;
      std::size_t length = (newline ? static_cast<std::size_t>(newline - data_.get()) : end_) - begin_;
      if (length > limit) {  // too long: drop what is buffered of it, read on to its end
        too_long = true;
        begin_ = newline ? static_cast<std::size_t>(newline - data_.get()) + 1 : end_;
        if (newline) return true;
        searched = begin_;
      } else if (newline) {
        if (!too_long) line = std::string_view(data_.get() + begin_, length);
        begin_ += length + 1;
        return true;
      } else {
        searched = end_;
      }
      std::size_t kept = searched - begin_;
      if (!fill()) {
        if (too_long) return true;
        if (end_ == begin_) return false;
        line = std::string_view(data_.get() + begin_, end_ - begin_);
        begin_ = end_;
        return true;
      }
      searched = begin_ + kept;
    }
  }

  // Everything not yet handed out, appended to `text`; false when larger than `limit`.
  bool rest(std::string& text, std::size_t limit) {
    do {
      text.append(data_.get() + begin_, end_ - begin_);
      begin_ = end_;
      if (text.size() > limit) return false;
    } while (fill());
    return true;
  }

 private:
  // More bytes after those not yet handed out (moved to the front first); false at the end.
  bool fill() {
    if (begin_ > 0) {
      std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (capacity_ - end_ < kReadSize) {
      std::size_t capacity = std::max(2 * capacity_, end_ + kReadSize);
      auto grown = std::make_unique_for_overwrite<char[]>(capacity);
      if (end_ > 0) std::memcpy(grown.get(), data_.get(), end_);
      data_ = std::move(grown);
      capacity_ = capacity;
    }
    long n = read_(data_.get() + end_, kReadSize, error);
    if (n <= 0) return false;
    end_ += static_cast<std::size_t>(n);
    return true;
  }

  Read read_;
  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;  ///< the first byte not yet handed out
  std::size_t end_ = 0;    ///< one past the last byte read
};

// Whether one line of JSON is a search or EQL search response rather than an event.
bool is_response(std::string_view text) {
  const std::string line(text);  // the stream reads to a NUL
  rapidjson::StringStream stream(line.c_str());
  DocumentSplitter splitter(stream, line);
  rapidjson::Reader reader;
  reader.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag>(stream, splitter);
  return splitter.response;
}

}  // namespace

bool is_live_input(const std::string& path) {
  struct stat status {};
  if (path == "-") return fstat(STDIN_FILENO, &status) == 0 && !S_ISREG(status.st_mode);
  return stat(path.c_str(), &status) == 0 && S_ISFIFO(status.st_mode);
}

ReadSummary read_events(const std::string& path, const EventReadOptions& options,
                        const std::function<bool(Event&&)>& sink,
                        const std::function<void(const InputProblem&)>& problem) {
  return read_events(path, options, sink, problem, LiveReadOptions{});
}

namespace {

// Whether the file open as `fd` is to be read through zlib: it starts as gzip does (zlib's
// own test: the magic's first byte, and its second unless the file ends there). Plain files
// are read with read(2), straight into the caller's buffer: through zlib, a plain file's
// bytes were copied once more.
bool starts_as_gzip(int fd) {
  unsigned char magic[2];
  off_t at = lseek(fd, 0, SEEK_CUR);  // standard input may have been read from already
  ssize_t n = at < 0 ? -1 : pread(fd, magic, sizeof magic, at);
  return n >= 1 && magic[0] == 0x1f && (n < 2 || magic[1] == 0x8b);
}

// An input open for reading: a live stream read as bytes come, a plain regular file read
// as it is, anything else through zlib, which reads plain bytes unchanged and inflates
// those that start with the gzip magic.
class OpenInput {
 public:
  // Opens `path` ("-": standard input); false, with errno saying why, when it cannot.
  bool open_path(const std::string& path, const LiveReadOptions& live) {
    if (live.waiting && is_live_input(path)) {
      int fd = path == "-" ? dup(STDIN_FILENO) : open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) live_ = std::make_unique<detail::LiveInput>(fd, live);
      return live_ != nullptr;
    }
    int fd = path == "-" ? dup(STDIN_FILENO) : open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat status {};
    if (fstat(fd, &status) == 0 && S_ISREG(status.st_mode) && !starts_as_gzip(fd)) {
      plain_fd_ = fd;
      return true;
    }
    file_.reset(gzdopen(fd, "rb"));
    if (!file_) {
      int saved = errno;
      close(fd);
      errno = saved;
      return false;
    }
    gzbuffer(file_.get(), 1 << 17);
    return true;
  }

  OpenInput() = default;
  OpenInput(const OpenInput&) = delete;
  OpenInput& operator=(const OpenInput&) = delete;
  ~OpenInput() {
    if (plain_fd_ >= 0) close(plain_fd_);
  }

  // Bytes into `chunk`: how many, 0 at the end, -1 on an error (said in `error`).
  long read(char* chunk, std::size_t size, std::string& error) {
    if (live_) return live_->read(chunk, size, error);
    if (plain_fd_ >= 0) {
      ssize_t n;
      do {
        n = ::read(plain_fd_, chunk, size);
      } while (n < 0 && errno == EINTR);
      if (n < 0) error = std::string("cannot read: ") + std::strerror(errno);
      return static_cast<long>(n);
    }
    int n = gzread(file_.get(), chunk, static_cast<unsigned>(size));
    if (n < 0) {
      int code = 0;
      const char* message = gzerror(file_.get(), &code);
      error = std::string("cannot read: ") + (message ? message : "error");
    }
    return n;
  }

 private:
  std::unique_ptr<detail::LiveInput> live_;
  int plain_fd_ = -1;
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file_{nullptr, gzclose};
};

std::string too_large(const EventReadOptions& options) {
  return "input larger than " + std::to_string(options.max_document_bytes) + " bytes";
}

// The input cannot be read on: `message` said, the summary marked.
ReadSummary failed(ReadSummary summary, const std::string& name, const std::string& message,
                   const std::function<void(const InputProblem&)>& problem) {
  problem(InputProblem{name, 0, 0, message});
  summary.io_error = true;
  return summary;
}

// The lines of an input: until its format is known, each is either an event on its own
// line (then the input is NDJSON and every line goes to the sink as an event: memory stays
// flat, `| head` can stop early) or kept, so that anything else (a JSON array, a
// pretty-printed document, a search response) can be read whole.
class LineEvents {
 public:
  LineEvents(const std::string& name, const EventReadOptions& options, const std::function<bool(Event&&)>& sink,
             const std::function<void(const InputProblem&)>& problem)
      : name_(name), options_(options), sink_(sink), problem_(problem) {}

  ReadSummary summary;
  bool streaming = false;  ///< the input is NDJSON
  bool stopped = false;    ///< by the sink, or at a problem with options.stop_at_problem
  std::string consumed;    ///< the lines read before the format was known

  // Reads lines to the end, a stop, or the first line that makes the input no NDJSON;
  // false when a line before the format was known is larger than a document may be (said).
  bool read(ChunkedInput& input) {
    std::string_view line;
    bool too_long = false;
    std::uint64_t line_number = 0;
    // Until the format is known a line may be a whole one-line document (array, search
    // response): only the document limit applies to it.
    while (input.next_line(line, streaming ? options_.max_line_bytes : options_.max_document_bytes, too_long)) {
      ++line_number;
      if (too_long) {
        if (!streaming) {
          summary = failed(summary, name_, too_large(options_), problem_);
          return false;
        }
        report_long(line_number);
        if (stopped) break;
        continue;
      }
      std::size_t first = 0;
      if (line_number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) first = 3;
      while (first < line.size() && is_space(line[first])) ++first;
      if (!streaming) {
        if (!decide_format(line, first, line_number)) break;
        continue;
      }
      if (first == line.size()) continue;
      emit_line(line, line_number);
      if (stopped) break;
    }
    return true;
  }

 private:
  // A line read before the format is known, from `first`, its first byte that is not a
  // space: whether to read on.
  bool decide_format(std::string_view line, std::size_t first, std::uint64_t line_number) {
    if (first == line.size()) {  // blank lines before the first document
      consumed.append(line).push_back('\n');
      return true;
    }
    if (line[first] == '{') {
      std::string error;
      // Without the nesting limit: a first line too deep is still one event per line,
      // reported by emit_line, and the file is streamed.
      auto probe = parse_event(line.substr(first), error, nullptr,
                               std::numeric_limits<std::size_t>::max());
      if (probe && !is_response(line.substr(first))) {
        streaming = true;
        emit_line(line.substr(first), line_number);
        return !stopped;
      }
    }
    consumed.append(line).push_back('\n');
    return false;  // not one event per line: the rest is read and decided on as a whole
  }

  void emit_line(std::string_view text, std::uint64_t number) {
    std::string error;
    std::size_t error_offset = 0;
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    auto event = parse_event(text, error, &error_offset, options_.max_nesting, options_.fields);
    if (!event) {
      problem_(InputProblem{name_, number, error_offset + 1, event_problem(error)});
      ++summary.skipped;
      if (options_.stop_at_problem) stopped = true;
      return;
    }
    extract_ordering(*event, options_);
    event->ordinal = summary.events++;
    if (!sink_(std::move(*event))) stopped = true;
  }

  void report_long(std::uint64_t number) {
    problem_(InputProblem{name_, number, 1,
                          "line longer than the limit of " + std::to_string(options_.max_line_bytes) +
                              " bytes; skipped"});
    ++summary.skipped;
    if (options_.stop_at_problem) stopped = true;
  }

  const std::string& name_;
  const EventReadOptions& options_;
  const std::function<bool(Event&&)>& sink_;
  const std::function<void(const InputProblem&)>& problem_;
};

}  // namespace

ReadSummary read_events(const std::string& path, const EventReadOptions& options,
                        const std::function<bool(Event&&)>& sink,
                        const std::function<void(const InputProblem&)>& problem,
                        const LiveReadOptions& live) {
  std::string name = path == "-" ? "<stdin>" : path;
  OpenInput opened;
  if (!opened.open_path(path, live)) {
    return failed(ReadSummary{}, name, std::string("cannot open: ") + std::strerror(errno), problem);
  }
  ChunkedInput input(
      [&opened](char* chunk, std::size_t size, std::string& error) { return opened.read(chunk, size, error); });
  LineEvents lines(name, options, sink, problem);
  if (!lines.read(input)) return lines.summary;
  if (!input.error.empty()) return failed(lines.summary, name, input.error, problem);
  if (lines.streaming || lines.stopped) return lines.summary;
  if (!input.rest(lines.consumed, options.max_document_bytes)) {
    return failed(lines.summary, name, too_large(options), problem);
  }
  if (!input.error.empty()) return failed(lines.summary, name, input.error, problem);
  return read_events_from_text(name, lines.consumed, options, sink, problem);
}

}  // namespace eql
