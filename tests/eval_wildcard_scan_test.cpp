// One scan per field for the wildcard leaves (src/eval/wildcard_prefilter.h,
// equality_scan.cpp): a leaf the scan decides must answer what its own evaluation answers.
// The oracle is FilterProgram::trace(), which evaluates every leaf on its own, never through
// the scan; the scan runs in a context shared by all programs, as in `eql run`.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "eql/eval.h"
#include "eql/event.h"
#include "eql/parser.h"
#include "eql/rules.h"

using namespace eql;
namespace fs = std::filesystem;

namespace {

FilterProgram compile(const std::string& query) {
  ParseResult parsed = parse_query(query);
  REQUIRE(parsed.ok());
  FilterCompileResult compiled = compile_filter(*parsed.query->event(), {});
  REQUIRE(compiled.program);
  return *compiled.program;
}

Event event_of(const std::string& json) {
  std::string error;
  std::optional<Event> event = parse_event(json, error);
  REQUIRE_MESSAGE(event, error);
  return std::move(*event);
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Every program on every event, asked in the order given and then in reverse through one
// shared context, against trace() in a context of its own; the count of disagreements.
std::size_t disagreements(const std::vector<FilterProgram>& programs, const std::vector<Event>& events,
                          std::size_t& true_verdicts) {
  EvalContext shared;
  std::size_t wrong = 0;
  for (int order = 0; order < 2; ++order) {
    for (const Event& event : events) {
      for (std::size_t k = 0; k < programs.size(); ++k) {
        const std::size_t i = order == 0 ? k : programs.size() - 1 - k;
        EvalContext alone;
        FilterTrace trace;
        const bool expected = programs[i].trace(event, alone, trace);
        true_verdicts += expected ? 1 : 0;
        if (programs[i].matches(event, shared) != expected) {
          if (++wrong <= 10) MESSAGE(programs[i].describe() << " on " << event.json() << ": expected " << expected);
        }
      }
    }
  }
  return wrong;
}

}  // namespace

TEST_CASE("one scan per field: wildcard leaves decided together agree with each leaf evaluated alone") {
  // Patterns with and without case, short factors (`*.js`, `a*`, `*`), `?`, lists mixing
  // literals and wildcards, a non-ASCII pattern, a regex beside them (left to the leaf),
  // and equality leaves of the same field; values in and out of ASCII, arrays, numbers.
  const std::vector<std::string> queries{
      R"(process where process.name : "*.exe")",
      R"(process where process.name like "cmd*")",
      R"(process where process.name like~ "CMD*")",
      R"(process where process.name : ("*powershell*", "pwsh.exe", "?sh"))",
      R"(process where process.name : "*")",
      R"(process where process.name : ("a*", "*z"))",
      R"(process where process.name like "*\\temp\\*.js")",
      R"(process where process.name : "*\\TEMP\\*")",
      R"(process where process.name : "\u{C9}t\u{E9}*")",
      R"(process where process.name : "*\u{212A}ill*")",
      R"(process where process.name like ("*ill", "*ILL"))",
      R"(process where process.name : "1*")",
      R"(process where process.name regex~ ".*ll" or process.name : "*.bat")",
      R"(process where process.name == "kill" or process.name : "k?ll")",
      R"(process where not process.name : "*sh" and process.name != "cmd.exe")",
      R"(process where stringContains(process.name, "ow*sh"))",
      R"(process where endsWith~(process.name, "E?E"))",
      R"(process where process.name : "*exe" and process.parent.name : "*exe")",
  };
  const std::vector<std::string> names{
      R"("cmd.exe")", R"("CMD.EXE")", R"("powershell.exe")", R"("PowerShell.EXE")", R"("bash")", R"("zsh")",
      R"("c:\\users\\x\\temp\\a.js")", R"("C:\\Users\\X\\TEMP\\A.JS")", R"("kill")", R"("KILL")", R"("k!ll")",
      R"("\u00c9t\u00e9.exe")", R"("\u00e9t\u00e9.exe")", R"("\u212aill")", R"("skill")", R"("az")", R"("a")",
      R"("")", R"(12)", R"("12")", R"(true)", R"(null)", R"([])", R"(["bash","cmd.exe"])",
      R"(["x",null,"PWSH.EXE"])", R"([1,"cmd.exe"])", R"(["\u00e9","run.bat"])", R"("exe")", R"("ex")",
      R"("cmd.exe.bak")", R"("killer")", R"("xcmd")", R"("a\\temp\\b.js.txt")", R"("azz")", R"("b.a")"};
  std::vector<FilterProgram> programs;
  for (const std::string& query : queries) programs.push_back(compile(query));
  std::vector<Event> events;
  for (const std::string& name : names) {
    events.push_back(event_of(R"({"event":{"category":"process"},"process":{"name":)" + name + R"(}})"));
    events.push_back(event_of(R"({"event":{"category":"process"},"process":{"name":)" + name +
                              R"(,"parent":{"name":)" + name + R"(}}})"));
  }
  events.push_back(event_of(R"({"event":{"category":"process"}})"));
  std::size_t true_verdicts = 0;
  CHECK(disagreements(programs, events, true_verdicts) == 0);
  CHECK(true_verdicts > 100);  // the events make many leaves true, not only false
}

namespace {

// The JSON strings of a leaf's printed form (`(match $process.name like~ "*.exe")`).
std::vector<std::string> quoted_strings(const std::string& text) {
  std::vector<std::string> strings;
  for (std::size_t at = text.find('"'); at != std::string::npos; at = text.find('"', at)) {
    std::size_t end = at + 1;
    while (end < text.size() && text[end] != '"') end += text[end] == '\\' ? 2 : 1;
    if (end >= text.size()) break;
    const Event decoded = event_of("{\"s\":" + text.substr(at, end + 1 - at) + "}");
    if (decoded.first("s").kind == ValueKind::String) strings.emplace_back(decoded.first("s").string);
    at = end + 1;
  }
  return strings;
}

// Nested JSON objects from dotted paths; a path that is also another's prefix is dropped.
std::string nested_json(const std::map<std::string, std::string>& fields) {
  std::string out = "{";
  std::map<std::string, std::map<std::string, std::string>> groups;
  bool first = true;
  for (const auto& [path, value] : fields) {
    const std::size_t dot = path.find('.');
    if (dot == std::string::npos) {
      if (fields.lower_bound(path + ".") != fields.end() && fields.lower_bound(path + ".")->first.rfind(path + ".", 0) == 0) {
        continue;
      }
      out += std::string(first ? "" : ",") + json_string(path) + ":" + value;
      first = false;
    } else {
      groups[path.substr(0, dot)][path.substr(dot + 1)] = value;
    }
  }
  for (const auto& [head, rest] : groups) {
    if (fields.count(head) != 0) continue;
    out += std::string(first ? "" : ",") + json_string(head) + ":" + nested_json(rest);
    first = false;
  }
  return out + "}";
}

// A value a pattern matches, or nearly: `*` and `?` filled in, sometimes upper-cased or
// with a non-ASCII character put in.
std::string instantiate(const std::string& pattern, std::mt19937& random) {
  static const std::vector<std::string> fills{"", "x", "ab", "\\", "/", " -c ", "\xC3\xA9", "Q9"};
  std::string out;
  for (char c : pattern) {
    if (c == '*') {
      out += fills[random() % fills.size()];
    } else if (c == '?') {
      out += static_cast<char>('a' + random() % 26);
    } else {
      out += c;
    }
  }
  switch (random() % 10) {
    case 0: std::transform(out.begin(), out.end(), out.begin(), [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }); break;
    case 1: {  // the Kelvin sign, which folds to `k`; not inside another character
      const std::size_t at = random() % (out.size() + 1);
      if (at == out.size() || (static_cast<unsigned char>(out[at]) & 0xC0) != 0x80) out.insert(at, "\xE2\x84\xAA");
      break;
    }
    case 2: {  // one ASCII character less
      const std::size_t at = out.empty() ? 0 : random() % out.size();
      if (at < out.size() && static_cast<unsigned char>(out[at]) < 0x80) out.erase(at, 1);
      break;
    }
    case 3: out += ".bak"; break;  // what a `*run` pattern must not take for its end
    case 4: out = "x" + out; break;
    default: break;
  }
  return out;
}

}  // namespace

TEST_CASE("one scan per field: every corpus rule over events made from the rules' own patterns") {
  const fs::path root = fs::path(EQL_SHARED_DIR) / "corpus" / "detection-rules";
  if (!fs::exists(root)) return;  // dev machines only: ../shared is not needed to build
  LoadedRules loaded = load_rule_paths({root.string()});
  std::vector<FilterProgram> programs;
  std::map<std::string, std::vector<std::string>> strings_by_field;  // from every one-field leaf
  std::vector<std::vector<std::pair<std::string, std::string>>> strings_by_program;  // field, string
  for (const auto& file : loaded.files) {
    for (const auto& rule : file.rules) {
      if (!rule.has_query) continue;
      ParseResult parsed = parse_query(rule.query);
      if (!parsed.ok()) continue;
      std::vector<const ast::EventFilter*> stages;
      if (const auto* filter = parsed.query->event()) stages.push_back(filter);
      if (const auto* sequence = parsed.query->sequence()) {
        for (const auto& term : sequence->terms) stages.push_back(&term.filter);
      }
      FilterOptions options;
      if (!rule.event_category_override.empty()) options.category_field = rule.event_category_override;
      for (const auto* stage : stages) {
        FilterCompileResult compiled = compile_filter(*stage, options);
        if (!compiled.program || !compiled.program->aliases().empty()) continue;
        strings_by_program.emplace_back();
        for (const auto& use : compiled.program->leaf_uses()) {
          if (use.fields.size() != 1) continue;
          for (std::string& text : quoted_strings(use.text)) {
            strings_by_program.back().emplace_back(use.fields[0], text);
            strings_by_field[use.fields[0]].push_back(std::move(text));
          }
        }
        programs.push_back(*compiled.program);
      }
    }
  }
  REQUIRE(programs.size() > 1000);
  // One-leaf programs, so that each leaf's verdict is compared rather than only a rule's:
  // the strings of the fields with the most, as `:` (ignoring case) and `like` patterns.
  std::vector<std::pair<std::size_t, std::string>> busiest;
  for (const auto& [field, strings] : strings_by_field) {
    if (field.find_first_not_of("abcdefghijklmnopqrstuvwxyz_.") == std::string::npos) busiest.emplace_back(strings.size(), field);
  }
  std::sort(busiest.rbegin(), busiest.rend());
  busiest.resize(std::min<std::size_t>(busiest.size(), 8));
  std::mt19937 random(19);
  std::map<std::string, std::vector<std::string>> sampled;  // field -> patterns of one-leaf programs
  for (const auto& [count, field] : busiest) {
    const std::vector<std::string>& pool = strings_by_field[field];
    for (int n = 0; n < 150; ++n) {
      const std::string& pattern = pool[random() % pool.size()];
      std::string literal;
      for (char c : pattern) literal += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
      ParseResult parsed = parse_query("any where " + field + (n % 2 ? " like \"" : " : \"") + literal + "\"");
      if (!parsed.ok()) continue;
      FilterCompileResult compiled = compile_filter(*parsed.query->event(), {});
      if (!compiled.program) continue;
      programs.push_back(*compiled.program);
      sampled[field].push_back(pattern);
    }
  }
  std::vector<std::string> fields;
  for (const auto& [field, strings] : strings_by_field) fields.push_back(field);
  std::vector<Event> events;
  const std::vector<std::string> categories{"process", "file", "registry", "network", "library", "dns"};
  // Half the events fill every field of one program with its own strings, so that its
  // `and`s hold often enough for each leaf to count; the other half mix all programs'.
  for (int i = 0; i < 160; ++i) {
    std::map<std::string, std::string> values;
    values["event.category"] = json_string(categories[random() % categories.size()]);
    values["event.type"] = json_string(random() % 2 ? "start" : "creation");
    values["host.os.type"] = json_string(random() % 2 ? "windows" : "linux");
    if (i % 2 == 0) {
      const auto& own = strings_by_program[random() % strings_by_program.size()];
      for (const auto& [field, text] : own) {
        if (random() % 3 != 0) values[field] = json_string(instantiate(text, random));
      }
    }
    for (const auto& [field, patterns] : sampled) {
      std::string value;
      const auto count = static_cast<unsigned>(random() % 3) + 1;
      for (unsigned n = 0; n < count; ++n) {
        value += (n != 0 ? "," : "") + json_string(instantiate(patterns[random() % patterns.size()], random));
      }
      values[field] = count == 1 ? value : "[" + value + "]";
    }
    for (int k = 0; k < (i % 2 == 0 ? 10 : 40); ++k) {
      const std::string& field = fields[random() % fields.size()];
      const std::vector<std::string>& pool = strings_by_field[field];
      std::string value;
      const unsigned count = random() % 4;  // 0: one value; else an array of that many
      for (unsigned n = 0; n < std::max(count, 1u); ++n) {
        if (n != 0) value += ",";
        value += random() % 16 == 0 ? std::to_string(random() % 100) : json_string(instantiate(pool[random() % pool.size()], random));
      }
      values[field] = count == 0 ? value : "[" + value + "]";
    }
    events.push_back(event_of(nested_json(values)));
  }
  std::size_t true_verdicts = 0;
  CHECK(disagreements(programs, events, true_verdicts) == 0);
  MESSAGE("programs: " << programs.size() << ", events: " << events.size() << ", true verdicts: " << true_verdicts);
  CHECK(true_verdicts > 0);
}
