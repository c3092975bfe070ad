// `eql run`, callable with its own output streams so tests can read what it prints.
#pragma once

#include <cstdio>

#include "cli/commands.h"

namespace eql::cli {

/// Runs `eql run ARGS`, writing alerts to `out` and the report to `err`; returns the exit
/// code. `out_is_terminal` turns on colour for --format table under --color=auto.
int run_rules_command(Args args, std::FILE* out, std::FILE* err, bool out_is_terminal = false);

}  // namespace eql::cli
