// `eql validate PATH...`: load every rule file, parse every EQL query, report each problem in
// the rule file's own lines and columns, then one summary line (or one JSON document).
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/validate.h"
#include "eql/checker.h"
#include "eql/parser.h"
#include "eql/schema.h"

namespace eql::cli {

namespace {

constexpr const char* kValidateUsage =
    "usage: eql validate [options] PATH...\n"
    "\n"
    "Checks EQL rules: detection-rules TOML files, Kibana rule exports (.ndjson) and plain\n"
    ".eql files. Directories are searched recursively for .toml, .ndjson and .eql files.\n"
    "Every problem is reported at its line and column in the rule file, then one summary.\n"
    "Each query is parsed with Elasticsearch's syntax, then type-checked against the\n"
    "schema its rule targets (ECS, index-pattern fields, integration packages: embedded).\n"
    "\n"
    "options:\n"
    "  --schema FILE          add a schema ({\"field\": \"es_type\"} or ECS flat); repeatable\n"
    "  --syntax-only          parse only: no schema, no type checks\n"
    "  --notes                also print notes (e.g. packages without an embedded schema)\n"
    "  --format text|json     output format (default text); json prints one document\n"
    "  --color auto|always|never\n"
    "                         colour the text output (default auto: when stdout is a terminal)\n"
    "  -q, --quiet            text format: print only the summary line\n"
    "  -h, --help             this text\n"
    "\n"
    "exit codes: 0 every EQL rule is valid, 1 a rule or file has an error,\n"
    "            2 usage error or a path that cannot be read\n";

enum class OutputFormat { Text, Json };
enum class ColorMode { Auto, Always, Never };

struct ValidateOptions {
  std::vector<std::string> paths;
  OutputFormat format = OutputFormat::Text;
  ColorMode color = ColorMode::Auto;
  bool quiet = false;
  bool help = false;
  bool notes = false;        ///< also print notes (packages without an embedded schema)
  bool syntax_only = false;  ///< parse only: no schema, no type checks
  std::vector<std::string> schemas;  ///< --schema FILE, searched before the embedded tables
};

bool names_option(std::string_view argument, std::string_view name) {
  return argument == name ||
         (argument.size() > name.size() && argument.substr(0, name.size()) == name &&
          argument[name.size()] == '=');
}

// Reads the arguments; returns an error message for a usage mistake.
std::optional<std::string> read_options(Args args, ValidateOptions& options) {
  ArgReader reader(args);
  bool only_paths = false;
  while (!reader.done()) {
    std::string_view current = reader.peek();
    if (only_paths || current.empty() || current[0] != '-' || current == "-") {
      options.paths.emplace_back(reader.next());
      continue;
    }
    if (current == "--") {
      reader.next();
      only_paths = true;
    } else if (reader.flag("--help") || reader.flag("-h")) {
      options.help = true;
    } else if (reader.flag("--quiet") || reader.flag("-q")) {
      options.quiet = true;
    } else if (reader.flag("--notes")) {
      options.notes = true;
    } else if (reader.flag("--syntax-only")) {
      options.syntax_only = true;
    } else if (names_option(current, "--schema")) {
      std::string error;
      auto schema = reader.option_value("--schema", error);
      if (!schema) return error;
      options.schemas.push_back(*schema);
    } else if (names_option(current, "--format")) {
      std::string error;
      auto format = reader.option_value("--format", error);
      if (!format) return error;
      if (*format == "text") {
        options.format = OutputFormat::Text;
      } else if (*format == "json") {
        options.format = OutputFormat::Json;
      } else {
        return "unknown format '" + *format + "' (use text or json)";
      }
    } else if (names_option(current, "--color")) {
      std::string error;
      auto color = reader.option_value("--color", error);
      if (!color) return error;
      if (*color == "auto") {
        options.color = ColorMode::Auto;
      } else if (*color == "always") {
        options.color = ColorMode::Always;
      } else if (*color == "never") {
        options.color = ColorMode::Never;
      } else {
        return "unknown colour mode '" + *color + "' (use auto, always or never)";
      }
    } else {
      return "unknown option '" + std::string(current) + "'";
    }
  }
  if (!options.help && options.paths.empty()) return std::string("no PATH given");
  return std::nullopt;
}

// ---- verdicts ----------------------------------------------------------------------------

/// One line of the per-rule report: an EQL rule with its verdict, or a skipped rule.
struct RuleReport {
  const RuleFile* file = nullptr;
  const Rule* rule = nullptr;            ///< set for EQL rules
  const SkippedEntry* skipped = nullptr;  ///< set for rules in other languages
  Diagnostics query_diagnostics;         ///< query coordinates
  std::uint32_t file_offset = 0;

