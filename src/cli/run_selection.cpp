// Rule selection and the load-time checks of `eql run` (see run_selection.h).
#include "cli/run_selection.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>

#include "common/ascii.h"
#include "report/alerts.h"
#include "cli/validate.h"

namespace eql::cli {

// The writers shared with the shell (src/report/).
using report::is_building_block;
using report::severity_rank;

namespace {

bool has_tag(const Rule& rule, std::string_view wanted) {
  return std::any_of(rule.tags.begin(), rule.tags.end(),
                     [&](const std::string& tag) { return ascii_equal_ignoring_case(tag, wanted); });
}

// Lower case, letters and digits only: "Tactic: Execution" and "tactic:execution" agree.
std::string squashed(std::string_view text) {
  std::string out;
  for (char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) out += ascii_lower(c);
  }
  return out;
}

// Levenshtein distance of two short strings.
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The loaded tag closest to `wanted`: equal but for case, spaces and punctuation, else
// within two edits of it (so squashed); empty when none is close.
std::string closest_tag(const std::set<std::string>& tags, std::string_view wanted) {
  const std::string target = squashed(wanted);
  std::string best;
  std::size_t best_distance = 3;
  for (const std::string& tag : tags) {
    std::size_t d = distance(squashed(tag), target);
    if (d < best_distance) {
      best = tag;
      best_distance = d;
    }
  }
  return best;
}

std::string located(const RuleFile& file, std::uint32_t offset) {
  return file.source.name() + ":" + std::to_string(file.source.position_at(offset).line);
}

}  // namespace

bool selected(const Rule& rule, const RuleSelection& selection) {
  const bool building_block = is_building_block(rule);
  if (selection.building_blocks == BuildingBlocks::Exclude && building_block) return false;
  if (selection.building_blocks == BuildingBlocks::Only && !building_block) return false;
  if (selection.min_severity && severity_rank(rule.severity) < *selection.min_severity) return false;
  if (!selection.rule_ids.empty() &&
      std::find(selection.rule_ids.begin(), selection.rule_ids.end(), rule.rule_id) == selection.rule_ids.end()) {
    return false;
  }
  if (!selection.tags.empty() &&
      std::none_of(selection.tags.begin(), selection.tags.end(),
                   [&](const std::string& wanted) { return has_tag(rule, wanted); })) {
    return false;
  }
  return true;
}

std::vector<std::string> selection_errors(const std::vector<RuleFile>& files, const RuleSelection& selection) {
  std::vector<std::string> errors;
  std::set<std::string> eql_ids, tags;
  std::map<std::string, std::string> other_languages;  // rule_id -> language
  bool any_selected = false, any_rule = false;
  for (const RuleFile& file : files) {
    for (const Rule& rule : file.rules) {
      any_rule = true;
      eql_ids.insert(rule.rule_id);
      tags.insert(rule.tags.begin(), rule.tags.end());
      any_selected = any_selected || selected(rule, selection);
    }
    for (const SkippedEntry& entry : file.skipped) {
      if (entry.kind == SkippedEntry::Kind::RuleInOtherLanguage) other_languages[entry.rule_id] = entry.what;
    }
  }
  for (const std::string& id : selection.rule_ids) {
    if (eql_ids.count(id)) continue;
    auto other = other_languages.find(id);
    errors.push_back(other != other_languages.end()
                         ? "--rule-id " + id + " is a " + other->second + " rule, not EQL: eql run runs EQL rules only"
                         : "--rule-id " + id + ": no loaded rule has this id");
  }
  for (const std::string& tag : selection.tags) {
    bool found = std::any_of(tags.begin(), tags.end(), [&](const std::string& t) { return ascii_equal_ignoring_case(t, tag); });
    if (found) continue;
    std::string near = closest_tag(tags, tag);
    errors.push_back("--tag '" + tag + "': no loaded EQL rule has this tag" +
                     (near.empty() ? std::string() : "; did you mean '" + near + "'?"));
  }
  if (errors.empty() && any_rule && !any_selected) {
    errors.push_back("no loaded EQL rule matches the selection (--severity, --rule-id, --tag, --building-blocks)");
  }
  return errors;
}

std::vector<std::string> rule_id_warnings(const std::vector<RuleFile>& files) {
  std::vector<std::string> warnings;
  for (const RuleFile& file : files) {
    for (const Rule& rule : file.rules) {
      if (rule.rule_id.empty() && rule.format == RuleFormat::Toml) {
        warnings.push_back(located(file, rule.file_offset) +
                           ": warning: the rule has no rule_id; its alerts carry a derived rule_identity");
      }
    }
  }
  // The same finder as `eql validate`'s rule.duplicate-id error (rules other than EQL count).
  for (const DuplicateRuleId& duplicate : find_duplicate_rule_ids(files)) {
    std::string list;
    for (const RulePlace& place : duplicate.places) {
      list += (list.empty() ? "" : ", ") + located(*place.file, place.file_offset);
    }
    warnings.push_back("warning: rule_id " + duplicate.rule_id + " is used by " +
                       std::to_string(duplicate.places.size()) + " rules: " + list);
  }
  return warnings;
}

namespace {

// The checker's diagnostics as `eql run` shows them: warnings, none when the query does
// not parse (the runner reports the parser's errors).
Diagnostics findings_of(Diagnostics checked) {
  // A query that does not parse: the runner shows the parser's errors and leaves it out.
  const bool unparsed = std::any_of(checked.begin(), checked.end(), [](const Diagnostic& d) {
    return d.severity == Severity::Error && d.code.rfind("syntax.", 0) == 0;
  });
  Diagnostics findings;
  if (unparsed) return findings;
  for (Diagnostic& d : checked) {
    if (d.severity == Severity::Note || d.code.rfind("syntax.", 0) == 0) continue;
    d.severity = Severity::Warning;
    findings.push_back(std::move(d));
  }
  return findings;
}

}  // namespace

Diagnostics type_check_findings(const Rule& rule, const CheckContext& context) {
  return findings_of(check_rule_query(rule, context));
}

Diagnostics type_check_findings(const Rule& rule, const ParseResult& parsed, const CheckContext& context) {
  return findings_of(check_parsed_rule_query(rule, parsed, context));
}

}  // namespace eql::cli
