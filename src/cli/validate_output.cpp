// `eql validate` output: the summary line, and the text, json, sarif and github formats.
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <cctype>

#include "common/plural.h"
#include "cli/validate_report.h"

namespace eql::cli::validate_internal {

namespace {

const QueryOrigin kWholeFile;

}  // namespace

std::vector<PlacedDiagnostic> in_file_order(const RuleReport& report) {
  std::vector<PlacedDiagnostic> placed;
  if (report.rule == nullptr) return placed;
  for (const Diagnostic& diagnostic : report.rule_diagnostics) {
    placed.push_back({&diagnostic, &kWholeFile, diagnostic.span.begin});
  }
  const QueryOrigin& origin = report.rule->query_origin;
  for (const Diagnostic& diagnostic : report.query_diagnostics) {
    placed.push_back({&diagnostic, &origin, origin.to_file(diagnostic.span.begin)});
  }
  std::stable_sort(placed.begin(), placed.end(), [](const PlacedDiagnostic& a, const PlacedDiagnostic& b) {
    return a.file_offset < b.file_offset;
  });
  return placed;
}

void for_each_diagnostic(const FileReport& report,
                         const std::function<void(const Diagnostic&, const QueryOrigin&)>& visit) {
  for (const Diagnostic& diagnostic : report.file->diagnostics) visit(diagnostic, kWholeFile);
  for (const RuleReport& rule : report.rules) {
    for (const PlacedDiagnostic& placed : in_file_order(rule)) visit(*placed.diagnostic, *placed.origin);
  }
}

// ---- counts and the summary line ---------------------------------------------------------

std::size_t total(const Counts& counts) {
  std::size_t sum = 0;
  for (const auto& [name, count] : counts) sum += count;
  return sum;
}

std::size_t Tally::rules() const { return valid + invalid + total(skipped_languages); }

namespace {

// Largest count first; equal counts by name, so the order never depends on the input order.
std::vector<std::pair<std::string, std::size_t>> by_count(const Counts& counts) {
  std::vector<std::pair<std::string, std::size_t>> ordered(counts.begin(), counts.end());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return ordered;
}

std::string listed(const Counts& counts, bool pluralize) {
  std::string out;
  for (const auto& [name, count] : by_count(counts)) {
    if (!out.empty()) out += ", ";
    out += (pluralize ? noun(count, name) : name) + " " + std::to_string(count);
  }
  return out;
}

}  // namespace

void count_file(const FileReport& report, Tally& tally) {
  const RuleFile& file = *report.file;
  ++tally.files;
  if (file.unreadable) {
    ++tally.unreadable_files;
  } else if (has_errors(file.diagnostics)) {
    ++tally.files_with_errors;
  }
  for (const RuleReport& rule : report.rules) {
    if (rule.rule == nullptr) continue;
    for (const Diagnostics* list : {&rule.rule_diagnostics, &rule.query_diagnostics}) {
      for (const Diagnostic& d : *list) {
        if (d.severity == Severity::Warning) ++tally.warnings;
        if (d.severity == Severity::Note) ++tally.notes;
      }
    }
    ++(rule.invalid() ? tally.invalid : tally.valid);
  }
  for (const SkippedEntry& entry : file.skipped) {
    Counts& counts = entry.kind == SkippedEntry::Kind::RuleInOtherLanguage ? tally.skipped_languages
                                                                           : tally.skipped_objects;
    ++counts[entry.what];
  }
}

std::string summary_line(const Tally& tally) {
  std::string line = count_of(tally.files, "file") + ": " + count_of(tally.valid, "EQL rule") +
                     " valid, " + std::to_string(tally.invalid) + " invalid";
  if (std::size_t skipped = total(tally.skipped_languages); skipped > 0) {
    line += "; " + count_of(skipped, "rule") + " in other languages skipped (" +
            listed(tally.skipped_languages, false) + ")";
  }
  if (std::size_t objects = total(tally.skipped_objects); objects > 0) {
    line += "; " + count_of(objects, "other object") + " skipped (" +
            listed(tally.skipped_objects, true) + ")";
  }
  if (tally.unreadable_files > 0) line += "; " + count_of(tally.unreadable_files, "file") + " unreadable";
  if (tally.files_with_errors > 0) {
    line += "; " + count_of(tally.files_with_errors, "file") + " with errors";
  }
  if (tally.warnings > 0) line += "; " + count_of(tally.warnings, "warning");
  if (tally.notes > 0) line += "; " + count_of(tally.notes, "note");
  return line;
}

// ---- text and github ---------------------------------------------------------------------

bool is_shown(const Diagnostic& diagnostic, const TextOptions& options) {
  switch (options.shown) {
    case Shown::SummaryOnly: return false;
    case Shown::ErrorsOnly: return diagnostic.severity == Severity::Error;
    case Shown::All: break;
  }
  // Notes (e.g. a package without an embedded schema) are counted; shown on request.
  return diagnostic.severity != Severity::Note || options.notes;
}

void write_text(const FileReport& report, const TextOptions& options, std::string& out) {
  RenderOptions render_options;
  render_options.color = options.color;
  render_options.show_code = true;
  for_each_diagnostic(report, [&](const Diagnostic& diagnostic, const QueryOrigin& origin) {
    if (is_shown(diagnostic, options)) {
      out += render(diagnostic, report.file->source, origin, render_options);
    }
  });
}

namespace {

// GitHub workflow commands: data escapes %, CR and LF; property values also `:` and `,`.
std::string github_escaped(std::string_view text, bool property) {
  std::string out;
  for (char c : text) {
    if (c == '%') out += "%25";
    else if (c == '\r') out += "%0D";
    else if (c == '\n') out += "%0A";
    else if (property && c == ':') out += "%3A";
    else if (property && c == ',') out += "%2C";
    else out += c;
  }
  return out;
}

const char* github_command(Severity severity) {
  switch (severity) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "notice";
  }
  return "error";
}

}  // namespace