  bool invalid() const {
    return rule != nullptr && (has_errors(rule->field_diagnostics) || has_errors(query_diagnostics));
  }
};

using Counts = std::map<std::string, std::size_t>;

struct Tally {
  std::size_t files = 0;
  std::size_t valid = 0;
  std::size_t invalid = 0;
  Counts skipped_languages;
  Counts skipped_objects;
  std::size_t unreadable_files = 0;
  std::size_t files_with_errors = 0;  ///< file-level errors, readable files only
  std::size_t warnings = 0;
  std::size_t notes = 0;
};

std::size_t total(const Counts& counts) {
  std::size_t sum = 0;
  for (const auto& [name, count] : counts) sum += count;
  return sum;
}

// Largest count first; equal counts by name, so the order never depends on the input order.
std::vector<std::pair<std::string, std::size_t>> by_count(const Counts& counts) {
  std::vector<std::pair<std::string, std::size_t>> ordered(counts.begin(), counts.end());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return ordered;
}

std::string plural(std::size_t count, const std::string& noun) {
  if (count == 1) return noun;
  if (noun.size() > 1 && noun.back() == 'y') return noun.substr(0, noun.size() - 1) + "ies";
  return noun + "s";
}

std::string counted(std::size_t count, const std::string& noun) {
  return std::to_string(count) + " " + plural(count, noun);
}

std::string listed(const Counts& counts, bool pluralize) {
  std::string out;
  for (const auto& [name, count] : by_count(counts)) {
    if (!out.empty()) out += ", ";
    out += (pluralize ? plural(count, name) : name) + " " + std::to_string(count);
  }
  return out;
}

std::string summary_line(const Tally& tally) {
  std::string line = counted(tally.files, "file") + ": " + counted(tally.valid, "EQL rule") +
                     " valid, " + std::to_string(tally.invalid) + " invalid";
  if (std::size_t skipped = total(tally.skipped_languages); skipped > 0) {
    line += "; " + counted(skipped, "rule") + " in other languages skipped (" +
            listed(tally.skipped_languages, false) + ")";
  }
  if (std::size_t objects = total(tally.skipped_objects); objects > 0) {
    line += "; " + counted(objects, "other object") + " skipped (" +
            listed(tally.skipped_objects, true) + ")";
  }
  if (tally.unreadable_files > 0) line += "; " + counted(tally.unreadable_files, "file") + " unreadable";
  if (tally.files_with_errors > 0) {
    line += "; " + counted(tally.files_with_errors, "file") + " with errors";
  }
  if (tally.warnings > 0) line += "; " + counted(tally.warnings, "warning");
  if (tally.notes > 0) line += "; " + counted(tally.notes, "note");
  return line;
}

std::vector<RuleReport> check_file(const RuleFile& file, const CheckContext& context) {
  std::vector<RuleReport> reports;
  for (const Rule& rule : file.rules) {
    RuleReport report;
    report.file = &file;
    report.rule = &rule;
    report.query_diagnostics = check_rule_query(rule, context);
    report.file_offset = rule.file_offset;
    reports.push_back(std::move(report));
  }
  for (const SkippedEntry& entry : file.skipped) {
    if (entry.kind != SkippedEntry::Kind::RuleInOtherLanguage) continue;
    RuleReport report;
    report.file = &file;
    report.skipped = &entry;
    report.file_offset = entry.file_offset;
    reports.push_back(std::move(report));
  }
  std::stable_sort(reports.begin(), reports.end(),
                   [](const RuleReport& a, const RuleReport& b) { return a.file_offset < b.file_offset; });
  return reports;
}

void count_file(const RuleFile& file, const std::vector<RuleReport>& reports, Tally& tally) {
  ++tally.files;
  if (file.unreadable) {
    ++tally.unreadable_files;
  } else if (has_errors(file.diagnostics)) {
    ++tally.files_with_errors;
  }
  for (const RuleReport& report : reports) {
    if (report.rule == nullptr) continue;
    for (const Diagnostic& d : report.query_diagnostics) {
      if (d.severity == Severity::Warning) ++tally.warnings;
      if (d.severity == Severity::Note) ++tally.notes;
    }
    if (report.invalid()) {
      ++tally.invalid;
    } else {
      ++tally.valid;
    }
  }
  for (const SkippedEntry& entry : file.skipped) {
    Counts& counts = entry.kind == SkippedEntry::Kind::RuleInOtherLanguage ? tally.skipped_languages
                                                                           : tally.skipped_objects;
    ++counts[entry.what];
  }
}

// ---- text output -------------------------------------------------------------------------

void write_text(const RuleFile& file, const std::vector<RuleReport>& reports, bool color,
                bool show_notes, std::string& out) {
  const QueryOrigin whole_file;
  RenderOptions options;
  options.color = color;
  for (const Diagnostic& diagnostic : file.diagnostics) {
    out += render(diagnostic, file.source, whole_file, options);
  }
  for (const RuleReport& report : reports) {
    if (report.rule == nullptr) continue;
    for (const Diagnostic& diagnostic : report.rule->field_diagnostics) {
      out += render(diagnostic, file.source, whole_file, options);
    }
    for (const Diagnostic& diagnostic : report.query_diagnostics) {
      // Notes (e.g. a package without an embedded schema) are counted; shown on request.
      if (diagnostic.severity == Severity::Note && !show_notes) continue;
      out += render(diagnostic, file.source, report.rule->query_origin, options);
    }
  }
}

// ---- JSON output -------------------------------------------------------------------------

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
    json.Key("diagnostics");
    json.StartArray();
    const QueryOrigin whole_file;
    for (const Diagnostic& diagnostic : rule.field_diagnostics) {
      write_diagnostic(json, diagnostic, source, whole_file);
    }
    for (const Diagnostic& diagnostic : report.query_diagnostics) {
      write_diagnostic(json, diagnostic, source, rule.query_origin);
    }
    json.EndArray();
  } else {
    const SkippedEntry& entry = *report.skipped;
    write_string(json, "rule_id", entry.rule_id);
    write_string(json, "name", entry.name);
    write_string(json, "language", entry.what);
    write_string(json, "type", entry.type);
    write_string(json, "status", "skipped");
    json.Key("diagnostics");
    json.StartArray();
    json.EndArray();
  }
  json.EndObject();
}

