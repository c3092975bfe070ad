// `eql explain --rule FILE_OR_ID [--rules PATH] EVENTS...` (docs/explain.md): why a rule
// matches or misses each event: its index patterns, exception items and ordering timestamp,
// then its query node by node as the evaluator's tracing mode saw it.
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"
#include "report/explanation.h"
#include "eql/explain.h"
#include "eql/rules.h"
#include "eql/runner.h"
#include "eql/schema.h"
#include "eql/schema_types.h"
#include "rules/rule_set.h"

namespace eql::cli {

// The writers shared with the shell (src/report/).
using report::explain_json;
using report::explain_text;

namespace {

constexpr const char* kExplainUsage =
    "usage: eql explain --rule FILE_OR_ID [--rules PATH...] [options] FILE...\n"
    "\n"
    "Explains, for each event of the FILEs (NDJSON, JSON arrays, search responses, gzip;\n"
    "`-` is standard input), why the rule matches it or not: what kept the event from the rule\n"
    "before its query ran (index patterns, an exception item, a missing timestamp), then the\n"
    "query as a tree, each node with its verdict and the values it saw (docs/explain.md).\n"
    "\n"
    "options:\n"
    "  --rule FILE_OR_ID  the rule: a rule file (TOML, a Kibana export, .eql) holding one EQL\n"
    "                     rule, or the rule_id of a rule of --rules\n"
    "  --rules PATH       rule files or folders: where --rule ID is looked up, and exception\n"
    "                     items are taken from (repeatable)\n"
    "  --index NAME       the index events are read as when they name none (as eql run --index)\n"
    "  --limit N          explain the first N events only\n"
    "  --order ORDER      sequences: exact (default; as eql run reads files) or stream (through\n"
    "                     a reorder window, as eql run reads standard input: late events drop)\n"
    "  --max-lateness DURATION  stream order's reorder window (default 10s)\n"
    "  --format FORMAT    text (default) or json\n"
    "\n"
    "exit codes: 0 explained, 1 the rule does not compile or an event could not be read,\n"
    "            2 a usage error, an unreadable file, no such rule\n";

struct ExplainCommandOptions {
  std::string rule;
  std::vector<std::string> rule_paths;
  std::vector<std::string> events;
  std::string index;
  std::optional<std::size_t> limit;
  bool json = false;
  bool stream = false;                  // --order stream
  std::int64_t max_lateness_ms = 10'000;
};

std::optional<std::string> parse_arguments(Args args, ExplainCommandOptions& options, bool& help) {
  ArgReader reader(args);
  std::string error;
  while (!reader.done()) {
    if (reader.flag("--help") || reader.flag("-h")) {
      help = true;
      return std::nullopt;
    }
    if (auto rule = reader.option_value("--rule", error)) {
      options.rule = *rule;
    } else if (auto path = reader.option_value("--rules", error)) {
      options.rule_paths.push_back(*path);
    } else if (auto index = reader.option_value("--index", error)) {
      options.index = *index;
    } else if (auto limit = reader.option_value("--limit", error)) {
      if (limit->empty() || limit->find_first_not_of("0123456789") != std::string::npos || limit->size() > 9) {
        return "--limit needs a number";
      }
      options.limit = static_cast<std::size_t>(std::stoul(*limit));
    } else if (auto format = reader.option_value("--format", error)) {
      if (*format != "text" && *format != "json") return "unknown format '" + *format + "' (text or json)";
      options.json = *format == "json";
    } else if (auto order = reader.option_value("--order", error)) {
      if (*order != "exact" && *order != "stream") return "unknown order '" + *order + "' (exact or stream)";
      options.stream = *order == "stream";
    } else if (auto lateness = reader.option_value("--max-lateness", error)) {
      std::optional<std::int64_t> millis = duration_millis(*lateness);
      if (!millis) return "--max-lateness needs a duration such as 0s, 30s or 5m";
      options.max_lateness_ms = *millis;
    } else if (!error.empty()) {
      return error;
    } else if (reader.peek().size() > 1 && reader.peek().front() == '-') {
      return "unknown option " + std::string(reader.peek());
    } else {
      options.events.emplace_back(reader.next());
    }
  }
  if (options.rule.empty()) return std::string("--rule FILE_OR_ID is needed");
  if (options.events.empty()) return std::string("no events file given");
  return std::nullopt;
}

// The rule --rule names: a file with one EQL rule, or a rule_id among --rules. Sets
// `error` (a usage problem) when there is none, or several.
std::optional<RuleRef> find_rule(const std::string& name, bool is_file, RuleSet& rules, std::string& error) {
  RuleLookup lookup = is_file ? rules.find(name, "") : rules.find("", name);
  switch (lookup.problem) {
    case RuleLookup::Problem::None: return lookup.found;
    case RuleLookup::Problem::Unreadable: error = lookup.detail; break;
    case RuleLookup::Problem::NoEqlRule: error = "no EQL rule in '" + name + "'"; break;
    case RuleLookup::Problem::Ambiguous:
      error = "'" + name + "' holds " + std::to_string(lookup.candidates) +
              " EQL rules: name one by its rule_id (--rules '" + name + "' --rule ID)";
      break;
    case RuleLookup::Problem::OtherLanguage:
    case RuleLookup::Problem::NoSuchId:
      error = rules.loaded().files.empty() ? "no rule file '" + name + "' (a rule_id needs --rules PATH)"
                                           : "no rule with rule_id " + name + " in the --rules set";
      break;
  }
  return std::nullopt;
}

std::string render_errors(const Diagnostics& diagnostics, const SourceText& source, const QueryOrigin& origin) {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    if (d.severity == Severity::Error) out += render(d, source, origin, RenderOptions{});
  }
  return out;
}

// Reads the events of every file, up to `limit`; problems on stderr. False on a problem.
bool read_all(const ExplainCommandOptions& options, std::vector<Event>& events, int& exit_code) {
  bool ok = true;
  for (const std::string& path : options.events) {
    ReadSummary summary = read_events(
        path, EventReadOptions{},
        [&](Event&& event) {
          if (options.limit && events.size() >= *options.limit) return false;
          events.push_back(std::move(event));
          return true;
        },
        [&](const InputProblem& problem) {
          std::fprintf(stderr, "%s\n", problem.to_string().c_str());
          ok = false;
        });
    if (summary.io_error) {
      exit_code = kExitUsage;
      return false;
    }
  }
  if (!ok) exit_code = kExitFindings;
  return ok;
}

}  // namespace

