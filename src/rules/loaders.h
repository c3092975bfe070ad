// Internal to src/rules/: one loader per file format. Each fills a RuleFile from its text
// and reports every problem as a diagnostic in file coordinates.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "eql/rules.h"

namespace eql::rules_internal {

void load_toml_rules(RuleFile& file);
void load_kibana_export(RuleFile& file);

/// The label under which a non-EQL rule is counted: its language, or "machine learning"
/// for machine-learning rules (which have none).
std::string skipped_language_label(const std::string& language, const std::string& type);

/// Whether a rule with this language and type holds an EQL query.
bool is_eql_rule(const std::string& language, const std::string& type);

/// Where the value of a top-level member of a one-line JSON object starts, or none.
std::optional<std::size_t> member_value_offset(std::string_view line, std::string_view key);

/// Orders diagnostics as a reader meets them in the file.
void sort_by_position(Diagnostics& diagnostics);

}  // namespace eql::rules_internal