std::string json_document(const std::vector<RuleFile>& files,
                          const std::vector<std::vector<RuleReport>>& reports, const Tally& tally,
                          const std::vector<std::string>& io_errors, int exit_code) {
  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.SetIndent(' ', 2);
  json.StartObject();
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

  json.Key("rules");
  json.StartArray();
  for (const auto& file_reports : reports) {
    for (const RuleReport& report : file_reports) write_rule(json, report);
  }
  json.EndArray();

  json.Key("file_errors");
  json.StartArray();
  const QueryOrigin whole_file;
  for (const RuleFile& file : files) {
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
  for (const std::string& error : io_errors) json.String(error.data(), static_cast<rapidjson::SizeType>(error.size()));
  json.EndArray();
  json.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

}  // namespace

Diagnostics check_rule_query(const Rule& rule, const CheckContext& context) {
  if (!rule.has_query) return {};
  // Default options are Elasticsearch's syntax: the hunting pipes it refuses are errors.
  ParseResult parsed = parse_query(rule.query, ParseOptions{});
  Diagnostics out = std::move(parsed.diagnostics);
  if (!parsed.query || context.syntax_only) return out;
  // The schema this rule is checked against, chosen as detection-rules does.
  SchemaRequest request;
  request.index = rule.index;
  request.integrations = rule.integrations;
  request.datasets = query_datasets(*parsed.query);
  request.user_tables = context.user_tables;
  Schema schema = select_schema(request);
  CheckOptions options;
  if (!rule.event_category_override.empty()) options.category_field = rule.event_category_override;
  options.query_text = rule.query;
  Diagnostics found = check_query(*parsed.query, schema, options);
  out.insert(out.end(), schema.notes.begin(), schema.notes.end());
  out.insert(out.end(), found.begin(), found.end());
  return out;
}

ValidateRun validate_command(Args args, bool stdout_terminal) {
  ValidateRun run;
  ValidateOptions options;
  if (auto usage_error = read_options(args, options)) {
    run.err = "eql validate: " + *usage_error + "\n\n" + kValidateUsage;
    run.exit_code = kExitUsage;
    return run;
  }
  if (options.help) {
    run.out = kValidateUsage;
    return run;
  }
  bool color = options.color == ColorMode::Always ||
               (options.color == ColorMode::Auto && stdout_terminal);

  CheckContext context;
  context.syntax_only = options.syntax_only;
  for (const std::string& path : options.schemas) {
    Diagnostics problems;
    auto table = load_schema_file(path, problems);
    for (const Diagnostic& problem : problems) {
      run.err += "eql validate: schema " + path + ": " + problem.message + "\n";
    }
    if (!table || has_errors(problems)) {
      run.exit_code = kExitUsage;
      return run;
    }
    context.user_tables.push_back(std::move(table));
  }

  LoadedRules loaded = load_rule_paths(options.paths);
  for (const std::string& error : loaded.io_errors) run.err += "eql validate: " + error + "\n";

  Tally tally;
  std::vector<std::vector<RuleReport>> reports;
  bool file_errors = false;
  for (const RuleFile& file : loaded.files) {
    reports.push_back(check_file(file, context));
    count_file(file, reports.back(), tally);
    file_errors = file_errors || has_errors(file.diagnostics);
    if (options.format == OutputFormat::Text && !options.quiet) {
      write_text(file, reports.back(), color, options.notes, run.out);
    }
  }

  if (!loaded.io_errors.empty()) {
    run.exit_code = kExitUsage;
  } else if (tally.invalid > 0 || file_errors) {
    run.exit_code = kExitFindings;
  }
  if (options.format == OutputFormat::Json) {
    run.out += json_document(loaded.files, reports, tally, loaded.io_errors, run.exit_code);
  } else {
    run.out += summary_line(tally) + "\n";
  }
  return run;
}

int run_validate(Args args) {
  ValidateRun run = validate_command(args, stdout_is_terminal());
  std::fwrite(run.out.data(), 1, run.out.size(), stdout);
  std::fwrite(run.err.data(), 1, run.err.size(), stderr);
  return run.exit_code;
}

}  // namespace eql::cli
