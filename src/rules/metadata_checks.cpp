// The metadata checks of a rule file, as detection-rules' schema makes them: required keys,
// enumerations, ranges, dates, unknown keys, type and language, MITRE ATT&CK ids and their
// references. The tables below are the data; the functions only walk the file. Each check
// has a stable code (docs/validate.md lists them).
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "rules/loaders.h"
#include "rules/string_scan.h"

namespace eql {

namespace {

using namespace std::string_view_literals;

// ---- the data ----------------------------------------------------------------------------

/// Keys an EQL rule must have, by table. `rule_id` and `query` have their own checks
/// (rule.missing-id, rule.missing-query).
constexpr std::array kRequiredRuleKeys = {"author"sv,     "description"sv, "language"sv, "name"sv,
                                          "risk_score"sv, "severity"sv,    "type"sv};
constexpr std::array kRequiredMetadataKeys = {"creation_date"sv, "maturity"sv, "updated_date"sv};

/// Every key detection-rules' schema knows in `[rule]` (all rule types), `[metadata]` and at
/// the top of the file.
constexpr std::array kKnownRuleKeys = {
    "actions"sv, "alert_suppression"sv, "anomaly_threshold"sv, "author"sv,
    "building_block_type"sv, "concurrent_searches"sv, "data_view_id"sv, "description"sv,
    "enabled"sv, "event_category_override"sv, "exceptions_list"sv, "false_positives"sv,
    "filters"sv, "from"sv, "history_window_start"sv, "index"sv, "interval"sv,
    "investigation_fields"sv, "items_per_search"sv, "language"sv, "license"sv,
    "machine_learning_job_id"sv, "max_signals"sv, "meta"sv, "name"sv, "new_terms"sv, "note"sv,
    "query"sv, "references"sv, "related_integrations"sv, "required_fields"sv, "revision"sv,
    "risk_score"sv, "risk_score_mapping"sv, "rule_id"sv, "rule_name_override"sv, "setup"sv,
    "severity"sv, "severity_mapping"sv, "tags"sv, "threat"sv, "threat_filters"sv,
    "threat_index"sv, "threat_indicator_path"sv, "threat_language"sv, "threat_mapping"sv,
    "threat_query"sv, "threshold"sv, "throttle"sv, "tiebreaker_field"sv, "timeline_id"sv,
    "timeline_title"sv, "timestamp_field"sv, "timestamp_override"sv, "to"sv, "type"sv,
    "version"sv};
constexpr std::array kKnownMetadataKeys = {
    "bypass_bbr_timing"sv, "comments"sv, "creation_date"sv, "deprecation_date"sv,
    "integration"sv, "maturity"sv, "min_stack_comments"sv, "min_stack_version"sv,
    "os_type_list"sv, "query_schema_validation"sv, "related_endgame_rules"sv,
    "updated_date"sv};
constexpr std::array kKnownTopKeys = {"metadata"sv, "rule"sv, "transform"sv};

/// Elastic Defend behavior rules (elastic/protections-artifacts): the keys the published
/// rules use, and those every one of them has.
constexpr std::array kBehaviorRequiredKeys = {"description"sv, "id"sv, "min_endpoint_version"sv,
                                              "name"sv, "os_list"sv, "version"sv};
constexpr std::array kBehaviorRuleKeys = {
    "actions"sv, "description"sv, "id"sv, "license"sv, "max_endpoint_version"sv,
    "min_endpoint_version"sv, "name"sv, "optional_actions"sv, "os_list"sv, "query"sv,
    "reference"sv, "reputation"sv, "tags"sv, "version"sv};
constexpr std::array kBehaviorTopKeys = {"actions"sv, "internal"sv, "optional_actions"sv, "rule"sv,
                                         "threat"sv};
constexpr std::array kBehaviorOperatingSystems = {"linux"sv, "macos"sv, "windows"sv};
constexpr std::array kBehaviorVersionKeys = {"version"sv, "min_endpoint_version"sv,
                                             "max_endpoint_version"sv};

struct EnumField {
  std::string_view table;  ///< "rule" or "metadata"
  std::string_view key;
  std::string_view allowed;  ///< space-separated
};

constexpr std::array kEnums = {
    EnumField{"rule", "severity", "low medium high critical"},
    EnumField{"rule", "type",
              "query saved_query machine_learning eql esql threshold threat_match new_terms"},
    EnumField{"rule", "building_block_type", "default"},
    EnumField{"metadata", "maturity", "development experimental beta production deprecated"},
};

struct RangeField {
  std::string_view key;  ///< in [rule]
  std::int64_t low;
  std::int64_t high;
};

constexpr std::array kRanges = {RangeField{"risk_score", 0, 100},
                                RangeField{"max_signals", 1, INT64_MAX}};

constexpr std::array kDateKeys = {"creation_date"sv, "updated_date"sv, "deprecation_date"sv};

struct Tactic {
  std::string_view id;
  std::string_view name;
};

/// The tactics of MITRE ATT&CK Enterprise.
constexpr std::array kTactics = {
    Tactic{"TA0001", "Initial Access"},   Tactic{"TA0002", "Execution"},
    Tactic{"TA0003", "Persistence"},      Tactic{"TA0004", "Privilege Escalation"},
    Tactic{"TA0005", "Defense Evasion"},  Tactic{"TA0006", "Credential Access"},
    Tactic{"TA0007", "Discovery"},        Tactic{"TA0008", "Lateral Movement"},
    Tactic{"TA0009", "Collection"},       Tactic{"TA0010", "Exfiltration"},
    Tactic{"TA0011", "Command and Control"}, Tactic{"TA0040", "Impact"},
    Tactic{"TA0042", "Resource Development"}, Tactic{"TA0043", "Reconnaissance"},
};

constexpr std::string_view kAttackSite = "https://attack.mitre.org/";

// ---- small helpers -----------------------------------------------------------------------

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view key) {
  return std::find(list.begin(), list.end(), key) != list.end();
}

bool is_digits(std::string_view text, std::size_t count) {
  return text.size() == count &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_tactic_id(std::string_view id) {
  return id.size() == 6 && id.substr(0, 2) == "TA" && is_digits(id.substr(2), 4);
}

bool is_technique_id(std::string_view id) {
  return id.size() == 5 && id[0] == 'T' && is_digits(id.substr(1), 4);
}

bool is_subtechnique_id(std::string_view id) {
  return id.size() == 9 && is_technique_id(id.substr(0, 5)) && id[5] == '.' &&
         is_digits(id.substr(6), 3);
}

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

// YYYY/MM/DD naming a day that exists.
bool is_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '/' || text[7] != '/') return false;
  if (!is_digits(text.substr(0, 4), 4) || !is_digits(text.substr(5, 2), 2) ||
      !is_digits(text.substr(8, 2), 2)) {
    return false;
  }
  int year = std::stoi(std::string(text.substr(0, 4)));
  int month = std::stoi(std::string(text.substr(5, 2)));
  int day = std::stoi(std::string(text.substr(8, 2)));
  constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[static_cast<std::size_t>(month - 1)]) {
    return false;
  }
  return month != 2 || day < 29 || is_leap(year);
}

