// The skipping scanner of parse_event (src/events/json_scan.cpp) against RapidJSON's reader,
// its oracle: over every event of the shared corpus and tests/data, fixed corner cases and
// thousands of random and mutated texts, each with no selection, an empty one and a few
// others, parse_event and parse_event_with_rapidjson must agree on acceptance, on the error
// message and offset, and on every filed path and value (kinds and bits included).
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "eql/event.h"
#include "events/flattener.h"
#include "events/json_scan.h"

using namespace eql;

namespace {

// Every path and value of an event, kinds and the bits of doubles included.
std::string describe(const Event& event) {
  std::string out;
  for (const Event::Entry& entry : event.entries()) {
    out.append(entry.path).append("=");
    for (const Value& value : event.values_of(entry)) {
      switch (value.kind) {
        case ValueKind::Null: out += "null"; break;
        case ValueKind::Bool: out += value.boolean ? "true" : "false"; break;
        case ValueKind::Int: out += "int:" + std::to_string(value.integer); break;
        case ValueKind::Double: {
          std::uint64_t bits;
          std::memcpy(&bits, &value.number, sizeof bits);
          out += "double:" + std::to_string(bits);
          break;
        }
        case ValueKind::String: out.append("string:").append(value.string); break;
      }
      out += ";";
    }
    out += "\n";
  }
  return out + "json:" + event.json();
}

struct Outcome {
  bool accepted = false;
  std::string text;  // the event described, or the error and its offset
};

template <class Parse>
Outcome outcome_of(Parse parse, std::string_view json, std::size_t max_nesting,
                   const std::shared_ptr<const FieldSelection>& selection) {
  std::string error;
  std::size_t offset = 0;
  std::optional<Event> event = parse(json, error, &offset, max_nesting, selection);
  if (!event) return {false, error + " at " + std::to_string(offset)};
  return {true, describe(*event)};
}

struct Tally {
  int passed = 0;
  int failed = 0;
  int scanned = 0;  // texts the scanner itself accepted (the rest fell back to RapidJSON)
  int accepted = 0;

  void check(std::string_view json, const std::shared_ptr<const FieldSelection>& selection,
             std::size_t max_nesting = kDefaultMaxNesting) {
    const Outcome ours = outcome_of(parse_event, json, max_nesting, selection);
    const Outcome oracle = outcome_of(parse_event_with_rapidjson, json, max_nesting, selection);
    Flattener flattener(max_nesting, 16 * json.size() + (1u << 20), selection.get());
    const std::size_t bom = json.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
    const std::string unmarked(json.substr(bom));  // ends with a NUL, as scan_event asks
    if (scan_event(unmarked, max_nesting, flattener)) ++scanned;
    if (oracle.accepted) ++accepted;
    if (ours.accepted == oracle.accepted && ours.text == oracle.text) {
      ++passed;
      return;
    }
    if (++failed <= 10) {
      MESSAGE("differs on ", std::string(json).substr(0, 400), "\n  scanner: ", ours.text,
              "\n  rapidjson: ", oracle.text);
    }
  }
};

std::shared_ptr<const FieldSelection> selection_of(const std::vector<std::string>& paths) {
  return std::make_shared<const FieldSelection>(paths);
}

// The paths RapidJSON's reader files for `json` (none when it refuses it).
std::vector<std::string> paths_of(std::string_view json) {
  std::string error;
  std::optional<Event> event = parse_event_with_rapidjson(json, error, nullptr, kDefaultMaxNesting, nullptr);
  std::vector<std::string> out;
  if (event) {
    for (std::string_view path : event->paths()) out.emplace_back(path);
  }
  return out;
}

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  bool chance(int percent) { return below(100) < static_cast<std::size_t>(percent); }
  template <class T>
  const T& pick(const std::vector<T>& items) { return items[below(items.size())]; }

  std::string event() { return object(0); }

