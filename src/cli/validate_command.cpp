// `eql validate PATH...`: load every rule file, check every EQL rule (its metadata, its
// rule_id among the others, its query), report each problem in the rule file's own lines and
// columns, then one summary line; or one JSON or SARIF document, or GitHub annotations.
#include <toml++/toml.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/validate.h"
#include "cli/validate_report.h"
#include "eql/checker.h"
#include "eql/parser.h"
#include "eql/schema.h"

namespace eql::cli {

namespace {

using namespace validate_internal;

constexpr const char* kValidateUsage =
    "usage: eql validate [options] PATH...\n"
    "\n"
    "Checks EQL rules: detection-rules TOML files, Kibana rule exports (.ndjson) and plain\n"
    ".eql files. Directories are searched recursively for .toml, .ndjson and .eql files;\n"
    "PATH - reads one rule from standard input (TOML, a Kibana export line or a query).\n"
    "Every problem is reported at its line and column in the rule file, then one summary.\n"
    "Each query is parsed with Elasticsearch's syntax, then type-checked against the\n"
    "schema its rule targets (ECS, index-pattern fields, integration packages: embedded);\n"
    "each rule's metadata is checked as detection-rules' schema does, and every rule_id\n"
    "must be present (TOML) and unique.\n"
    "\n"
    "options:\n"
    "  --schema FILE          add a schema ({\"field\": \"es_type\"} or ECS flat); repeatable\n"
    "  --syntax-only          parse only: no schema, no type checks\n"
    "  --dialect endpoint|elasticsearch\n"
    "                         the EQL of plain queries (.eql, a query on stdin); default\n"
    "                         elasticsearch. Elastic Defend's behavior rules (TOML with\n"
    "                         [rule] id, os_list...) are always read as endpoint\n"
    "  --allow CODE           do not report CODE (e.g. meta.unknown-key; meta.* for a\n"
    "                         family); repeatable\n"
    "  --config FILE          read settings (allow = [...], warnings_as_errors = true) from\n"
    "                         FILE; default: .eql.toml in the current directory, if any\n"
    "  --warnings-as-errors   a warning makes its rule invalid (exit 1)\n"
    "  --notes                also print notes (e.g. packages without an embedded schema)\n"
    "  --format text|json|sarif|github\n"
    "                         output format (default text); json and sarif print one\n"
    "                         document, github one workflow annotation per problem\n"
    "  --color auto|always|never\n"
    "                         colour the text output (default auto: when stdout is a terminal)\n"
    "  --errors-only          text and github: print errors, not warnings or notes\n"
    "  -q, --quiet            text and github: print only the summary line\n"
    "  -h, --help             this text\n"
    "\n"
    "exit codes: 0 every EQL rule is valid, 1 a rule or file has an error,\n"
    "            2 usage error, a path that cannot be read, or no rule found\n";

enum class OutputFormat { Text, Json, Sarif, Github };
enum class ColorMode { Auto, Always, Never };

struct ValidateOptions {
  std::vector<std::string> paths;
  OutputFormat format = OutputFormat::Text;
  ColorMode color = ColorMode::Auto;
  Shown shown = Shown::All;
  bool help = false;
  bool notes = false;        ///< also print notes (packages without an embedded schema)
  bool syntax_only = false;  ///< parse only: no schema, no type checks
  bool warnings_as_errors = false;
  std::vector<std::string> schemas;  ///< --schema FILE, searched before the embedded tables
  std::vector<std::string> allowed;  ///< --allow CODE and the config file's allow
  std::optional<std::string> config;  ///< --config FILE
  /// --dialect: the EQL of plain queries (.eql files, a query on standard input); rule
  /// files state their own (a behavior rule is endpoint, others Elasticsearch).
  Dialect dialect = Dialect::Elasticsearch;
};

bool names_option(std::string_view argument, std::string_view name) {
  return argument == name ||
         (argument.size() > name.size() && argument.substr(0, name.size()) == name &&
          argument[name.size()] == '=');
}

std::optional<std::string> read_format(const std::string& value, ValidateOptions& options) {
  static const std::map<std::string, OutputFormat> kFormats = {
      {"text", OutputFormat::Text}, {"json", OutputFormat::Json},
      {"sarif", OutputFormat::Sarif}, {"github", OutputFormat::Github}};
  auto found = kFormats.find(value);
  if (found == kFormats.end()) {
    return "unknown format '" + value + "' (use text, json, sarif or github)";
  }
  options.format = found->second;
  return std::nullopt;
}

std::optional<std::string> read_color(const std::string& value, ValidateOptions& options) {
  if (value == "auto") {
    options.color = ColorMode::Auto;
  } else if (value == "always") {
    options.color = ColorMode::Always;
  } else if (value == "never") {
    options.color = ColorMode::Never;
  } else {
    return "unknown colour mode '" + value + "' (use auto, always or never)";
  }
  return std::nullopt;
}

// An option with a value: `--name VALUE` or `--name=VALUE`, passed to `apply`.
template <typename Apply>
std::optional<std::string> valued(ArgReader& reader, std::string_view name, Apply apply) {
  std::string error;
  auto value = reader.option_value(name, error);
  if (!value) return error;
  return apply(*value);
}

bool read_flag(ArgReader& reader, ValidateOptions& options) {
  if (reader.flag("--help") || reader.flag("-h")) {
    options.help = true;
  } else if (reader.flag("--quiet") || reader.flag("-q")) {
    options.shown = Shown::SummaryOnly;
  } else if (reader.flag("--errors-only")) {
    if (options.shown != Shown::SummaryOnly) options.shown = Shown::ErrorsOnly;
  } else if (reader.flag("--notes")) {
    options.notes = true;
  } else if (reader.flag("--syntax-only")) {
    options.syntax_only = true;
  } else if (reader.flag("--warnings-as-errors")) {
    options.warnings_as_errors = true;
  } else {
    return false;
  }
  return true;
}

std::optional<std::string> read_valued(ArgReader& reader, std::string_view current,
                                       ValidateOptions& options) {
  auto append_to = [](std::vector<std::string>& list) {
    return [&list](const std::string& value) -> std::optional<std::string> {
      list.push_back(value);
      return std::nullopt;
    };
  };
  if (names_option(current, "--schema")) return valued(reader, "--schema", append_to(options.schemas));
  if (names_option(current, "--allow")) return valued(reader, "--allow", append_to(options.allowed));
  if (names_option(current, "--config")) {
    return valued(reader, "--config", [&](const std::string& value) -> std::optional<std::string> {
      options.config = value;
      return std::nullopt;
    });
  }
  if (names_option(current, "--format")) {
    return valued(reader, "--format", [&](const std::string& v) { return read_format(v, options); });
  }
  if (names_option(current, "--color")) {
    return valued(reader, "--color", [&](const std::string& v) { return read_color(v, options); });
  }
  if (names_option(current, "--dialect")) {
    std::string error;
    dialect_option(reader, options.dialect, error);
    return error.empty() ? std::nullopt : std::optional<std::string>(error);
  }
  return "unknown option '" + std::string(current) + "'";
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
    } else if (!read_flag(reader, options)) {
      if (auto error = read_valued(reader, current, options)) return error;
    }
  }
  if (options.help) return std::nullopt;
  if (options.paths.empty()) return std::string("no PATH given");
  if (std::count(options.paths.begin(), options.paths.end(), "-") > 1) {
    return std::string("standard input (-) can be read only once");
  }
  return std::nullopt;
}