// Optimal string alignment distance (typos: a swapped pair counts one edit).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        row[j] = std::min(row[j], before[j - 2] + 1);
      }
    }
    before.swap(previous);
    previous.swap(row);
  }
  return previous[b.size()];
}

/// The candidate nearest to `word` within two edits, or empty.
template <typename Range>
std::string nearest(std::string_view word, const Range& candidates) {
  std::string best;
  std::size_t best_distance = 3;
  for (std::string_view candidate : candidates) {
    std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(candidate);
    }
  }
  return best;
}

std::vector<std::string_view> words(std::string_view list) {
  std::vector<std::string_view> out;
  while (!list.empty()) {
    std::size_t space = list.find(' ');
    out.push_back(list.substr(0, space));
    if (space == std::string_view::npos) break;
    list.remove_prefix(space + 1);
  }
  return out;
}

std::string quoted_list(std::string_view list) {
  std::string out;
  std::vector<std::string_view> all = words(list);
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (i > 0) out += i + 1 == all.size() ? " or " : ", ";
    out.append("`").append(all[i]).append("`");
  }
  return out;
}

std::string tactic_url(std::string_view id) {
  return std::string(kAttackSite).append("tactics/").append(id).append("/");
}

std::string technique_url(std::string_view id) {
  std::string url = std::string(kAttackSite).append("techniques/").append(id.substr(0, 5));
  if (id.size() > 5) url.append("/").append(id.substr(6));
  return url + "/";
}

