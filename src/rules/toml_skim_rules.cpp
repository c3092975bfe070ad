// An EQL rule of detection-rules read from what the skim recorded, without toml++: toml++
// built a tree of the whole file, about 190 instructions per byte, for the two dozen values
// the loader takes (docs/performance.md, "Loading the rules"). It reads the same keys, in
// the same order, as load_toml_rules in toml_rules.cpp; any value of an unexpected type
// sends the file back to toml++, whose path words the diagnostic, so both give one result
// (tests/toml_skim_test.cpp compares them over the corpus).
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/loaders.h"
#include "rules/string_scan.h"
#include "rules/toml_skim.h"

namespace eql::rules_internal {

namespace {

// The value of a string token the skim accepted, without the byte offsets scan_toml_string
// keeps (that was 0.16 G instructions for the corpus's names, descriptions and tags). The
// skim vouched for the token: a basic string holds only the simple escapes and line-ending
// backslashes, a multi-line one ends with exactly three quotes, and there is no CR.
std::string decode_skimmed_string(std::string_view token) {
  const char quote = token[0];
  const bool multiline = token.size() >= 6 && token[1] == quote && token[2] == quote;
  const std::size_t delimiter = multiline ? 3 : 1;
  std::string_view content = token.substr(delimiter, token.size() - 2 * delimiter);
  // TOML trims a line feed right after the opening delimiter of a multi-line string.
  if (multiline && !content.empty() && content[0] == '\n') content.remove_prefix(1);
  if (quote == '\'') return std::string(content);
  std::string out;
  out.reserve(content.size());
  for (std::size_t at = 0; at < content.size(); ++at) {
    const char c = content[at];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    const char kind = content[++at];
    switch (kind) {
      case 'b': out.push_back('\b'); break;
      case 't': out.push_back('\t'); break;
      case 'n': out.push_back('\n'); break;
      case 'f': out.push_back('\f'); break;
      case 'r': out.push_back('\r'); break;
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      default:
        // A line-ending backslash: the line feed and all blanks after it go.
        while (at + 1 < content.size() &&
               (content[at + 1] == ' ' || content[at + 1] == '\t' || content[at + 1] == '\n')) {
          ++at;
        }
    }
  }
  return out;
}

// Typed values by resolved path (".rule.threat#0.tactic"); `plain()` is false once a value
// was not what the loader expects, and the caller then drops what was read.
class SkimFields {
 public:
  SkimFields(std::string_view text, const SkimmedRule& skimmed) : text_(text), skimmed_(skimmed) {}

  bool plain() const { return plain_; }

  std::string string(std::string_view table, std::string_view key) {
    const SkimValue* value = lookup(path_of(table, key));
    if (value == nullptr) return {};
    return decoded(*value);
  }

  std::optional<std::int64_t> integer(std::string_view table, std::string_view key) {
    const SkimValue* value = lookup(path_of(table, key));
    if (value == nullptr) return std::nullopt;
    std::int64_t number = 0;
    const char* first = text_.data() + value->begin;
    const char* last = text_.data() + value->end;
    auto [end, error] = std::from_chars(first, last, number);
    if (value->kind != SkimValue::Kind::Integer || error != std::errc() || end != last) {
      plain_ = false;
      return std::nullopt;
    }
    return number;
  }

  /// An array of strings; `accept_single` also takes one bare string.
  std::vector<std::string> strings(std::string_view table, std::string_view key, bool accept_single = false) {
    std::vector<std::string> result;
    const SkimValue* value = lookup(path_of(table, key));
    if (value == nullptr) return result;
    if (accept_single && value->kind == SkimValue::Kind::String) {
      result.push_back(decoded(*value));
      return result;
    }
    if (value->kind != SkimValue::Kind::Array) {
      plain_ = false;
      return result;
    }
    result.reserve(value->elements.size());
    for (const SkimValue& element : value->elements) result.push_back(decoded(element));
    return result;
  }

