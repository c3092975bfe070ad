#include "eql/diagnostic.h"

#include <algorithm>
#include <string>

namespace eql {

const char* severity_name(Severity severity) {
  switch (severity) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

bool has_errors(const Diagnostics& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

LocatedDiagnostic locate(const Diagnostic& diagnostic, const SourceText& file,
                         const QueryOrigin& origin) {
  LocatedDiagnostic located;
  located.diagnostic = &diagnostic;
  located.begin = file.position_at(origin.to_file(diagnostic.span.begin));
  // The end is exclusive; a zero-width span ends where it begins.
  std::uint32_t end = diagnostic.span.end > diagnostic.span.begin ? diagnostic.span.end
                                                                   : diagnostic.span.begin;
  located.end = file.position_at(origin.to_file(end));
  return located;
}

namespace {

const char* severity_color(Severity severity) {
  switch (severity) {
    case Severity::Error: return "\033[1;31m";
    case Severity::Warning: return "\033[1;35m";
    case Severity::Note: return "\033[1;36m";
  }
  return "";
}

// Tabs are shown as one space each so the caret line lines up with the source line.
std::string displayable(std::string_view line) {
  std::string out(line);
  std::replace(out.begin(), out.end(), '\t', ' ');
  return out;
}

}  // namespace

std::string render(const Diagnostic& diagnostic, const SourceText& file,
                   const QueryOrigin& origin, const RenderOptions& options) {
  LocatedDiagnostic at = locate(diagnostic, file, origin);
  const char* bold = options.color ? "\033[1m" : "";
  const char* reset = options.color ? "\033[0m" : "";
  const char* tone = options.color ? severity_color(diagnostic.severity) : "";

  std::string out;
  out += bold;
  out += file.name() + ":" + std::to_string(at.begin.line) + ":" + std::to_string(at.begin.column) +
         ": ";
  out += reset;
  out += tone;
  out += severity_name(diagnostic.severity);
  out += ":";
  out += reset;
  out += " ";
  out += bold + diagnostic.message + reset + "\n";

  std::string_view source_line = file.line(at.begin.line);
  out += "   " + displayable(source_line) + "\n";
  std::uint32_t line_chars = count_characters(source_line);
  std::uint32_t width = 1;
  if (at.end.line == at.begin.line && at.end.column > at.begin.column) {
    width = at.end.column - at.begin.column;
  } else if (at.end.line > at.begin.line && line_chars + 1 > at.begin.column) {
    width = line_chars + 1 - at.begin.column;  // underline to the end of the first line
  }
  out += "   " + std::string(at.begin.column - 1, ' ') + tone + "^" +
         std::string(width > 1 ? width - 1 : 0, '~') + reset + "\n";
  if (!diagnostic.hint.empty()) {
    out += "   ";
    out += options.color ? "\033[1;36mhint:\033[0m " : "hint: ";
    out += diagnostic.hint + "\n";
  }
  return out;
}

}  // namespace eql