// ---- the checks, over a TOML file --------------------------------------------------------

/// Reports into `out` with spans in file coordinates.
class TomlMetadataChecker {
 public:
  TomlMetadataChecker(std::string_view text, Diagnostics& out) : text_(text), out_(out) {}

  void check(const toml::table& root, const toml::table& rule) {
    const toml::table* metadata = root.get_as<toml::table>("metadata");
    check_unknown_keys(root, kKnownTopKeys, "");
    check_unknown_keys(rule, kKnownRuleKeys, "rule.");
    check_required(rule, kRequiredRuleKeys, "rule");
    if (metadata != nullptr) {
      check_unknown_keys(*metadata, kKnownMetadataKeys, "metadata.");
      check_required(*metadata, kRequiredMetadataKeys, "metadata");
    } else {
      Span at = span_of(rule);
      report("meta.required", Severity::Error, Span{at.begin, at.begin},
             "this rule file has no [metadata] table",
             "add [metadata] with creation_date, updated_date and maturity");
    }
    for (const EnumField& field : kEnums) {
      const toml::table* table = field.table == "rule" ? &rule : metadata;
      if (table != nullptr) check_enum(*table, field);
    }
    for (const RangeField& field : kRanges) check_range(rule, field);
    if (metadata != nullptr) {
      for (std::string_view key : kDateKeys) check_date(*metadata, key);
    }
    check_type_language(rule);
    check_threat(rule);
  }

  /// An Elastic Defend behavior rule: its own keys, not detection-rules'.
  void check_behavior(const toml::table& root, const toml::table& rule) {
    check_unknown_keys(root, kBehaviorTopKeys, "");
    check_unknown_keys(rule, kBehaviorRuleKeys, "rule.");
    check_required(rule, kBehaviorRequiredKeys, "rule");
    if (const auto* systems = rule.get_as<toml::array>("os_list")) {
      for (const toml::node& system : *systems) {
        const auto* name = system.as_string();
        if (name == nullptr || contains(kBehaviorOperatingSystems, name->get())) continue;
        std::string near = nearest(name->get(), kBehaviorOperatingSystems);
        report("meta.enum", Severity::Error, span_of(system),
               "`rule.os_list` names \"" + name->get() + "\"; it takes linux, macos or windows",
               near.empty() ? std::string() : "did you mean \"" + near + "\"?");
      }
    }
    for (std::string_view key : kBehaviorVersionKeys) {
      const auto* version = rule.get_as<std::string>(key);
      if (version == nullptr || is_dotted_version(version->get())) continue;
      report("meta.version", Severity::Error, span_of(*version),
             "`rule." + std::string(key) + "` is \"" + version->get() +
                 "\"; it must be a version such as \"8.12.0\"");
    }
    check_threat(root);
  }

