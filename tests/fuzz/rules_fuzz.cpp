// libFuzzer target: the rule-file loader and `eql validate`'s query check.
// The input bytes are loaded as a detection-rules TOML file, as a Kibana export and as a
// plain .eql file (seeds are whole files of the first two kinds; loading the "wrong" format
// is cheap and exercises its error paths too). Properties checked on every input:
//   - loading never crashes, hangs or throws;
//   - every diagnostic (file syntax, rule fields, the rule's query) maps to a file offset
//     inside the file, and its line and column lie inside the file's text;
//   - every byte of a loaded query maps to a file byte that holds the same byte, or to the
//     backslash of the escape sequence that produced it, or to the '\r' of a CRLF that a
//     multi-line string reads as "\n"; offsets never go backwards;
//   - a query read from a TOML literal string ('...' or '''...''') maps byte for byte:
//     the file byte always equals the query byte (a CRLF, read as "\n", maps to its '\r').
// Any violation aborts with a message, which libFuzzer reports as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cli/validate.h"
#include "eql/diagnostic.h"
#include "eql/rules.h"
#include "eql/source.h"

namespace {

[[noreturn]] void fail(const eql::RuleFile& file, const char* what, std::uint32_t detail) {
  std::fprintf(stderr, "%s property violated (%s, %zu-byte file): %s [%u]\n",
               eql::rule_format_name(file.format), file.source.name().c_str(),
               file.source.text().size(), what, detail);
  std::abort();
}

void check_position(const eql::RuleFile& file, eql::Position at) {
  const eql::SourceText& source = file.source;
  if (at.line < 1 || at.line > source.line_count()) fail(file, "diagnostic line outside the file", at.line);
  std::uint32_t characters = eql::count_characters(source.line(at.line));
  // The column may sit one past the last character (a caret at the end of the line).
  if (at.column < 1 || at.column > characters + 1) fail(file, "diagnostic column outside its line", at.column);
}

void check_diagnostic(const eql::RuleFile& file, const eql::Diagnostic& diagnostic,
                      const eql::QueryOrigin& origin) {
  auto size = static_cast<std::uint32_t>(file.source.text().size());
  if (diagnostic.span.end < diagnostic.span.begin) fail(file, "diagnostic span ends before it begins", diagnostic.span.begin);
  if (origin.to_file(diagnostic.span.begin) > size) fail(file, "diagnostic begins after the end of the file", diagnostic.span.begin);
  if (origin.to_file(diagnostic.span.end) > size) fail(file, "diagnostic ends after the end of the file", diagnostic.span.end);
  eql::LocatedDiagnostic located = eql::locate(diagnostic, file.source, origin);
  check_position(file, located.begin);
  check_position(file, located.end);
  // Rendering reads the source line around the caret: it must cope with any position.
  std::string shown = eql::render(diagnostic, file.source, origin);
  if (shown.empty()) fail(file, "a diagnostic rendered as nothing", diagnostic.span.begin);
}

// Whether the query's first byte follows a TOML literal string's opening delimiter (`'` or
// `'''`, whose first newline is not part of the string).
bool from_toml_literal_string(std::string_view text, std::uint32_t first) {
  if (first == 0) return false;
  std::uint32_t before = first - 1;
  if (text[before] == '\n' && before >= 3) {
    std::uint32_t quote = before - 1;
    if (text[quote] == '\r') --quote;
    if (text.substr(quote - 2, 3) == "'''") return true;
  }
  return text[before] == '\'';
}

void check_query_origin(const eql::RuleFile& file, const eql::Rule& rule) {
  std::string_view text = file.source.text();
  auto size = static_cast<std::uint32_t>(text.size());
  const std::string& query = rule.query;
  bool literal = rule.format == eql::RuleFormat::Toml && !query.empty() &&
                 from_toml_literal_string(text, rule.query_origin.to_file(0));
  std::uint32_t previous = 0;
  for (std::uint32_t i = 0; i < query.size(); ++i) {
    std::uint32_t at = rule.query_origin.to_file(i);
    if (at >= size) fail(file, "query byte maps outside the file", i);
    if (at < previous) fail(file, "query origin goes backwards", i);
    previous = at;
    char in_file = text[at];
    if (in_file == query[i]) continue;
    // TOML reads a CRLF inside a multi-line string (literal or not) as "\n".
    bool crlf = rule.format == eql::RuleFormat::Toml && query[i] == '\n' && in_file == '\r' &&
                at + 1 < size && text[at + 1] == '\n';
    if (crlf) continue;
    if (literal) fail(file, "literal-string query byte differs from its file byte", i);
    bool escape = in_file == '\\' && rule.format != eql::RuleFormat::Eql;
    if (!escape) fail(file, "query byte differs from its file byte", i);
  }
  if (rule.query_origin.to_file(static_cast<std::uint32_t>(query.size())) > size)
    fail(file, "the query's end maps outside the file", static_cast<std::uint32_t>(query.size()));
}

void load_and_check(std::string_view bytes, eql::RuleFormat format) {
  eql::RuleFile file = eql::load_rule_text("fuzz-input", std::string(bytes), format);
  const eql::QueryOrigin whole_file;
  for (const eql::Diagnostic& diagnostic : file.diagnostics) check_diagnostic(file, diagnostic, whole_file);
  for (const eql::Rule& rule : file.rules) {
    for (const eql::Diagnostic& diagnostic : rule.field_diagnostics)
      check_diagnostic(file, diagnostic, whole_file);
    if (!rule.has_query) continue;
    check_query_origin(file, rule);
    for (const eql::Diagnostic& diagnostic : eql::cli::check_rule_query(rule))
      check_diagnostic(file, diagnostic, rule.query_origin);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  load_and_check(bytes, eql::RuleFormat::Toml);
  load_and_check(bytes, eql::RuleFormat::Kibana);
  load_and_check(bytes, eql::RuleFormat::Eql);
  return 0;
}
