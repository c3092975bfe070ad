// The `eql` program: a thin dispatcher onto the subcommands in src/cli/.
#include <cstdio>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#ifdef EQL_WITH_KAFKA
#include "kafka/options.h"
#include "kafka/service.h"
#endif

namespace {

constexpr const char* kUsage =
    "usage: eql <command> [options] [arguments]\n"
    "\n"
    "commands:\n"
    "  validate PATH...       check rule files (detection-rules TOML, Kibana exports, .eql)\n"
    "  parse QUERY            print the syntax tree of a query (--eql: canonical EQL)\n"
    "  query QUERY [FILE...]  run a query over NDJSON events\n"
    "  run --rules PATH [FILE...]  run every EQL rule over events in one pass, print alerts\n"
    "  shell [FILE...]        an interactive EQL shell over events (also: eql shell < script.eql)\n"
    "  help                   this text\n"
    "\n"
    "exit codes: 0 success, 1 problems found (invalid rules or queries), 2 usage or I/O error\n"
    "`eql COMMAND --help` describes one command.\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? eql::cli::kExitUsage : eql::cli::kExitOk;
  }
  std::string_view command = args[0];
  eql::cli::Args rest(args.data() + 1, args.size() - 1);
  if (command == "validate") return eql::cli::run_validate(rest);
  if (command == "parse") return eql::cli::run_parse(rest);
  if (command == "query") return eql::cli::run_query(rest);
#ifdef EQL_WITH_KAFKA
  if (command == "run" && eql::kafka::wants_kafka(rest)) return eql::kafka::run_kafka(rest);
#endif
  if (command == "run") return eql::cli::run_run(rest);
  if (command == "shell") return eql::cli::run_shell(rest);
  std::fprintf(stderr, "eql: unknown command '%.*s'\n\n%s", static_cast<int>(command.size()),
               command.data(), kUsage);
  return eql::cli::kExitUsage;
}