 private:
  static bool is_dotted_version(std::string_view text) {
    std::size_t parts = 0;
    while (true) {
      std::size_t dot = text.find('.');
      std::string_view part = text.substr(0, dot);
      if (part.empty() || part.find_first_not_of("0123456789") != std::string_view::npos) return false;
      ++parts;
      if (dot == std::string_view::npos) return parts >= 2;
      text.remove_prefix(dot + 1);
    }
  }

  Span span_of(const toml::node& node) const {
    const toml::source_region& region = node.source();
    std::uint32_t begin =
        rules_internal::offset_of_line_column(text_, region.begin.line, region.begin.column);
    std::uint32_t end =
        rules_internal::offset_of_line_column(text_, region.end.line, region.end.column);
    return Span{begin, std::max(begin, end)};
  }

  void report(std::string_view code, Severity severity, Span span, std::string message,
              std::string hint = {}) {
    Diagnostic diagnostic;
    diagnostic.severity = severity;
    diagnostic.code = std::string(code);
    diagnostic.message = std::move(message);
    diagnostic.span = span;
    diagnostic.hint = std::move(hint);
    out_.push_back(std::move(diagnostic));
  }

  template <std::size_t N>
  void check_unknown_keys(const toml::table& table, const std::array<std::string_view, N>& known,
                          std::string_view prefix) {
    for (const auto& [key, value] : table) {
      if (contains(known, key.str())) continue;
      std::string hint;
      std::string near = nearest(key.str(), known);
      if (!near.empty()) hint = "did you mean `" + near + "`?";
      std::string message = "unknown key `";
      message.append(prefix).append(key.str()).append("`");
      const toml::source_region& region = key.source();
      std::uint32_t begin =
          rules_internal::offset_of_line_column(text_, region.begin.line, region.begin.column);
      // toml++ places the key itself; a quoted key's span covers its quotes too.
      Span span = region.begin.line > 0
                      ? Span{begin, std::max(begin, rules_internal::offset_of_line_column(
                                                        text_, region.end.line, region.end.column))}
                      : span_of(value);
      report("meta.unknown-key", Severity::Warning, span, std::move(message), std::move(hint));
    }
  }

  template <std::size_t N>
  void check_required(const toml::table& table, const std::array<std::string_view, N>& keys,
                      std::string_view name) {
    for (std::string_view key : keys) {
      if (table.contains(key)) continue;
      Span at = span_of(table);  // the table's header
      std::string message = "missing required key `";
      message.append(name).append(".").append(key).append("`");
      std::string hint = "add ";
      hint.append(key).append(" = ... to the [").append(name).append("] table");
      report("meta.required", Severity::Error, Span{at.begin, at.begin}, std::move(message),
             std::move(hint));
    }
  }

  void check_enum(const toml::table& table, const EnumField& field) {
    const auto* value = table.get_as<std::string>(field.key);
    if (value == nullptr) return;  // absent (meta.required) or not a string (rule.wrong-type)
    std::vector<std::string_view> allowed = words(field.allowed);
    if (contains_word(allowed, value->get())) return;
    std::string message = "`";
    message.append(field.table).append(".").append(field.key).append("` is \"");
    message.append(value->get()).append("\"; it must be ").append(quoted_list(field.allowed));
    std::string near = nearest(value->get(), allowed);
    std::string hint = near.empty() ? std::string() : "did you mean \"" + near + "\"?";
    if (hint.empty()) {
      // A prefix is a common shorthand: "prod" for "production".
      for (std::string_view word : allowed) {
        if (!value->get().empty() && word.substr(0, value->get().size()) == value->get()) {
          hint = "did you mean \"" + std::string(word) + "\"?";
          break;
        }
      }
    }
    report("meta.enum", Severity::Error, span_of(*value), std::move(message), std::move(hint));
  }

  static bool contains_word(const std::vector<std::string_view>& list, std::string_view word) {
    return std::find(list.begin(), list.end(), word) != list.end();
  }

