// Rule files loaded unchanged: detection-rules TOML, Kibana rule exports (.ndjson) and plain
// `.eql` files. The loader keeps the facts later stages need (metadata, MITRE threat,
// exception lists) and, for every EQL query, where each of its bytes sits in the file, so a
// diagnostic in the query is shown at the right line and column of the rule file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eql/diagnostic.h"
#include "eql/dialect.h"
#include "eql/source.h"

namespace eql {

enum class RuleFormat { Toml, Kibana, Eql };

/// "toml", "kibana", "eql".
const char* rule_format_name(RuleFormat format);

/// The format a file name asks for (`.toml`, `.ndjson`, `.eql`), or none for any other file.
std::optional<RuleFormat> rule_format_for_path(std::string_view path);

struct MitreSubtechnique {
  std::string id;  ///< e.g. "T1059.003"
  std::string name;
  std::string reference;
};

struct MitreTechnique {
  std::string id;  ///< e.g. "T1059"
  std::string name;
  std::string reference;
  std::vector<MitreSubtechnique> subtechniques;
};

/// One entry of a rule's `threat` list: a tactic and the techniques under it.
struct MitreThreat {
  std::string framework;  ///< "MITRE ATT&CK"
  std::string tactic_id;  ///< e.g. "TA0002"
  std::string tactic_name;
  std::string tactic_reference;
  std::vector<MitreTechnique> techniques;
};

/// A rule's reference to an exception list (`exceptions_list` in Kibana and TOML).
struct ExceptionListReference {
  std::string id;
  std::string list_id;
  std::string type;            ///< "detection", "rule_default", "endpoint"
  std::string namespace_type;  ///< "single", "agnostic"
};

/// One condition of an exception item. `type` says which members are used:
/// "match" (one value), "match_any" (values), "wildcard" (one value), "exists" (none),
/// "list" (value_list_id), "nested" (entries, under `field`).
struct ExceptionEntry {
  std::string field;
  std::string type;
  std::string operator_name;  ///< "included" or "excluded"
  std::vector<std::string> values;
  std::string value_list_id;
  std::vector<ExceptionEntry> entries;
};

/// An exception list item from a Kibana export: all its entries must match for an alert
/// to be suppressed.
struct ExceptionListItem {
  std::string list_id;
  std::string item_id;
  std::string name;
  std::string type;  ///< "simple"
  std::vector<std::string> os_types;
  std::vector<ExceptionEntry> entries;
};

/// An exception list container from a Kibana export (its items come separately).
struct ExceptionList {
  std::string id;
  std::string list_id;
  std::string name;
  std::string type;
  std::string namespace_type;
};

/// What an Elastic Defend behavior rule asks the endpoint to do when it matches
/// (`[[actions]]`, `[[optional_actions]]`): e.g. kill_process on `process.entity_id`.
struct EndpointAction {
  std::string action;  ///< "kill_process", "rollback", ...
  std::string field;   ///< the field naming the target, e.g. "process.entity_id"
  std::optional<std::int64_t> state;  ///< the sequence stage whose event holds the field
  bool tree = false;      ///< the whole process tree
  bool optional = false;  ///< from [[optional_actions]]
};

/// One EQL rule as the file states it. Optional numbers are absent when the file omits them.
struct Rule {
  std::string file;  ///< the path it was loaded from, as shown in diagnostics
  RuleFormat format = RuleFormat::Toml;
  std::uint32_t file_offset = 0;  ///< where the rule starts in the file ([rule] or its JSON line)

  std::string rule_id;
  /// Where the rule_id's value is in the file; empty (0, 0) when the rule has none.
  Span rule_id_span;
  std::string name;
  std::string description;
  std::string severity;
  std::optional<std::int64_t> risk_score;
  std::vector<std::string> index;
  std::string language;  ///< "eql" for every loaded rule
  std::string type;      ///< "eql"
  std::string timestamp_override;
  std::string event_category_override;
  std::string tiebreaker_field;
  std::optional<std::int64_t> max_signals;
  std::string building_block_type;
  std::vector<std::string> tags;
  std::vector<MitreThreat> threat;
  std::vector<ExceptionListReference> exceptions_list;

  /// The EQL dialect of the query: endpoint for Elastic Defend's behavior rules.
  Dialect dialect = Dialect::Elasticsearch;
  // Elastic Defend behavior rules ([rule] with id, os_list, min_endpoint_version, version)
  std::vector<std::string> os_list;
  std::string rule_version;  ///< e.g. "1.0.15"
  std::string min_endpoint_version;
  std::vector<EndpointAction> actions;