void write_github(const FileReport& report, const TextOptions& options, std::string& out) {
  const SourceText& source = report.file->source;
  for_each_diagnostic(report, [&](const Diagnostic& diagnostic, const QueryOrigin& origin) {
    if (!is_shown(diagnostic, options)) return;
    LocatedDiagnostic at = locate(diagnostic, source, origin);
    std::string message = diagnostic.message;
    if (!diagnostic.hint.empty()) message += "\nhint: " + diagnostic.hint;
    out += "::";
    out += github_command(diagnostic.severity);
    out += " file=" + github_escaped(source.name(), true) + ",line=" +
           std::to_string(at.begin.line) + ",col=" + std::to_string(at.begin.column);
    if (at.end.line == at.begin.line && at.end.column > at.begin.column) {
      out += ",endColumn=" + std::to_string(at.end.column);
    }
    out += ",title=" + github_escaped(diagnostic.code, true) + "::" +
           github_escaped(message, false) + "\n";
  });
}

// ---- JSON --------------------------------------------------------------------------------

namespace {

using JsonWriter = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void write_string(JsonWriter& json, const char* key, const std::string& value) {
  json.Key(key);
  json.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void write_count(JsonWriter& json, const char* key, std::size_t value) {
  json.Key(key);
  json.Uint64(value);
}

void write_counts(JsonWriter& json, const char* key, const Counts& counts) {
  json.Key(key);
  json.StartObject();
  for (const auto& [name, count] : by_count(counts)) write_count(json, name.c_str(), count);
  json.EndObject();
}

void write_diagnostic(JsonWriter& json, const Diagnostic& diagnostic, const SourceText& source,
                      const QueryOrigin& origin) {
  LocatedDiagnostic at = locate(diagnostic, source, origin);
  json.StartObject();
  write_string(json, "severity", severity_name(diagnostic.severity));
  write_string(json, "code", diagnostic.code);
  write_string(json, "message", diagnostic.message);
  write_count(json, "line", at.begin.line);
  write_count(json, "column", at.begin.column);
  write_count(json, "end_line", at.end.line);
  write_count(json, "end_column", at.end.column);
  if (!diagnostic.hint.empty()) write_string(json, "hint", diagnostic.hint);
  json.EndObject();
}

void write_rule(JsonWriter& json, const RuleReport& report) {
  const SourceText& source = report.file->source;
  json.StartObject();
  write_string(json, "file", source.name());
  write_string(json, "format", rule_format_name(report.file->format));
  write_count(json, "line", source.position_at(report.file_offset).line);
  if (report.rule != nullptr) {
    const Rule& rule = *report.rule;
    write_string(json, "rule_id", rule.rule_id);
    write_string(json, "name", rule.name);
    write_string(json, "language", rule.language);
    write_string(json, "type", rule.type);
    write_string(json, "status", report.invalid() ? "invalid" : "valid");
  } else {
    const SkippedEntry& entry = *report.skipped;
    write_string(json, "rule_id", entry.rule_id);
    write_string(json, "name", entry.name);
    write_string(json, "language", entry.what);
    write_string(json, "type", entry.type);
    write_string(json, "status", "skipped");
  }
  json.Key("diagnostics");
  json.StartArray();
  for (const PlacedDiagnostic& placed : in_file_order(report)) {
    write_diagnostic(json, *placed.diagnostic, source, *placed.origin);
  }
  json.EndArray();
  json.EndObject();
}

void write_summary(JsonWriter& json, const Tally& tally, int exit_code) {
  json.Key("summary");
  json.StartObject();
  write_count(json, "files", tally.files);
  write_count(json, "eql_rules", tally.valid + tally.invalid);
  write_count(json, "valid", tally.valid);
  write_count(json, "invalid", tally.invalid);
  write_count(json, "skipped_rules", total(tally.skipped_languages));
  write_counts(json, "skipped_languages", tally.skipped_languages);
  write_count(json, "skipped_objects", total(tally.skipped_objects));
  write_counts(json, "skipped_object_kinds", tally.skipped_objects);
  write_count(json, "unreadable_files", tally.unreadable_files);
  write_count(json, "files_with_errors", tally.files_with_errors);
  write_count(json, "warnings", tally.warnings);
  write_count(json, "notes", tally.notes);
  json.Key("exit_code");
  json.Int(exit_code);
  write_string(json, "text", summary_line(tally));
  json.EndObject();
}

}  // namespace

std::string json_document(const std::vector<FileReport>& reports, const Tally& tally,
                          const std::vector<std::string>& io_errors, int exit_code) {
  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.SetIndent(' ', 2);
  json.StartObject();
  write_summary(json, tally, exit_code);
  json.Key("rules");
  json.StartArray();
  for (const FileReport& file : reports) {
    for (const RuleReport& report : file.rules) write_rule(json, report);
  }
  json.EndArray();

  json.Key("file_errors");
  json.StartArray();
  const QueryOrigin whole_file;
  for (const FileReport& report : reports) {
    const RuleFile& file = *report.file;
    if (file.diagnostics.empty()) continue;
    json.StartObject();
    write_string(json, "file", file.source.name());
    json.Key("unreadable");
    json.Bool(file.unreadable);
    json.Key("diagnostics");
    json.StartArray();
    for (const Diagnostic& diagnostic : file.diagnostics) {
      write_diagnostic(json, diagnostic, file.source, whole_file);
    }
    json.EndArray();
    json.EndObject();
  }
  json.EndArray();

  json.Key("io_errors");
  json.StartArray();
  for (const std::string& error : io_errors) {
    json.String(error.data(), static_cast<rapidjson::SizeType>(error.size()));
  }
  json.EndArray();
  json.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

// ---- SARIF 2.1.0 -------------------------------------------------------------------------

namespace {

const char* sarif_level(Severity severity) {
  switch (severity) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

// A relative URI reference for a path: forward slashes, and the characters a URI cannot
// hold percent-encoded.
std::string file_uri(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : path) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += '/';
    } else if (std::isalnum(byte) || std::string_view("/-._~:@!$&'()*+,;=").find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

void write_sarif_result(JsonWriter& json, const Diagnostic& diagnostic, const SourceText& source,
                        const QueryOrigin& origin, std::size_t rule_index) {
  LocatedDiagnostic at = locate(diagnostic, source, origin);
  json.StartObject();
  write_string(json, "ruleId", diagnostic.code);
  write_count(json, "ruleIndex", rule_index);
  write_string(json, "level", sarif_level(diagnostic.severity));
  json.Key("message");
  json.StartObject();
  std::string text = diagnostic.message;
  if (!diagnostic.hint.empty()) text += "\nhint: " + diagnostic.hint;
  write_string(json, "text", text);
  json.EndObject();
  json.Key("locations");
  json.StartArray();
  json.StartObject();
  json.Key("physicalLocation");
  json.StartObject();
  json.Key("artifactLocation");
  json.StartObject();
  write_string(json, "uri", file_uri(source.name()));
  json.EndObject();
  json.Key("region");
  json.StartObject();
  write_count(json, "startLine", at.begin.line);
  write_count(json, "startColumn", at.begin.column);
  write_count(json, "endLine", at.end.line);
  write_count(json, "endColumn", at.end.column);
  json.EndObject();
  json.EndObject();
  json.EndObject();
  json.EndArray();
  json.EndObject();
}

}  // namespace

std::string sarif_document(const std::vector<FileReport>& reports) {
  // The rules of the run are the codes that occur, in order of first appearance.
  std::vector<std::string> codes;
  for (const FileReport& report : reports) {
    for_each_diagnostic(report, [&](const Diagnostic& diagnostic, const QueryOrigin&) {
      if (std::find(codes.begin(), codes.end(), diagnostic.code) == codes.end()) {
        codes.push_back(diagnostic.code);
      }
    });
  }
  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.SetIndent(' ', 2);
  json.StartObject();
  write_string(json, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
  write_string(json, "version", "2.1.0");
  json.Key("runs");
  json.StartArray();
  json.StartObject();
  json.Key("tool");
  json.StartObject();
  json.Key("driver");
  json.StartObject();
  write_string(json, "name", "eql");
  write_string(json, "version", EQL_VERSION);
  json.Key("rules");
  json.StartArray();
  for (const std::string& code : codes) {
    json.StartObject();
    write_string(json, "id", code);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  json.EndObject();
  json.Key("results");
  json.StartArray();
  for (const FileReport& report : reports) {
    for_each_diagnostic(report, [&](const Diagnostic& diagnostic, const QueryOrigin& origin) {
      auto index = static_cast<std::size_t>(
          std::find(codes.begin(), codes.end(), diagnostic.code) - codes.begin());
      write_sarif_result(json, diagnostic, report.file->source, origin, index);
    });
  }
  json.EndArray();
  json.EndObject();
  json.EndArray();
  json.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

}  // namespace eql::cli::validate_internal