  void check_range(const toml::table& rule, const RangeField& field) {
    const auto* value = rule.get_as<std::int64_t>(field.key);
    if (value == nullptr) return;
    std::int64_t number = value->get();
    if (number >= field.low && number <= field.high) return;
    std::string message = "`rule.";
    message.append(field.key).append("` is ").append(std::to_string(number));
    if (field.high == INT64_MAX) {
      message.append("; it must be at least ").append(std::to_string(field.low));
    } else {
      message.append("; it must be from ").append(std::to_string(field.low)).append(" to ");
      message.append(std::to_string(field.high));
    }
    report("meta.range", Severity::Error, span_of(*value), std::move(message));
  }

  void check_date(const toml::table& metadata, std::string_view key) {
    const toml::node* node = metadata.get(key);
    if (node == nullptr) return;
    const auto* value = node->as_string();
    if (value != nullptr && is_date(value->get())) return;
    std::string message = "`metadata.";
    message.append(key).append("` must be a date written YYYY/MM/DD");
    if (value != nullptr) message.append(", not \"").append(value->get()).append("\"");
    std::string hint;
    if (node->is_date()) hint = "write the date as a string: \"YYYY/MM/DD\"";
    report("meta.date", Severity::Error, span_of(*node), std::move(message), std::move(hint));
  }

  // Only EQL rules reach the checks: their language is "eql", so their type must be too.
  void check_type_language(const toml::table& rule) {
    const auto* type = rule.get_as<std::string>("type");
    if (type == nullptr || type->get() == "eql") return;
    std::string message = "`rule.type` is \"" + type->get() +
                          "\" but the rule's language is eql, which needs type \"eql\"";
    report("meta.type-language", Severity::Error, span_of(*type), std::move(message),
           "write type = \"eql\", or the language of the query");
  }

  void check_threat(const toml::table& rule) {
    const auto* threats = rule.get_as<toml::array>("threat");
    if (threats == nullptr) return;
    for (const toml::node& entry : *threats) {
      const auto* threat = entry.as_table();
      if (threat == nullptr) continue;
      if (const auto* framework = threat->get_as<std::string>("framework");
          framework != nullptr && framework->get() != "MITRE ATT&CK") {
        report("meta.enum", Severity::Error, span_of(*framework),
               "`rule.threat.framework` is \"" + framework->get() +
                   "\"; it must be `MITRE ATT&CK`");
      }
      if (const auto* tactic = threat->get_as<toml::table>("tactic")) check_tactic(*tactic);
      if (const auto* techniques = threat->get_as<toml::array>("technique")) {
        for (const toml::node& item : *techniques) {
          if (const auto* technique = item.as_table()) check_technique(*technique);
        }
      }
    }
  }

  void check_tactic(const toml::table& tactic) {
    const auto* id = tactic.get_as<std::string>("id");
    if (id == nullptr) return;
    const std::string& text = id->get();
    auto known = std::find_if(kTactics.begin(), kTactics.end(),
                              [&](const Tactic& t) { return t.id == text; });
    if (!is_tactic_id(text)) {
      report("meta.mitre-id", Severity::Error, span_of(*id),
             "`" + text + "` is not a MITRE ATT&CK tactic id (TA and four digits, e.g. TA0002)");
      return;
    }
    if (known == kTactics.end()) {
      report("meta.mitre-id", Severity::Error, span_of(*id),
             "`" + text + "` is not a tactic of MITRE ATT&CK Enterprise",
             "the tactics are TA0001 to TA0011, TA0040, TA0042 and TA0043");
      return;
    }
    if (const auto* name = tactic.get_as<std::string>("name");
        name != nullptr && name->get() != known->name) {
      report("meta.mitre-name", Severity::Error, span_of(*name),
             "tactic " + text + " is named \"" + std::string(known->name) + "\", not \"" +
                 name->get() + "\"");
    }
    check_reference(tactic, tactic_url(text), "tactic");
  }