// ---- the config file ---------------------------------------------------------------------

constexpr const char* kDefaultConfig = ".eql.toml";

// Reads `allow` and `warnings_as_errors` from a TOML file. Settings the command line gives
// add to the file's (allow) or win (a flag set on the command line stays set).
std::optional<std::string> read_config(const std::string& path, ValidateOptions& options) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    const auto& at = error.source().begin;
    return "config " + path + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
           ": " + std::string(error.description());
  }
  for (const auto& [key, value] : root) {
    std::string where = "config " + path + ":" + std::to_string(value.source().begin.line) + ": ";
    if (key == "allow") {
      const auto* list = value.as_array();
      if (list == nullptr || !list->is_homogeneous(toml::node_type::string)) {
        return where + "allow must be an array of codes (strings)";
      }
      for (const toml::node& code : *list) options.allowed.push_back(*code.value<std::string>());
    } else if (key == "warnings_as_errors") {
      const auto* flag = value.as_boolean();
      if (flag == nullptr) return where + "warnings_as_errors must be true or false";
      options.warnings_as_errors = options.warnings_as_errors || flag->get();
    } else {
      return where + "unknown setting '" + std::string(key.str()) +
             "' (use allow or warnings_as_errors)";
    }
  }
  return std::nullopt;
}

std::optional<std::string> read_configuration(ValidateOptions& options) {
  if (options.config) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(*options.config, error)) {
      return "cannot read config '" + *options.config + "'";
    }
    return read_config(*options.config, options);
  }
  std::error_code error;
  if (std::filesystem::is_regular_file(kDefaultConfig, error)) {
    return read_config(kDefaultConfig, options);
  }
  return std::nullopt;
}