  // A damaged copy of `text`: cut, a byte changed, a piece inserted or removed.
  std::string mutate(std::string text) {
    static const std::string bytes = std::string("{}[]:,\"\\/0123456789-+.eEtfnu \t\r\n\x01\x1f\x7f\xC3\xFF") + '\0';
    static const std::vector<std::string> pieces = {"\\u0000", "\\", "\"", "\\ud800", "\\udc00", "1e400", "-",
                                                    "{", "}", "[", "]", ",", ":", "\xEF\xBB\xBF", " \n",
                                                    std::string(1, '\0'), "\"a.b\":1,", "01", "0.", "1e"};
    const int rounds = 1 + static_cast<int>(below(3));
    for (int i = 0; i < rounds && !text.empty(); ++i) {
      const std::size_t at = below(text.size());
      switch (below(5)) {
        case 0: text.resize(at); break;
        case 1: text[at] = bytes[below(bytes.size())]; break;
        case 2: text.insert(at, pick(pieces)); break;
        case 3: text.erase(at, 1 + below(4)); break;
        default: text += pick(pieces); break;
      }
    }
    return text;
  }

  std::string number() {
    static const std::vector<std::string> odd = {
        "0", "-0", "-0.0", "0.0", "0e0", "1E+2", "1e-2", "-1", "1e400", "1e308", "1e309", "-1e400", "1E-400",
        "4.9e-324", "2.2250738585072014e-308", "1.7976931348623157e308", "1.7976931348623159e308",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "18446744073709551615", "18446744073709551616", "-18446744073709551616", "123456789012345678901234567890",
        "0.1", "0.30000000000000004", "1.5e22", "1e22", "1e23", "9007199254740993", "9007199254740993.0",
        "123456789012345.6", "0.000001", "1e-7", "100e-2", "1.0e+1", "5e-324", "1e0000000000000000000002",
        "1e-99999999999", "0.00000000000000000000000000000000001e30", "2147483647", "2147483648", "-2147483648",
        "-2147483649", "4294967295", "4294967296", "01", "1.", ".5", "+1", "-", "1e", "1e+", "--1", "0x10", "1.e5",
        "-01", "00", "1ee2", "Infinity", "NaN", "-Infinity", "0.9007199254740991", "0.9007199254740992",
        "9007199254740991e-22", "9007199254740991e22", "900719925474099.1e7", "0.692318737506866", "1e-22",
        "1e-23", "0.0000000000000000000001", "0.00000000000000000000001"};
    if (chance(50)) return pick(odd);
    std::string out = chance(30) ? "-" : "";
    const std::size_t digits = 1 + below(chance(20) ? 25 : 8);
    out += static_cast<char>('1' + below(9));
    for (std::size_t i = 1; i < digits; ++i) out += static_cast<char>('0' + below(10));
    if (chance(40)) {
      out += '.';
      const std::size_t fraction = 1 + below(chance(20) ? 20 : 6);
      for (std::size_t i = 0; i < fraction; ++i) out += static_cast<char>('0' + below(10));
    }
    if (chance(25)) {
      out += chance(50) ? 'e' : 'E';
      if (chance(50)) out += chance(50) ? '-' : '+';
      out += std::to_string(below(chance(20) ? 400 : 30));
    }
    return out;
  }

  std::string string_literal() {
    static const std::vector<std::string> pieces = {
        "plain", "a.b", "\\\"", "\\\\", "\\/", "\\b\\f\\n\\r\\t", "\\u0000", "\\u00e9", "\\u00E9", "\\uD83D\\uDE00",
        "\\ud83d\\ude00", "\xC3\xA9", "\xE6\x97\xA5", "\xF0\x9F\x98\x80", "\\uDC00", "\\uD800", "\\uD800\\u0041",
        "\\uD800\\uD800", "\\x", "\\u12", "\\u12G4", "\x01", "\x7f", "\t", " ", ".", "\\u002e", "C:\\\\Windows\\\\x"};
    std::string out = "\"";
    const std::size_t count = below(4);
    for (std::size_t i = 0; i < count; ++i) {
      if (chance(25)) {
        out.append(below(40), static_cast<char>('a' + below(26)));  // crosses 16-byte blocks
      } else {
        const std::string& piece = pick(pieces);
        // Raw control bytes and bad escapes stay rare, so that most texts are accepted.
        if ((piece[0] < 0x20 || piece == "\\x" || piece.rfind("\\u12", 0) == 0) && !chance(10)) continue;
        out += piece;
      }
    }
    return out + "\"";
  }