  void check_technique(const toml::table& technique) {
    const auto* id = technique.get_as<std::string>("id");
    if (id != nullptr) {
      const std::string& text = id->get();
      if (!is_technique_id(text)) {
        report("meta.mitre-id", Severity::Error, span_of(*id),
               "`" + text + "` is not a MITRE ATT&CK technique id (T and four digits, e.g. T1059)",
               text.find('.') != std::string::npos ? "a sub-technique goes in [[rule.threat.technique.subtechnique]]"
                                                   : "");
      } else if (text[1] != '1') {
        report("meta.mitre-id", Severity::Error, span_of(*id),
               "`" + text + "` is not a technique of MITRE ATT&CK Enterprise, whose ids are T1001 to T1999");
      } else {
        check_reference(technique, technique_url(text), "technique");
      }
    }
    const auto* subs = technique.get_as<toml::array>("subtechnique");
    if (subs == nullptr) return;
    for (const toml::node& item : *subs) {
      const auto* sub = item.as_table();
      if (sub != nullptr) check_subtechnique(*sub, id != nullptr ? id->get() : std::string());
    }
  }

  void check_subtechnique(const toml::table& sub, const std::string& parent) {
    const auto* id = sub.get_as<std::string>("id");
    if (id == nullptr) return;
    const std::string& text = id->get();
    if (!is_subtechnique_id(text)) {
      report("meta.mitre-id", Severity::Error, span_of(*id),
             "`" + text +
                 "` is not a MITRE ATT&CK sub-technique id (a technique id, a dot and three "
                 "digits, e.g. T1059.001)");
      return;
    }
    if (is_technique_id(parent) && text.substr(0, 5) != parent) {
      report("meta.mitre-parent", Severity::Error, span_of(*id),
             "sub-technique " + text + " is not under its technique " + parent,
             "move it under technique " + text.substr(0, 5));
      return;
    }
    check_reference(sub, technique_url(text), "sub-technique");
  }

  void check_reference(const toml::table& table, const std::string& expected,
                       std::string_view what) {
    const auto* reference = table.get_as<std::string>("reference");
    if (reference == nullptr || reference->get() == expected) return;
    std::string message = "the reference of this ";
    message.append(what).append(" is \"").append(reference->get()).append("\"; its id links to \"");
    message.append(expected).append("\"");
    report("meta.mitre-reference", Severity::Error, span_of(*reference), std::move(message));
  }

  std::string_view text_;
  Diagnostics& out_;
};

// ---- Kibana exports: what the rule object says, named by the rule -----------------------

std::string enum_problem(std::string_view key, const std::string& value, std::string_view allowed) {
  std::vector<std::string_view> list = words(allowed);
  if (value.empty() || std::find(list.begin(), list.end(), value) != list.end()) return {};
  std::string message = "`";
  message.append(key).append("` is \"").append(value).append("\"; it must be ");
  return message + quoted_list(allowed);
}

// The end of a JSON string or number starting at `at`; `at` itself for anything else (an
// array is not underlined: its first character is shown).
std::size_t scalar_end(std::string_view line, std::size_t at) {
  if (at >= line.size()) return at;
  if (line[at] == '"') {
    for (std::size_t i = at + 1; i < line.size(); ++i) {
      if (line[i] == '\\') {
        ++i;
      } else if (line[i] == '"') {
        return i + 1;
      }
    }
    return at;
  }
  std::size_t end = at;
  while (end < line.size() && std::string_view("-+.eE0123456789").find(line[end]) != std::string_view::npos) {
    ++end;
  }
  return end;
}

