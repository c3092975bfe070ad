// detection-rules TOML files: `[metadata]`, `[rule]` (+ `[[rule.threat]]` ...), the query in
// `rule.query`, usually a `'''` literal string.
#include <toml++/toml.h>

#include <optional>
#include <string_view>

#include "rules/loaders.h"
#include "rules/string_scan.h"
#include "rules/toml_skim.h"
#include "rules/toml_types.h"

namespace eql::rules_internal {

const char* described_type(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time: return "a date or time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

namespace {

// Reads typed fields out of toml++ tables; a value of the wrong type becomes a diagnostic
// at the value (never an exception), and the field is left empty.
class TomlFields {
 public:
  TomlFields(const RuleFile& file, Diagnostics& out) : text_(file.source.text()), out_(out) {}

  // toml++ counts source columns in code points, not bytes (a test pins this with a
  // non-ASCII name before the query), so columns are walked character by character.
  std::uint32_t offset_of(const toml::source_position& position) const {
    return offset_of_line_column(text_, position.line, position.column);
  }

  Span span_of(const toml::node& node) const {
    const toml::source_region& region = node.source();
    std::uint32_t begin = offset_of(region.begin);
    std::uint32_t end = offset_of(region.end);
    return Span{begin, end > begin ? end : begin};
  }

  void wrong_type(const toml::node& node, std::string_view path, std::string_view expected) {
    Diagnostic diagnostic;
    diagnostic.code = "rule.wrong-type";
    // Built by appending: GCC 12 misreports `"x" + std::string` chains (-Wrestrict).
    diagnostic.message.append("`").append(path).append("` must be ").append(expected);
    diagnostic.message.append(", not ").append(described_type(node));
    diagnostic.span = span_of(node);
    out_.push_back(std::move(diagnostic));
  }

  std::string string(const toml::table& table, std::string_view key, std::string_view path) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return {};
    if (const auto* value = node->as_string()) return value->get();
    wrong_type(*node, path, "a string");
    return {};
  }

  std::optional<std::int64_t> integer(const toml::table& table, std::string_view key,
                                      std::string_view path) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    if (const auto* value = node->as_integer()) return value->get();
    wrong_type(*node, path, "an integer");
    return std::nullopt;
  }

  /// An array of strings; `accept_single` also takes one bare string (metadata.integration).
  std::vector<std::string> strings(const toml::table& table, std::string_view key,
                                   std::string_view path, bool accept_single = false) {
    std::vector<std::string> result;
    const toml::node* node = table.get(key);
    if (node == nullptr) return result;
    if (accept_single) {
      if (const auto* value = node->as_string()) return {value->get()};
    }
    const auto* array = node->as_array();
    if (array == nullptr) {
      wrong_type(*node, path, "an array of strings");
      return result;
    }
    for (const toml::node& element : *array) {
      if (const auto* value = element.as_string()) {
        result.push_back(value->get());
      } else {
        wrong_type(element, std::string(path) + "[]", "a string");
      }
    }
    return result;
  }

  /// The tables of an array of tables (`[[rule.threat]]`), wrong elements reported.
  std::vector<const toml::table*> tables(const toml::table& table, std::string_view key,
                                         std::string_view path) {
    std::vector<const toml::table*> result;
    const toml::node* node = table.get(key);
    if (node == nullptr) return result;
    const auto* array = node->as_array();
    if (array == nullptr) {
      wrong_type(*node, path, "an array of tables");
      return result;
    }
    for (const toml::node& element : *array) {
      if (const auto* entry = element.as_table()) {
        result.push_back(entry);
      } else {
        wrong_type(element, std::string(path) + "[]", "a table");
      }
    }
    return result;
  }

  const toml::table* table(const toml::table& parent, std::string_view key, std::string_view path) {
    const toml::node* node = parent.get(key);
    if (node == nullptr) return nullptr;
    if (const auto* value = node->as_table()) return value;
    wrong_type(*node, path, "a table");
    return nullptr;
  }

 private:
  std::string_view text_;
  Diagnostics& out_;
};

// `prefix` is where the threat list sits: "rule." in detection-rules, "" in behavior rules.
std::vector<MitreThreat> read_threat(TomlFields& fields, const toml::table& rule,
                                     std::string_view prefix = "rule.") {
  auto path = [prefix](std::string_view key) { return std::string(prefix).append(key); };
  std::vector<MitreThreat> threats;
  for (const toml::table* entry : fields.tables(rule, "threat", path("threat"))) {
    MitreThreat threat;
    threat.framework = fields.string(*entry, "framework", path("threat.framework"));
    if (const toml::table* tactic = fields.table(*entry, "tactic", path("threat.tactic"))) {
      threat.tactic_id = fields.string(*tactic, "id", path("threat.tactic.id"));
      threat.tactic_name = fields.string(*tactic, "name", path("threat.tactic.name"));
      threat.tactic_reference = fields.string(*tactic, "reference", path("threat.tactic.reference"));
    }
    for (const toml::table* item : fields.tables(*entry, "technique", path("threat.technique"))) {
      MitreTechnique technique;
      technique.id = fields.string(*item, "id", path("threat.technique.id"));
      technique.name = fields.string(*item, "name", path("threat.technique.name"));
      technique.reference = fields.string(*item, "reference", path("threat.technique.reference"));
      for (const toml::table* sub :
           fields.tables(*item, "subtechnique", path("threat.technique.subtechnique"))) {
        MitreSubtechnique subtechnique;
        subtechnique.id = fields.string(*sub, "id", path("threat.technique.subtechnique.id"));
        subtechnique.name = fields.string(*sub, "name", path("threat.technique.subtechnique.name"));
        subtechnique.reference =
            fields.string(*sub, "reference", path("threat.technique.subtechnique.reference"));
        technique.subtechniques.push_back(std::move(subtechnique));
      }
      threat.techniques.push_back(std::move(technique));
    }
    threats.push_back(std::move(threat));
  }
  return threats;
}

std::vector<ExceptionListReference> read_exception_references(TomlFields& fields,
                                                              const toml::table& rule) {
  std::vector<ExceptionListReference> references;
  for (const toml::table* entry : fields.tables(rule, "exceptions_list", "rule.exceptions_list")) {
    ExceptionListReference reference;
    reference.id = fields.string(*entry, "id", "rule.exceptions_list.id");
    reference.list_id = fields.string(*entry, "list_id", "rule.exceptions_list.list_id");
    reference.type = fields.string(*entry, "type", "rule.exceptions_list.type");
    reference.namespace_type =
        fields.string(*entry, "namespace_type", "rule.exceptions_list.namespace_type");
    references.push_back(std::move(reference));
  }
  return references;
}

std::vector<EndpointAction> read_actions(TomlFields& fields, const toml::table& rule) {
  std::vector<EndpointAction> actions;
  for (std::string_view key : {"actions", "optional_actions"}) {
    std::string path = std::string(key);
    for (const toml::table* entry : fields.tables(rule, key, path)) {
      EndpointAction action;
      action.optional = key == "optional_actions";
      action.action = fields.string(*entry, "action", path + ".action");
      action.field = fields.string(*entry, "field", path + ".field");
      action.state = fields.integer(*entry, "state", path + ".state");
      if (const toml::node* tree = entry->get("tree")) {
        if (const auto* value = tree->as_boolean()) {
          action.tree = value->get();
        } else {
          fields.wrong_type(*tree, path + ".tree", "a boolean");
        }
      }
      actions.push_back(std::move(action));
    }
  }
  return actions;
}

// An Elastic Defend behavior rule (elastic/protections-artifacts): `[rule]` with `id`
// instead of `rule_id`, no language or type (its query is EQL of the endpoint dialect),
// `os_list` and `version`; `[[actions]]` and `[[threat]]` sit at the top of the file.
bool is_behavior_rule(const toml::table& rule, const std::string& language, const std::string& type) {
  return language.empty() && type.empty() && rule.contains("id") && !rule.contains("rule_id");
}

void read_behavior_rule(TomlFields& fields, const toml::table& root, const toml::table& table,
                        Rule& rule) {
  rule.dialect = Dialect::Endpoint;
  rule.rule_id = fields.string(table, "id", "rule.id");
  if (const toml::node* id = table.get("id")) rule.rule_id_span = fields.span_of(*id);
  rule.name = fields.string(table, "name", "rule.name");
  rule.description = fields.string(table, "description", "rule.description");
  rule.os_list = fields.strings(table, "os_list", "rule.os_list");
  rule.rule_version = fields.string(table, "version", "rule.version");
  rule.min_endpoint_version =
      fields.string(table, "min_endpoint_version", "rule.min_endpoint_version");
  rule.tags = fields.strings(table, "tags", "rule.tags");
  // Seen at the top of the file and, in some rules, inside [rule] (`optional_actions = []`).
  rule.actions = read_actions(fields, root);
  for (EndpointAction& action : read_actions(fields, table)) rule.actions.push_back(std::move(action));
  rule.threat = read_threat(fields, root, "");
}

// Finds the query's bytes in the file by rescanning the string token toml++ parsed, so even
// escaped (basic) strings and CRLF files map every byte exactly.
void read_query(TomlFields& fields, const RuleFile& file, const toml::table& table, Rule& rule) {
  const toml::node* node = table.get("query");
  if (node == nullptr) {
    Diagnostic diagnostic;
    diagnostic.code = "rule.missing-query";
    diagnostic.message = "this EQL rule has no `query`";
    diagnostic.hint = "add query = '''...''' to the [rule] table";
    std::uint32_t at = fields.span_of(table).begin;
    diagnostic.span = Span{at, at};
    rule.field_diagnostics.push_back(std::move(diagnostic));
    return;
  }
  const auto* value = node->as_string();
  if (value == nullptr) {
    fields.wrong_type(*node, "rule.query", "a string");
    return;
  }
  rule.query = value->get();
  rule.has_query = true;
  std::uint32_t start = fields.span_of(*node).begin;
  ScannedString scanned = scan_toml_string(file.source.text(), start);
  if (scanned.ok && scanned.value == rule.query) {
    rule.query_origin = origin_of(scanned);
  } else {
    // Not expected for any TOML toml++ accepts; positions then point at the string's start.
    rule.query_origin = QueryOrigin::table(std::vector<std::uint32_t>(rule.query.size() + 1, start));
  }
}

// The first byte at or after `from` that does not start a well-formed UTF-8 sequence;
// `from` when there is none.
std::uint32_t first_invalid_utf8(std::string_view text, std::uint32_t from) {
  std::size_t at = from;
  while (at < text.size()) {
    auto lead = static_cast<unsigned char>(text[at]);
    std::size_t length = lead < 0x80 ? 1 : lead >= 0xC2 && lead <= 0xDF ? 2
                       : lead >= 0xE0 && lead <= 0xEF ? 3 : lead >= 0xF0 && lead <= 0xF4 ? 4 : 0;
    if (length == 0 || at + length > text.size()) return static_cast<std::uint32_t>(at);
    for (std::size_t i = 1; i < length; ++i) {
      if ((static_cast<unsigned char>(text[at + i]) & 0xC0) != 0x80) return static_cast<std::uint32_t>(at);
    }
    at += length;
  }
  return from;
}

// A rule in another language, found by the skim: reported as the full loader would, without
// building the tree of a file whose fields are not read.
bool skipped_by_skim(RuleFile& file, std::optional<SkimmedRule>& skimmed) {
  if (!skimmed) return false;
  // Only a language or type that is not ours is decided here (is_behavior_rule needs both
  // empty); an EQL rule is read whole.
  if ((skimmed->language.empty() && skimmed->type.empty()) || is_eql_rule(skimmed->language, skimmed->type)) {
    return false;
  }
  SkippedEntry entry;
  entry.kind = SkippedEntry::Kind::RuleInOtherLanguage;
  entry.what = skipped_language_label(skimmed->language, skimmed->type);
  entry.type = skimmed->type;
  entry.file_offset = offset_of_line_column(file.source.text(), skimmed->rule_line, skimmed->rule_column);
  entry.rule_id = std::move(skimmed->rule_id);
  entry.name = std::move(skimmed->name);
  file.skipped.push_back(std::move(entry));
  return true;
}

}  // namespace