  // detection-rules [metadata]
  std::vector<std::string> integrations;
  std::string min_stack_version;
  std::string maturity;

  /// The query after the file format's own unescaping (TOML, JSON): the text EQL parses.
  std::string query;
  /// False when the file has no usable query (see field_diagnostics); nothing to parse then.
  bool has_query = false;
  /// Maps every byte of `query` to its byte offset in the file.
  QueryOrigin query_origin;

  /// Problems with this rule's own fields (a missing query, `risk_score = "high"`), with
  /// spans in FILE coordinates (render them with an identity QueryOrigin).
  Diagnostics field_diagnostics;
};

/// Something in a rule file that is not an EQL rule: a rule in another language, or
/// another kind of object in a Kibana export. Reported, never an error.
struct SkippedEntry {
  enum class Kind { RuleInOtherLanguage, OtherObject };
  Kind kind = Kind::RuleInOtherLanguage;
  /// For rules: the language ("kuery", "esql", "lucene", "machine learning" for rules of
  /// type machine_learning, which have none). For objects: what it is ("exception list",
  /// "exception list item", "action connector", "export summary", "unknown object",
  /// "non-rule TOML file": a .toml file with no [rule] table).
  std::string what;
  std::string rule_id;
  std::string name;
  std::string type;  ///< the rule's `type`, when it is a rule
  std::uint32_t file_offset = 0;
};

/// One file as loaded. `diagnostics` holds problems that belong to no single EQL rule
/// (TOML or JSON syntax, unreadable file), with spans in file coordinates.
struct RuleFile {
  SourceText source;
  RuleFormat format = RuleFormat::Toml;
  std::vector<Rule> rules;
  std::vector<SkippedEntry> skipped;
  Diagnostics diagnostics;
  /// Nothing could be read from the file (a TOML syntax error).
  bool unreadable = false;

  std::vector<ExceptionList> exception_lists;
  std::vector<ExceptionListItem> exception_items;

  explicit RuleFile(SourceText text, RuleFormat file_format)
      : source(std::move(text)), format(file_format) {}
};

/// Loads one file's text. `name` is the path shown in diagnostics. Never throws for bad
/// input: every problem is a diagnostic.
RuleFile load_rule_text(std::string name, std::string text, RuleFormat format);

/// The result of loading paths given by a user.
struct LoadedRules {
  std::vector<RuleFile> files;
  /// Paths that do not exist or cannot be read: a usage/I-O problem, not a finding.
  std::vector<std::string> io_errors;
};

/// Loads files and directories. Directories are walked recursively in sorted order; only
/// `.toml`, `.ndjson` and `.eql` files are read and hidden entries (names starting with '.')
/// are not entered. A path that does not exist, or a file named directly with another
/// extension, is an I/O error.
LoadedRules load_rule_paths(const std::vector<std::string>& paths);

/// The format of a rule text that comes without a file name (standard input): a Kibana
/// export when its first non-blank character is `{`, TOML when a line opens the `[rule]` or
/// `[metadata]` table, otherwise a plain query.
RuleFormat detect_rule_format(std::string_view text);

/// The metadata checks detection-rules' schema makes, for one EQL rule (docs/validate.md
/// lists each with its code): required keys, enumerations, ranges, dates, unknown keys,
/// type and language, MITRE ATT&CK ids, references and parents. Detection-rules TOML gets
/// every check at the key or value concerned; a Kibana export rule gets the checks of the
/// values it holds, each message naming the rule. Plain `.eql` files have no metadata.
/// Spans are in file coordinates.
Diagnostics check_rule_metadata(const RuleFile& file, const Rule& rule);

/// One rule among the loaded files, as the rule_id checks name it.
struct RulePlace {
  const RuleFile* file = nullptr;
  const Rule* rule = nullptr;  ///< set for EQL rules; null for a rule in another language
  std::string name;
  std::uint32_t file_offset = 0;  ///< the rule_id's value (or the rule's start)
};

/// A rule_id held by more than one rule (of any language) among the loaded files, in the
/// order the files were loaded.
struct DuplicateRuleId {
  std::string rule_id;
  std::vector<RulePlace> places;
};

/// Every rule_id held by two or more rules. Detection-rules and Kibana refuse such sets.
std::vector<DuplicateRuleId> find_duplicate_rule_ids(const std::vector<RuleFile>& files);

}  // namespace eql
