// Which loaded rules `eql run` runs, and what it says about the rule set at load: the
// selection (--severity, --rule-id, --tag, --building-blocks) and its mistakes, duplicate
// or missing rule ids, and the type checker's findings (docs/run.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/validate.h"
#include "eql/diagnostic.h"
#include "eql/rules.h"

namespace eql::cli {

/// --building-blocks: Kibana's behaviour by default (run; alerts written and marked, but
/// left out of --format table and counted apart in the summary).
enum class BuildingBlocks { Default, Include, Exclude, Only };

struct RuleSelection {
  std::optional<int> min_severity;  ///< severity_rank
  std::vector<std::string> rule_ids;
  std::vector<std::string> tags;  ///< any of them, case-insensitively
  BuildingBlocks building_blocks = BuildingBlocks::Default;

  bool narrows() const { return min_severity || !rule_ids.empty() || !tags.empty(); }
};

bool selected(const Rule& rule, const RuleSelection& selection);

/// The selection's mistakes, one message each (without the `eql run: ` prefix): a --rule-id
/// that no loaded rule has (or that names a rule in another language), a --tag no loaded
/// rule carries (with the closest loaded tag: `Tactic:Execution` -> `Tactic: Execution`),
/// and a selection that leaves no EQL rule.
std::vector<std::string> selection_errors(const std::vector<RuleFile>& files, const RuleSelection& selection);

/// Warnings about rule ids, one message each: a rule_id that several loaded rules share
/// (with each one's file:line), and a TOML rule without a rule_id (alerts are then told apart
/// by the derived rule_identity).
std::vector<std::string> rule_id_warnings(const std::vector<RuleFile>& files);

/// The type checker's findings on a rule that parses (what `eql validate` reports, notes
/// left out), each as a warning, in query coordinates (render with rule.query_origin).
Diagnostics type_check_findings(const Rule& rule, const CheckContext& context);
/// The same over the rule's query as parsed for the runner (parsed once, not twice).
Diagnostics type_check_findings(const Rule& rule, const ParseResult& parsed, const CheckContext& context);

}  // namespace eql::cli