void load_toml_rules(RuleFile& file) {
  std::optional<SkimmedRule> skimmed = skim_toml_rule(file.source.text());
  if (skipped_by_skim(file, skimmed)) return;
  if (skimmed && read_skimmed_eql_rule(file, *skimmed)) return;
  // A file the skim vouched for is valid, so toml++ may read it without the strings no
  // field is taken from: every node read keeps its line and column.
  std::string lighter;
  if (skimmed && !skimmed->unread_strings.empty()) lighter = without_unread_strings(file.source.text(), *skimmed);
  toml::table root;
  try {
    root = toml::parse(lighter.empty() ? std::string_view(file.source.text()) : std::string_view(lighter),
                       std::string_view(file.source.name()));
  } catch (const toml::parse_error& error) {
    Diagnostic diagnostic;
    diagnostic.code = "rule.toml-syntax";
    diagnostic.message = "invalid TOML: " + std::string(error.description());
    std::uint32_t at = offset_of_line_column(file.source.text(), error.source().begin.line,
                                             error.source().begin.column);
    // toml++ places an invalid UTF-8 sequence at the character before it (which may be the
    // previous line's end); point at the offending byte.
    if (diagnostic.message.find("invalid utf-8") != std::string::npos) {
      at = first_invalid_utf8(file.source.text(), at);
    }
    // toml++ counts the CR of a CRLF (or of a file cut after a CR) as a column, so the end
    // of such a line lies one column past the line as shown: point at the CR instead.
    const std::string& raw = file.source.text();
    if (at > 0 && raw[at - 1] == '\r' && (at == raw.size() || raw[at] == '\n')) --at;
    diagnostic.span = Span{at, at};
    // toml++ words an unterminated one-line string as a forbidden control character (the
    // line ending); say what the user most likely has to do.
    const std::string& text = file.source.text();
    bool at_line_end = at >= text.size() || text[at] == '\n' || text[at] == '\r';
    if (at_line_end && diagnostic.message.find("parsing string") != std::string::npos) {
      diagnostic.hint = "the string is not closed on its line: add the closing quote, or use ''' "
                        "for a string of several lines";
    }
    file.diagnostics.push_back(std::move(diagnostic));
    file.unreadable = true;
    return;
  }

  TomlFields file_fields(file, file.diagnostics);
  const toml::node* rule_node = root.get("rule");
  if (rule_node == nullptr) {
    SkippedEntry entry;
    entry.kind = SkippedEntry::Kind::OtherObject;
    entry.what = "non-rule TOML file";
    file.skipped.push_back(std::move(entry));
    return;
  }
  const toml::table* rule_table = rule_node->as_table();
  if (rule_table == nullptr) {
    file_fields.wrong_type(*rule_node, "rule", "a table");
    return;
  }

  // The language decides whether this file is ours; a broken one belongs to no rule.
  std::string language = file_fields.string(*rule_table, "language", "rule.language");
  std::string type = file_fields.string(*rule_table, "type", "rule.type");
  if (has_errors(file.diagnostics)) return;

  std::uint32_t rule_offset = file_fields.span_of(*rule_table).begin;
  bool behavior = is_behavior_rule(*rule_table, language, type);
  if (!behavior && !is_eql_rule(language, type)) {
    SkippedEntry entry;
    entry.kind = SkippedEntry::Kind::RuleInOtherLanguage;
    entry.what = skipped_language_label(language, type);
    entry.type = type;
    entry.file_offset = rule_offset;
    // Names are shown but not checked for rules we do not validate.
    if (const auto* id = rule_table->get_as<std::string>("rule_id")) entry.rule_id = id->get();
    if (const auto* name = rule_table->get_as<std::string>("name")) entry.name = name->get();
    file.skipped.push_back(std::move(entry));
    return;
  }

  Rule rule;
  rule.file = file.source.name();
  rule.format = RuleFormat::Toml;
  rule.file_offset = rule_offset;
  rule.language = language.empty() ? "eql" : language;
  rule.type = type;
  TomlFields fields(file, rule.field_diagnostics);
  if (behavior) {
    read_behavior_rule(fields, root, *rule_table, rule);
    read_query(fields, file, *rule_table, rule);
    sort_by_position(rule.field_diagnostics);
    file.rules.push_back(std::move(rule));
    return;
  }
  rule.rule_id = fields.string(*rule_table, "rule_id", "rule.rule_id");
  if (const toml::node* id = rule_table->get("rule_id")) rule.rule_id_span = fields.span_of(*id);
  rule.name = fields.string(*rule_table, "name", "rule.name");
  rule.description = fields.string(*rule_table, "description", "rule.description");
  rule.severity = fields.string(*rule_table, "severity", "rule.severity");
  rule.risk_score = fields.integer(*rule_table, "risk_score", "rule.risk_score");
  rule.index = fields.strings(*rule_table, "index", "rule.index");
  rule.timestamp_override =
      fields.string(*rule_table, "timestamp_override", "rule.timestamp_override");
  rule.event_category_override =
      fields.string(*rule_table, "event_category_override", "rule.event_category_override");
  rule.tiebreaker_field = fields.string(*rule_table, "tiebreaker_field", "rule.tiebreaker_field");
  rule.max_signals = fields.integer(*rule_table, "max_signals", "rule.max_signals");
  rule.building_block_type =
      fields.string(*rule_table, "building_block_type", "rule.building_block_type");
  rule.tags = fields.strings(*rule_table, "tags", "rule.tags");
  rule.threat = read_threat(fields, *rule_table);
  rule.exceptions_list = read_exception_references(fields, *rule_table);
  if (const toml::table* metadata = fields.table(root, "metadata", "metadata")) {
    rule.integrations = fields.strings(*metadata, "integration", "metadata.integration", true);
    rule.min_stack_version =
        fields.string(*metadata, "min_stack_version", "metadata.min_stack_version");
    rule.maturity = fields.string(*metadata, "maturity", "metadata.maturity");
  }
  read_query(fields, file, *rule_table, rule);
  sort_by_position(rule.field_diagnostics);
  file.rules.push_back(std::move(rule));
}

}  // namespace eql::rules_internal