  std::string key() {
    static const std::vector<std::string> keys = {
        "\"a\"", "\"b\"", "\"c\"", "\"a.b\"", "\"process\"", "\"name\"", "\"x.y.z\"", "\"\"", "\"\\u0061\"",
        "\"a\\\"b\"", "\"k\\n\"", "\"\\u00e9t\\u00e9\"", "\"\xC3\xA9\"", "\"a.\"", "\".a\"", "\"\\u0000\""};
    return chance(85) ? pick(keys) : string_literal();
  }

  std::string space() {
    static const std::vector<std::string> spaces = {"", "", "", " ", "\n", "\t", "\r\n", "  "};
    return pick(spaces);
  }

  std::string value(int depth) {
    switch (below(depth < 6 ? 8 : 5)) {
      case 0: return string_literal();
      case 1: return number();
      case 2: return chance(50) ? "true" : (chance(50) ? "false" : "null");
      case 3: case 4: return chance(50) ? string_literal() : number();
      case 5: case 6: return object(depth + 1);
      default: return array(depth + 1);
    }
  }

  std::string object(int depth) {
    std::string out = "{" + space();
    const std::size_t members = below(depth == 0 ? 7 : 4);
    for (std::size_t i = 0; i < members; ++i) {
      if (i) out += "," + space();
      out += key() + space() + ":" + space() + value(depth) + space();
    }
    return out + "}";
  }

  std::string array(int depth) {
    std::string out = "[" + space();
    const std::size_t items = below(4);
    for (std::size_t i = 0; i < items; ++i) {
      if (i) out += "," + space();
      out += (chance(40) ? object(depth) : value(depth)) + space();
    }
    return out + "]";
  }

 private:
  std::mt19937_64 rng_;
};

// Every line of every NDJSON file below `root`.
std::vector<std::string> ndjson_lines(const std::filesystem::path& root) {
  std::vector<std::string> lines;
  if (!std::filesystem::exists(root)) return lines;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".ndjson") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines.push_back(line);
    }
  }
  return lines;
}

}  // namespace

TEST_CASE("json-scan: the scanner files what RapidJSON's reader files, over the corpus events") {
  std::vector<std::string> lines = ndjson_lines(std::filesystem::path(EQL_SHARED_DIR) / "corpus" / "events");
  REQUIRE_MESSAGE(!lines.empty(), "no corpus events under " EQL_SHARED_DIR);
  for (std::string& line : ndjson_lines(std::filesystem::path(EQL_SOURCE_DIR) / "tests" / "data")) {
    lines.push_back(std::move(line));
  }
  const auto ecs = selection_of({"@timestamp", "event.category", "event.code", "event.type", "host.name", "process.name",
                           "process.args", "process.parent.name", "process.pid", "user.name", "file.path",
                           "winlog.event_data.TargetUserName", "registry.path", "dns.question.name"});
  const auto nothing = selection_of({});
  Generator generator(7);
  Tally tally;
  for (const std::string& line : lines) {
    tally.check(line, nullptr);
    tally.check(line, nothing);
    tally.check(line, ecs);
    std::vector<std::string> some;
    for (const std::string& path : paths_of(line)) {
      if (generator.chance(10)) some.push_back(path);
    }
    tally.check(line, selection_of(some));
  }
  std::printf("json-scan-corpus: %d passed, %d failed (%zu events, %d checks taken by the scanner, %d accepted)\n",
              tally.passed, tally.failed, lines.size(), tally.scanned, tally.accepted);
  CHECK(tally.failed == 0);
  // Real events seldom if ever need the fallback.
  CHECK(tally.scanned * 100 >= tally.accepted * 95);
}

