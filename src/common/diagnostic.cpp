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

/// The part of a source line that is shown, and where the caret goes in it.
struct ShownLine {
  std::string text;
  std::uint32_t caret_column;  // 1-based, in characters of `text`
  std::uint32_t caret_width;
};

// A line longer than this many characters (a Kibana export holds a whole rule on one line)
// is cut to a window around the caret, marked with "..." at each cut end.
constexpr std::uint32_t kMaxShownCharacters = 120;
constexpr std::uint32_t kContextCharacters = 50;

ShownLine window_around(std::string_view line, std::uint32_t column, std::uint32_t width) {
  std::uint32_t total = count_characters(line);
  if (total <= kMaxShownCharacters) return {displayable(line), column, width};
  width = std::min(width, kMaxShownCharacters - kContextCharacters);
  std::uint32_t first = column > kContextCharacters ? column - kContextCharacters : 1;
  std::uint32_t last = std::min(total, first + kMaxShownCharacters - 1);
  // Byte offsets of the first and one-past-last shown characters.
  std::size_t begin_byte = line.size();
  std::size_t end_byte = line.size();
  std::uint32_t character = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) == 0x80) continue;
    ++character;
    if (character == first) begin_byte = i;
    if (character == last + 1) {
      end_byte = i;
      break;
    }
  }
  std::string text = first > 1 ? "..." : "";
  std::uint32_t caret = column - first + 1 + (first > 1 ? 3 : 0);
  text += displayable(line.substr(begin_byte, end_byte - begin_byte));
  if (last < total) text += "...";
  return {text, caret, width};
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
  out += bold + diagnostic.message + reset;
  if (options.show_code && !diagnostic.code.empty()) out += " [" + diagnostic.code + "]";
  out += "\n";

  std::string_view source_line = file.line(at.begin.line);
  std::uint32_t line_chars = count_characters(source_line);
  std::uint32_t width = 1;
  if (at.end.line == at.begin.line && at.end.column > at.begin.column) {
    width = at.end.column - at.begin.column;
  } else if (at.end.line > at.begin.line && line_chars + 1 > at.begin.column) {
    width = line_chars + 1 - at.begin.column;  // underline to the end of the first line
  }
  ShownLine shown = window_around(source_line, at.begin.column, width);
  out += "   " + shown.text + "\n";
  out += "   " + std::string(shown.caret_column - 1, ' ') + tone + "^" +
         std::string(shown.caret_width > 1 ? shown.caret_width - 1 : 0, '~') + reset + "\n";
  if (!diagnostic.hint.empty()) {
    out += "   ";
    out += options.color ? "\033[1;36mhint:\033[0m " : "hint: ";
    out += diagnostic.hint + "\n";
  }
  return out;
}

}  // namespace eql