// A code to allow names a family the diagnostics have, so that a typo (`unknown-key` for
// `meta.unknown-key`) is said instead of silently allowing nothing.
std::optional<std::string> check_allowed(const std::vector<std::string>& allowed) {
  static constexpr std::string_view kFamilies[] = {"syntax.", "check.", "rule.", "meta."};
  for (const std::string& code : allowed) {
    bool known = std::any_of(std::begin(kFamilies), std::end(kFamilies), [&](std::string_view family) {
      return code.size() > family.size() && code.rfind(family, 0) == 0;
    });
    if (!known) {
      return "cannot allow '" + code + "': codes start with syntax., check., rule. or meta.";
    }
  }
  return std::nullopt;
}

// ---- checking ----------------------------------------------------------------------------

/// What applies to every diagnostic: --allow, --warnings-as-errors.
struct Policy {
  std::vector<std::string> allowed;
  bool warnings_as_errors = false;

  bool allows(const std::string& code) const {
    return std::any_of(allowed.begin(), allowed.end(), [&](const std::string& entry) {
      if (entry == code) return true;
      // `meta.*` allows the whole family.
      return entry.size() > 2 && entry.substr(entry.size() - 2) == ".*" &&
             code.rfind(entry.substr(0, entry.size() - 1), 0) == 0;
    });
  }

  Diagnostics apply(Diagnostics diagnostics) const {
    Diagnostics kept;
    for (Diagnostic& diagnostic : diagnostics) {
      if (allows(diagnostic.code)) continue;
      if (warnings_as_errors && diagnostic.severity == Severity::Warning) {
        diagnostic.severity = Severity::Error;
      }
      kept.push_back(std::move(diagnostic));
    }
    return kept;
  }
};

Diagnostic diagnostic_at(std::string code, Span span, std::string message, std::string hint = {}) {
  Diagnostic diagnostic;
  diagnostic.code = std::move(code);
  diagnostic.span = span;
  diagnostic.message = std::move(message);
  diagnostic.hint = std::move(hint);
  return diagnostic;
}

