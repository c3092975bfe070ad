// `eql validate`, callable in-process so tests can check its exact output and exit code.
#pragma once

#include <string>

#include "cli/commands.h"
#include "eql/diagnostic.h"
#include "eql/rules.h"

namespace eql::cli {

/// The diagnostics of one rule's query, in query coordinates (map them with
/// rule.query_origin). Today: the parser's, with Elasticsearch settings. The type checker
/// adds its findings here.
Diagnostics check_rule_query(const Rule& rule);

/// What `eql validate ARGS` prints on standard output and standard error, and its exit code.
struct ValidateRun {
  std::string out;
  std::string err;
  int exit_code = kExitOk;
};

/// Runs the command without touching the process's streams. `stdout_terminal` decides
/// colour under `--color=auto`.
ValidateRun validate_command(Args args, bool stdout_terminal);

}  // namespace eql::cli