int run_explain(Args args) {
  ExplainCommandOptions options;
  bool help = false;
  if (auto error = parse_arguments(args, options, help)) return usage_error("explain", *error);
  if (help) {
    std::fputs(kExplainUsage, stdout);
    return kExitOk;
  }
  RuleSet rules(load_rule_paths(options.rule_paths));
  for (const std::string& error : rules.loaded().io_errors) std::fprintf(stderr, "eql explain: %s\n", error.c_str());
  if (!rules.loaded().io_errors.empty()) return kExitUsage;
  std::error_code ignored;
  const bool is_file = std::filesystem::exists(options.rule, ignored);
  std::string error;
  std::optional<RuleRef> found = find_rule(options.rule, is_file, rules, error);
  if (!found) {
    std::fprintf(stderr, "eql explain: %s\n", error.c_str());
    return kExitUsage;
  }
  const Rule& rule = *found->rule;
  std::string problems = render_errors(found->file->diagnostics, found->file->source, QueryOrigin());
  problems += render_errors(rule.field_diagnostics, found->file->source, QueryOrigin());
  if (problems.empty() && !rule.has_query) problems = "eql explain: " + rule.file + ": the rule has no query\n";
  if (!problems.empty()) {
    std::fputs(problems.c_str(), stderr);
    return kExitFindings;
  }
  int exit_code = kExitOk;
  std::vector<Event> events;
  if (!read_all(options, events, exit_code) && exit_code == kExitUsage) return exit_code;

  SchemaFieldTypes types(embedded_schema_all());
  ExplainOptions explain_options;
  explain_options.index = options.index;
  explain_options.field_types = &types;
  explain_options.stream = options.stream;
  explain_options.max_lateness_ms = options.max_lateness_ms;
  RuleExplanation explanation;
  Diagnostics diagnostics =
      explain_rule(rule, rules.exceptions_of(rule), events, explain_options, explanation);
  if (has_errors(diagnostics)) {
    std::fputs(render_errors(diagnostics, found->file->source, rule.query_origin).c_str(), stderr);
    return kExitFindings;
  }
  std::string out = options.json ? explain_json(rule, explanation) : explain_text(rule, explanation);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return exit_code;
}

}  // namespace eql::cli
