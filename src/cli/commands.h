// The subcommands of the `eql` program. Each takes the arguments after its name and
// returns the process exit code (see docs/exit-codes in README: 0 ok, 1 findings, 2 usage/IO).
#pragma once

#include <span>
#include <string_view>

namespace eql::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;  ///< invalid rules, query errors
inline constexpr int kExitUsage = 2;     ///< bad arguments, unreadable files

using Args = std::span<const std::string_view>;

int run_parse(Args args);
int run_validate(Args args);
int run_query(Args args);
int run_run(Args args);
int run_shell(Args args);
int run_test(Args args);
int run_explain(Args args);

}  // namespace eql::cli