/// rule.missing-id and rule.duplicate-id, per EQL rule.
std::map<const Rule*, Diagnostics> rule_id_diagnostics(const std::vector<RuleFile>& files) {
  std::map<const Rule*, Diagnostics> found;
  for (const RuleFile& file : files) {
    for (const Rule& rule : file.rules) {
      // A behavior rule's `id` is one of its required keys (meta.required).
      if (rule.format != RuleFormat::Toml || !rule.rule_id.empty() || rule.rule_id_span.end > 0 ||
          rule.dialect == Dialect::Endpoint) {
        continue;
      }
      found[&rule].push_back(diagnostic_at(
          "rule.missing-id", Span{rule.file_offset, rule.file_offset}, "this rule has no `rule_id`",
          "add rule_id = \"...\" (a UUID) to the [rule] table"));
    }
  }
  for (const DuplicateRuleId& duplicate : find_duplicate_rule_ids(files)) {
    for (const RulePlace& place : duplicate.places) {
      if (place.rule == nullptr) continue;
      std::string others;
      for (const RulePlace& other : duplicate.places) {
        if (&other == &place) continue;
        if (!others.empty()) others += ", ";
        Position at = other.file->source.position_at(other.file_offset);
        others += other.file->source.name() + ":" + std::to_string(at.line) + " (\"" + other.name + "\")";
      }
      found[place.rule].push_back(diagnostic_at(
          "rule.duplicate-id", place.rule->rule_id_span,
          "rule_id \"" + duplicate.rule_id + "\" is also the rule_id of " + others,
          "each rule needs a rule_id of its own"));
    }
  }
  return found;
}

FileReport check_file(const RuleFile& file, const CheckContext& context, const Policy& policy,
                      std::map<const Rule*, Diagnostics>& id_problems) {
  FileReport report;
  report.file = &file;
  for (const Rule& rule : file.rules) {
    RuleReport entry;
    entry.file = &file;
    entry.rule = &rule;
    Diagnostics own = rule.field_diagnostics;
    Diagnostics metadata = check_rule_metadata(file, rule);
    own.insert(own.end(), metadata.begin(), metadata.end());
    Diagnostics& ids = id_problems[&rule];
    own.insert(own.end(), ids.begin(), ids.end());
    std::stable_sort(own.begin(), own.end(), [](const Diagnostic& a, const Diagnostic& b) {
      return a.span.begin < b.span.begin;
    });
    entry.rule_diagnostics = policy.apply(std::move(own));
    entry.query_diagnostics = policy.apply(check_rule_query(rule, context));
    entry.file_offset = rule.file_offset;
    report.rules.push_back(std::move(entry));
  }
  for (const SkippedEntry& skipped : file.skipped) {
    if (skipped.kind != SkippedEntry::Kind::RuleInOtherLanguage) continue;
    RuleReport entry;
    entry.file = &file;
    entry.skipped = &skipped;
    entry.file_offset = skipped.file_offset;
    report.rules.push_back(std::move(entry));
  }
  std::stable_sort(report.rules.begin(), report.rules.end(),
                   [](const RuleReport& a, const RuleReport& b) { return a.file_offset < b.file_offset; });
  return report;
}

// The paths in order; `-` is standard input, read as the format its text shows.
LoadedRules load_inputs(const std::vector<std::string>& paths, std::istream& in) {
  LoadedRules loaded;
  for (const std::string& path : paths) {
    if (path != "-") {
      LoadedRules one = load_rule_paths({path});
      std::move(one.files.begin(), one.files.end(), std::back_inserter(loaded.files));
      std::move(one.io_errors.begin(), one.io_errors.end(), std::back_inserter(loaded.io_errors));
      continue;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    RuleFormat format = detect_rule_format(text);
    loaded.files.push_back(load_rule_text("<stdin>", std::move(text), format));
  }
  return loaded;
}

// Nothing to validate is a usage problem: a wrong folder must not pass a CI job.
std::string nothing_found(const std::vector<std::string>& paths, const Tally& tally) {
  if (tally.files == 0) {
    std::string where;
    for (const std::string& path : paths) {
      if (!where.empty()) where += ", ";
      where += "'" + path + "'";
    }
    return "eql validate: no rule files in " + where + " (files ending in .toml, .ndjson or .eql)\n";
  }
  if (tally.rules() == 0) {
    std::string files = tally.files == 1 ? "1 file" : std::to_string(tally.files) + " files";
    return "eql validate: no rules found: " + files + " read, none holds a rule\n";
  }
  return {};
}

}  // namespace

