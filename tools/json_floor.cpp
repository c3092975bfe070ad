// eql-json-floor: the reference reader of the benchmarks (tools/bench_run.sh,
// docs/performance.md). It does the least any JSON event engine must do with an NDJSON
// file: read it in large blocks and parse every line into a RapidJSON in-situ DOM, then
// drop it. No field table, no query. `eql` runs are reported against its CPU time, so that
// "how far from the floor" does not depend on our own parser's cost.
//
//   eql-json-floor FILE...      (or standard input when no file is given)
//
// Prints "<events> events, <invalid> invalid lines, <members> top-level members" on
// standard output (the member count keeps the compiler from dropping the parse) and exits 0,
// or 2 when a file cannot be read.
// SSE2 scanning on, as in eql's own event parser (src/events/simd_json.h): the reference is
// the best RapidJSON does, not a slower configuration.
#define RAPIDJSON_SSE2
#include <rapidjson/document.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Counts {
  unsigned long long events = 0;
  unsigned long long invalid = 0;
  unsigned long long members = 0;
};

// Parses one line in place (the line is changed: in-situ parsing decodes strings where
// they are). The line must end with a NUL byte.
void parse_line(char* line, std::size_t length, Counts& counts) {
  while (length > 0 && (line[length - 1] == '\r' || line[length - 1] == ' ')) line[--length] = '\0';
  if (length == 0) return;
  rapidjson::Document document;
  document.ParseInsitu(line);
  if (document.HasParseError() || !document.IsObject()) {
    ++counts.invalid;
    return;
  }
  ++counts.events;
  counts.members += document.MemberCount();
}

// Reads a stream in 1 MiB blocks; a line that spans blocks is carried to the next one.
// The buffer ends with padding: RapidJSON's SSE2 scanning (on for this program, as for eql's
// event parser) reads aligned 16-byte blocks, up to 15 bytes past a line's closing NUL.
bool read_stream(std::FILE* stream, Counts& counts) {
  constexpr std::size_t block = 1 << 20;
  constexpr std::size_t padding = 16;
  std::vector<char> buffer(block + 1 + padding);
  std::size_t carried = 0;
  for (;;) {
    std::size_t room = buffer.size() - 1 - padding;  // the last line's NUL needs one more byte
    if (carried == room) {                           // a very long line
      buffer.resize(buffer.size() * 2);
      room = buffer.size() - 1 - padding;
    }
    std::size_t got = std::fread(buffer.data() + carried, 1, room - carried, stream);
    std::size_t filled = carried + got;
    bool at_end = got == 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i < filled; ++i) {
      if (buffer[i] != '\n') continue;
      buffer[i] = '\0';
      parse_line(buffer.data() + start, i - start, counts);
      start = i + 1;
    }
    if (at_end) {
      if (start < filled) {
        buffer[filled] = '\0';
        parse_line(buffer.data() + start, filled - start, counts);
      }
      return std::ferror(stream) == 0;
    }
    carried = filled - start;
    std::memmove(buffer.data(), buffer.data() + start, carried);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Counts counts;
  std::vector<std::string> files(argv + 1, argv + argc);
  if (files.empty()) files.push_back("-");
  for (const std::string& file : files) {
    std::FILE* stream = file == "-" ? stdin : std::fopen(file.c_str(), "rb");
    if (stream == nullptr) {
      std::fprintf(stderr, "eql-json-floor: %s: %s\n", file.c_str(), std::strerror(errno));
      return 2;
    }
    bool ok = read_stream(stream, counts);
    if (stream != stdin) std::fclose(stream);
    if (!ok) {
      std::fprintf(stderr, "eql-json-floor: %s: read error\n", file.c_str());
      return 2;
    }
  }
  std::printf("%llu events, %llu invalid lines, %llu top-level members\n", counts.events,
              counts.invalid, counts.members);
  return 0;
}