TEST_CASE("json-scan: fixed corner cases") {
  const std::string long_key(60000, 'k');
  std::string many_paths = "{\"" + long_key + "\":{";
  for (int i = 0; i < 60; ++i) many_paths += (i ? ",\"" : "\"") + std::to_string(i) + "\":1";
  many_paths += "}}";
  const std::vector<std::string> texts = {
      "{}", " {} ", "{}\n", "\xEF\xBB\xBF{\"a\":1}", "\xEF\xBB\xBF", " \xEF\xBB\xBF{}", "", " ", "[]", "[{}]", "1",
      "\"a\"", "null", "{} {}", "{}x", "{},", std::string("{}\0", 3), std::string("{\"a\":\"\0\"}", 9),
      std::string("{\"a\":1}\0{", 9), "{\"a\":\"\\u0000b\"}", "{\"\\u0000\":1}", "{\"a\":\"\\uDC00\"}",
      "{\"a\":\"\\uD800\"}", "{\"a\":\"\\uD800\\uDC00\"}", "{\"a\":\"\\uDBFF\\uDFFF\"}", "{\"a\":\"\\uD800x\"}",
      "{\"a\":\"\x1f\"}", "{\"a\":\"\x7f\"}", "{\"a\":\"\t\"}", "{\"a\"\f:1}", "{\"a\":1\v}", "{\"a\":[1,2,]}",
      "{\"a\":1,}", "{,}", "{\"a\"}", "{\"a\":}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":True}", "{\"a\":[}",
      "{\"a\":{\"b\":[1,{\"c\":2},[3,[4]]]}}", "{\"a\":1,\"a\":2,\"a.b\":3,\"a\":{\"b\":4}}", "{\"a\":[[],{},null]}",
      "{\"a\":1e400}", "{\"a\":{\"b\":1e400}}", "{\"a\":-1e400}", "{\"a\":1e308}", "{\"a\":1e-400}",
      "{\"a\":" + std::string(309, '9') + "}", "{\"a\":" + std::string(400, '1') + ".5}",
      "{\"a\":0." + std::string(400, '0') + "1e400}", "{\"a\":1" + std::string(400, '0') + "e-400}",
      many_paths, "{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}"};
  Tally tally;
  for (const std::string& text : texts) {
    for (const auto& selection : {std::shared_ptr<const FieldSelection>(), selection_of({}), selection_of({"a"}),
                                  selection_of({"a.b", "a.c"}), selection_of({"x"})}) {
      tally.check(text, selection);
      tally.check(text, selection, 3);
    }
  }
  std::printf("json-scan-corners: %d passed, %d failed (%d taken by the scanner, %d accepted)\n", tally.passed,
              tally.failed, tally.scanned, tally.accepted);
  CHECK(tally.failed == 0);
}

TEST_CASE("json-scan: random and mutated texts") {
  Generator generator(20261208);
  Tally tally;
  const std::vector<std::shared_ptr<const FieldSelection>> fixed = {
      nullptr, selection_of({}), selection_of({"a", "b", "a.b", "c.a"}), selection_of({"process.name", "x.y.z", "a.b.c"})};
  for (int round = 0; round < 6000; ++round) {
    const std::string text = generator.event();
    std::vector<std::string> some;
    for (const std::string& path : paths_of(text)) {
      if (generator.chance(30)) some.push_back(path);
    }
    const auto chosen = selection_of(some);
    const std::size_t nesting = generator.chance(10) ? 1 + generator.below(4) : kDefaultMaxNesting;
    for (const std::string& variant : {text, generator.mutate(text)}) {
      tally.check(variant, generator.pick(fixed), nesting);
      tally.check(variant, chosen, nesting);
    }
  }
  for (std::size_t depth : {1u, 2u, 999u, 1000u, 1001u}) {
    std::string arrays = "{\"a\":" + std::string(depth - 1, '[') + "1" + std::string(depth - 1, ']') + "}";
    std::string objects;
    for (std::size_t i = 0; i < depth; ++i) objects += "{\"a\":";
    objects += "1" + std::string(depth, '}');
    for (const std::string& text : {arrays, objects}) {
      tally.check(text, nullptr);
      tally.check(text, selection_of({}));
      tally.check(text, nullptr, 5);
      tally.check(text, nullptr, 2000);
    }
  }
  std::printf("json-scan-random: %d passed, %d failed (%d taken by the scanner, %d accepted)\n", tally.passed,
              tally.failed, tally.scanned, tally.accepted);
  CHECK(tally.failed == 0);
}