void check_kibana_rule(const RuleFile& file, const Rule& rule, Diagnostics& out) {
  std::string_view text = file.source.text();
  std::string_view line = text.substr(rule.file_offset);
  line = line.substr(0, line.find('\n'));
  std::string prefix = "rule \"" + rule.name + "\": ";
  auto add = [&](std::string_view code, std::string_view key, std::string message) {
    std::size_t at = rules_internal::member_value_offset(line, key).value_or(0);
    std::size_t end = scalar_end(line, at);
    Diagnostic diagnostic;
    diagnostic.code = std::string(code);
    diagnostic.message = prefix + message;
    diagnostic.span = Span{rule.file_offset + static_cast<std::uint32_t>(at),
                           rule.file_offset + static_cast<std::uint32_t>(end)};
    out.push_back(std::move(diagnostic));
  };
  if (auto problem = enum_problem("severity", rule.severity, kEnums[0].allowed); !problem.empty()) {
    add("meta.enum", "severity", problem);
  }
  if (rule.risk_score && (*rule.risk_score < 0 || *rule.risk_score > 100)) {
    add("meta.range", "risk_score",
        "`risk_score` is " + std::to_string(*rule.risk_score) + "; it must be from 0 to 100");
  }
  if (!rule.type.empty() && rule.type != "eql") {
    add("meta.type-language", "type",
        "`type` is \"" + rule.type + "\" but the rule's language is eql, which needs type \"eql\"");
  }
  for (const MitreThreat& threat : rule.threat) {
    if (!threat.tactic_id.empty() && !is_tactic_id(threat.tactic_id)) {
      add("meta.mitre-id", "threat", "`" + threat.tactic_id + "` is not a MITRE ATT&CK tactic id");
    } else if (!threat.tactic_reference.empty() && threat.tactic_reference != tactic_url(threat.tactic_id)) {
      add("meta.mitre-reference", "threat",
          "the reference of tactic " + threat.tactic_id + " is \"" + threat.tactic_reference +
              "\"; its id links to \"" + tactic_url(threat.tactic_id) + "\"");
    }
    for (const MitreTechnique& technique : threat.techniques) {
      if (!is_technique_id(technique.id)) {
        add("meta.mitre-id", "threat", "`" + technique.id + "` is not a MITRE ATT&CK technique id");
        continue;
      }
      if (!technique.reference.empty() && technique.reference != technique_url(technique.id)) {
        add("meta.mitre-reference", "threat",
            "the reference of technique " + technique.id + " is \"" + technique.reference +
                "\"; its id links to \"" + technique_url(technique.id) + "\"");
      }
      for (const MitreSubtechnique& sub : technique.subtechniques) {
        if (!is_subtechnique_id(sub.id)) {
          add("meta.mitre-id", "threat", "`" + sub.id + "` is not a MITRE ATT&CK sub-technique id");
        } else if (sub.id.substr(0, 5) != technique.id) {
          add("meta.mitre-parent", "threat",
              "sub-technique " + sub.id + " is not under its technique " + technique.id);
        } else if (!sub.reference.empty() && sub.reference != technique_url(sub.id)) {
          add("meta.mitre-reference", "threat",
              "the reference of sub-technique " + sub.id + " is \"" + sub.reference +
                  "\"; its id links to \"" + technique_url(sub.id) + "\"");
        }
      }
    }
  }
}

}  // namespace

Diagnostics check_rule_metadata(const RuleFile& file, const Rule& rule) {
  Diagnostics out;
  if (rule.format == RuleFormat::Kibana) {
    check_kibana_rule(file, rule, out);
  } else if (rule.format == RuleFormat::Toml) {
    toml::table root;
    try {
      root = toml::parse(std::string_view(file.source.text()), std::string_view(file.source.name()));
    } catch (const toml::parse_error&) {
      return out;  // the loader reported it
    }
    const toml::table* table = root.get_as<toml::table>("rule");
    if (table == nullptr) return out;
    if (rule.dialect == Dialect::Endpoint) {
      TomlMetadataChecker(file.source.text(), out).check_behavior(root, *table);
    } else {
      TomlMetadataChecker(file.source.text(), out).check(root, *table);
    }
  }
  rules_internal::sort_by_position(out);
  return out;
}

}  // namespace eql