Diagnostics check_rule_query(const Rule& rule, const CheckContext& context) {
  if (!rule.has_query) return {};
  // Default options are Elasticsearch's syntax: the hunting pipes it refuses are errors.
  ParseOptions parse_options;
  parse_options.dialect = rule.dialect;
  return check_parsed_rule_query(rule, parse_query(rule.query, parse_options), context);
}

Diagnostics check_parsed_rule_query(const Rule& rule, const ParseResult& parsed, const CheckContext& context) {
  if (!rule.has_query) return {};
  Diagnostics out = parsed.diagnostics;
  if (!parsed.query || context.syntax_only) return out;
  // The schema this rule is checked against, chosen as detection-rules does.
  SchemaRequest request;
  request.index = rule.index;
  request.integrations = rule.integrations;
  request.datasets = query_datasets(*parsed.query);
  request.user_tables = context.user_tables;
  request.defend = rule.dialect == Dialect::Endpoint;
  Schema schema = select_schema(request);
  CheckOptions options;
  if (!rule.event_category_override.empty()) options.category_field = rule.event_category_override;
  options.query_text = rule.query;
  options.dialect = rule.dialect;
  Diagnostics found = check_query(*parsed.query, schema, options);
  out.insert(out.end(), schema.notes.begin(), schema.notes.end());
  out.insert(out.end(), found.begin(), found.end());
  return out;
}

ValidateRun validate_command(Args args, bool stdout_terminal, std::istream* in) {
  ValidateRun run;
  ValidateOptions options;
  auto usage_error = read_options(args, options);
  if (!usage_error && !options.help) usage_error = read_configuration(options);
  if (!usage_error && !options.help) usage_error = check_allowed(options.allowed);
  if (usage_error) {
    run.err = usage_text("validate", *usage_error);
    run.exit_code = kExitUsage;
    return run;
  }
  if (options.help) {
    run.out = kValidateUsage;
    return run;
  }
  TextOptions text;
  text.color = options.color == ColorMode::Always ||
               (options.color == ColorMode::Auto && stdout_terminal);
  text.notes = options.notes;
  text.shown = options.shown;

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
  Policy policy{options.allowed, options.warnings_as_errors};

  LoadedRules loaded = load_inputs(options.paths, in != nullptr ? *in : std::cin);
  for (RuleFile& file : loaded.files) {
    for (Rule& rule : file.rules) {
      if (rule.format == RuleFormat::Eql) rule.dialect = options.dialect;
    }
  }
  for (const std::string& error : loaded.io_errors) run.err += "eql validate: " + error + "\n";

  std::map<const Rule*, Diagnostics> id_problems = rule_id_diagnostics(loaded.files);
  Tally tally;
  std::vector<FileReport> reports;
  bool file_errors = false;
  for (const RuleFile& file : loaded.files) {
    reports.push_back(check_file(file, context, policy, id_problems));
    count_file(reports.back(), tally);
    file_errors = file_errors || has_errors(file.diagnostics);
    if (options.format == OutputFormat::Text) write_text(reports.back(), text, run.out);
    if (options.format == OutputFormat::Github) write_github(reports.back(), text, run.out);
  }

  if (!loaded.io_errors.empty()) {
    run.exit_code = kExitUsage;
  } else if (std::string nothing = nothing_found(options.paths, tally); !nothing.empty()) {
    run.err += nothing;
    run.exit_code = kExitUsage;
  } else if (tally.invalid > 0 || file_errors) {
    run.exit_code = kExitFindings;
  }
  switch (options.format) {
    case OutputFormat::Json:
      run.out += json_document(reports, tally, loaded.io_errors, run.exit_code);
      break;
    case OutputFormat::Sarif: run.out += sarif_document(reports); break;
    case OutputFormat::Text:
    case OutputFormat::Github: run.out += summary_line(tally) + "\n"; break;
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
