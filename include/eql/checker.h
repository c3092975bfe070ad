// The type checker: binds every field of a parsed query to its schema type and checks
// operators, patterns, function calls and join keys against those types, the way
// Elasticsearch and Elastic's rule CI do. Every problem is a Diagnostic with the byte span
// of the offending token in the query text (docs/checker.md lists the codes).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "eql/ast.h"
#include "eql/default_fields.h"
#include "eql/dialect.h"
#include "eql/diagnostic.h"
#include "eql/functions.h"
#include "eql/schema.h"

namespace eql {

/// How the endgame-only verdict (detection-rules: a rule searching `endgame-*` must also
/// pass against the endgame mapping alone) is reported.
enum class EndgameCheck {
  Off,
  Note,     ///< a note naming each field the endgame mapping lacks
  Warning,
  Error,    ///< default: detection-rules' verdict (all 440 corpus rules on endgame-* pass it)
};

struct CheckOptions {
  /// The field `<category> where` tests (a rule's event_category_override).
  std::string category_field{kDefaultCategoryField};
  /// The query text the spans point into; when given, messages quote expressions.
  std::string_view query_text;
  EndgameCheck endgame = EndgameCheck::Error;
  /// Most "did you mean" alternatives named in a hint.
  std::size_t max_suggestions = 3;
  /// The endpoint dialect compares fields with fields and keywords with numbers, and binds
  /// `$variables` and stage aliases (docs/endpoint.md).
  Dialect dialect = Dialect::Elasticsearch;
};

/// Checks a parsed query against a schema. Returns every problem found (errors, warnings
/// for fields of integration packages without an embedded schema, notes), in query order.
/// The schema's own selection notes are not repeated here (see Schema::notes).
Diagnostics check_query(const ast::Query& query, const Schema& schema,
                        const CheckOptions& options = {});

/// Whether a finding of check_query holds whatever the data and the schemas (a wrong number
/// of arguments, an invalid regular expression or address block): the evaluator refuses such
/// a query too.
bool holds_for_any_data(const Diagnostic& finding);

/// The findings on an ad-hoc query (`eql query`, `eql shell`), settled: unless
/// `refuse_errors` (`--check error`), the errors that depend on the data become warnings (the
/// data may hold fields no schema knows), while those that hold for any data stay errors,
/// so that the evaluator does not report them a second time. Returns whether the query may
/// run (no error is left).
bool settle_adhoc_findings(Diagnostics& findings, bool refuse_errors);

/// Dataset and module names the query compares `event.dataset`, `data_stream.dataset` or
/// `event.module` with (`==`, `in`, or `:`/`like` without wildcards): the integration
/// packages it targets, for SchemaRequest::datasets.
std::vector<std::string> query_datasets(const ast::Query& query);

/// Validates a pattern as a Lucene regular expression (the dialect of EQL's `regex`).
/// Returns an empty string when valid, else the reason and sets `error_offset` to the byte
/// offset in `pattern` where the problem was found.
std::string lucene_regex_error(std::string_view pattern, std::size_t& error_offset);

/// Parses an IPv4/IPv6 address or CIDR block as cidrMatch accepts it; empty when valid,
/// else the reason.
std::string cidr_error(std::string_view cidr);

}  // namespace eql