  /// The paths of the tables of an array of tables (`[[rule.threat]]`).
  std::vector<std::string> tables(std::string_view table, std::string_view key) {
    std::vector<std::string> result;
    std::string path = path_of(table, key);
    if (auto found = skimmed_.table_arrays.find(path); found != skimmed_.table_arrays.end()) {
      for (std::size_t i = 0; i < found->second; ++i) result.push_back(path + '#' + std::to_string(i));
      return result;
    }
    if (is_table(path)) {
      plain_ = false;
    } else if (auto value = skimmed_.values.find(path); value != skimmed_.values.end()) {
      // `threat = []` is an empty array of tables; the subset has no inline tables.
      if (value->second.kind != SkimValue::Kind::Array || !value->second.elements.empty()) plain_ = false;
    }
    return result;
  }

  /// The path of a table, or none when absent.
  std::optional<std::string> table(std::string_view parent, std::string_view key) {
    std::string path = path_of(parent, key);
    if (is_table(path)) return path;
    if (skimmed_.values.count(path) != 0 || skimmed_.table_arrays.count(path) != 0) plain_ = false;
    return std::nullopt;
  }

  /// Where the token of a value known to be present ends.
  std::uint32_t end_of(std::string_view table, std::string_view key) const {
    return skimmed_.values.find(path_of(table, key))->second.end;
  }

  /// Where a value's token starts, or none when absent.
  std::optional<std::uint32_t> begin_of(std::string_view table, std::string_view key) const {
    auto found = skimmed_.values.find(path_of(table, key));
    if (found == skimmed_.values.end()) return std::nullopt;
    return found->second.begin;
  }

 private:
  static std::string path_of(std::string_view table, std::string_view key) {
    std::string path;
    path.reserve(table.size() + key.size() + 1);
    path.append(table).append(1, '.').append(key);
    return path;
  }

  bool is_table(const std::string& path) const {
    return skimmed_.explicit_tables.count(path) != 0 || skimmed_.implicit_tables.count(path) != 0;
  }

  // The value at `path`; none when absent, or when it is a table (not plain).
  const SkimValue* lookup(const std::string& path) {
    if (auto found = skimmed_.values.find(path); found != skimmed_.values.end()) return &found->second;
    if (is_table(path) || skimmed_.table_arrays.count(path) != 0) plain_ = false;
    return nullptr;
  }

  std::string decoded(const SkimValue& value) {
    if (value.kind != SkimValue::Kind::String) {
      plain_ = false;
      return {};
    }
    return decode_skimmed_string(text_.substr(value.begin, value.end - value.begin));
  }

