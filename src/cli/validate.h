// `eql validate`, callable in-process so tests can check its exact output and exit code.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "eql/diagnostic.h"
#include "eql/parser.h"
#include "eql/rules.h"
#include "eql/schema.h"

namespace eql::cli {

/// What checking a rule needs besides the rule: user schemas and how far to check.
struct CheckContext {
  std::vector<std::shared_ptr<const SchemaTable>> user_tables;  ///< from --schema FILE
  bool syntax_only = false;  ///< parse only (no schema, no type checks)
};

/// The diagnostics of one rule's query, in query coordinates (map them with
/// rule.query_origin): the parser's with Elasticsearch settings, then the schema notes and
/// the type checker's findings against the schema the rule targets.
Diagnostics check_rule_query(const Rule& rule, const CheckContext& context = {});
/// The same over the rule's query as already parsed (with Elasticsearch settings and the
/// rule's dialect): `eql run` parses each query once for the check and the runner.
Diagnostics check_parsed_rule_query(const Rule& rule, const ParseResult& parsed, const CheckContext& context);

/// What `eql validate ARGS` prints on standard output and standard error, and its exit code.
struct ValidateRun {
  std::string out;
  std::string err;
  int exit_code = kExitOk;
};

/// Runs the command without writing to the process's streams. `stdout_terminal` decides
/// colour under `--color=auto`; `in` is what the path `-` reads (standard input when null).
ValidateRun validate_command(Args args, bool stdout_terminal, std::istream* in = nullptr);

}  // namespace eql::cli