  std::string_view text_;
  const SkimmedRule& skimmed_;
  bool plain_ = true;
};

std::vector<MitreThreat> read_threat(SkimFields& fields) {
  std::vector<MitreThreat> threats;
  for (const std::string& entry : fields.tables(".rule", "threat")) {
    MitreThreat threat;
    threat.framework = fields.string(entry, "framework");
    if (std::optional<std::string> tactic = fields.table(entry, "tactic")) {
      threat.tactic_id = fields.string(*tactic, "id");
      threat.tactic_name = fields.string(*tactic, "name");
      threat.tactic_reference = fields.string(*tactic, "reference");
    }
    for (const std::string& item : fields.tables(entry, "technique")) {
      MitreTechnique technique;
      technique.id = fields.string(item, "id");
      technique.name = fields.string(item, "name");
      technique.reference = fields.string(item, "reference");
      for (const std::string& sub : fields.tables(item, "subtechnique")) {
        MitreSubtechnique subtechnique;
        subtechnique.id = fields.string(sub, "id");
        subtechnique.name = fields.string(sub, "name");
        subtechnique.reference = fields.string(sub, "reference");
        technique.subtechniques.push_back(std::move(subtechnique));
      }
      threat.techniques.push_back(std::move(technique));
    }
    threats.push_back(std::move(threat));
  }
  return threats;
}

std::vector<ExceptionListReference> read_exception_references(SkimFields& fields) {
  std::vector<ExceptionListReference> references;
  for (const std::string& entry : fields.tables(".rule", "exceptions_list")) {
    ExceptionListReference reference;
    reference.id = fields.string(entry, "id");
    reference.list_id = fields.string(entry, "list_id");
    reference.type = fields.string(entry, "type");
    reference.namespace_type = fields.string(entry, "namespace_type");
    references.push_back(std::move(reference));
  }
  return references;
}

// The query and where its bytes sit in the file, as read_query in toml_rules.cpp.
bool read_query(SkimFields& fields, const RuleFile& file, const SkimmedRule& skimmed, Rule& rule) {
  std::optional<std::uint32_t> start = fields.begin_of(".rule", "query");
  if (!start) {
    if (!fields.plain()) return false;
    Diagnostic diagnostic;
    diagnostic.code = "rule.missing-query";
    diagnostic.message = "this EQL rule has no `query`";
    diagnostic.hint = "add query = '''...''' to the [rule] table";
    diagnostic.span = Span{skimmed.rule_offset, skimmed.rule_offset};
    rule.field_diagnostics.push_back(std::move(diagnostic));
    return true;
  }
  const std::string& text = file.source.text();
  if (text[*start] == '\'') {
    // A literal string, the usual ''': its bytes are the file's, one shift maps them.
    const bool multiline = text.compare(*start, 3, "'''") == 0;
    std::uint32_t begin = *start + (multiline ? 3 : 1);
    if (multiline && text[begin] == '\n') ++begin;
    const std::string_view token(text.data() + *start, fields.end_of(".rule", "query") - *start);
    rule.query = decode_skimmed_string(token);
    rule.has_query = true;
    rule.query_origin = QueryOrigin::shifted(begin);
    return true;
  }
  ScannedString scanned = scan_toml_string(text, *start);
  if (!scanned.ok) return false;
  rule.query = std::move(scanned.value);
  rule.has_query = true;
  rule.query_origin = origin_of(scanned);
  return true;
}

}  // namespace

bool read_skimmed_eql_rule(RuleFile& file, const SkimmedRule& skimmed) {
  if (!is_eql_rule(skimmed.language, skimmed.type)) return false;
  SkimFields fields(file.source.text(), skimmed);
  Rule rule;
  rule.file = file.source.name();
  rule.format = RuleFormat::Toml;
  rule.file_offset = skimmed.rule_offset;
  rule.language = skimmed.language.empty() ? "eql" : skimmed.language;
  rule.type = skimmed.type;
  rule.rule_id = skimmed.rule_id;
  if (skimmed.has_rule_id) {
    auto found = skimmed.values.find(".rule.rule_id");
    if (found == skimmed.values.end()) return false;
    rule.rule_id_span = Span{found->second.begin, found->second.end};
  }
  rule.name = fields.string(".rule", "name");
  rule.description = fields.string(".rule", "description");
  rule.severity = fields.string(".rule", "severity");
  rule.risk_score = fields.integer(".rule", "risk_score");
  rule.index = fields.strings(".rule", "index");
  rule.timestamp_override = fields.string(".rule", "timestamp_override");
  rule.event_category_override = fields.string(".rule", "event_category_override");
  rule.tiebreaker_field = fields.string(".rule", "tiebreaker_field");
  rule.max_signals = fields.integer(".rule", "max_signals");
  rule.building_block_type = fields.string(".rule", "building_block_type");
  rule.tags = fields.strings(".rule", "tags");
  rule.threat = read_threat(fields);
  rule.exceptions_list = read_exception_references(fields);
  if (std::optional<std::string> metadata = fields.table("", "metadata")) {
    rule.integrations = fields.strings(*metadata, "integration", true);
    rule.min_stack_version = fields.string(*metadata, "min_stack_version");
    rule.maturity = fields.string(*metadata, "maturity");
  }
  if (!read_query(fields, file, skimmed, rule) || !fields.plain()) return false;
  file.rules.push_back(std::move(rule));
  return true;
}

}  // namespace eql::rules_internal
