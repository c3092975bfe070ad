// The `eql` program: a thin dispatcher onto the subcommands in src/cli/.
#include <array>
#include <cstdio>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#ifdef EQL_WITH_KAFKA
#include "kafka/options.h"
#include "kafka/service.h"
#endif

#ifndef EQL_VERSION
#define EQL_VERSION "unknown"
#endif
#ifndef EQL_GIT_DESCRIBE
#define EQL_GIT_DESCRIBE ""
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
    "  test [--rules PATH] PATH...  run the rule tests (*.test.toml) under the paths\n"
    "  explain --rule RULE FILE...  why a rule matches or misses each event, node by node\n"
    "  help [COMMAND]         this text, or the help of one command\n"
    "\n"
    "options: --version       the version of eql (and the commit it was built from)\n"
    "\n"
    "exit codes: 0 success, 1 problems found (invalid rules or queries), 2 usage or I/O error\n"
    "`eql help COMMAND` (or `eql COMMAND --help`) describes one command.\n";

struct Command {
  std::string_view name;
  int (*run)(eql::cli::Args);
};

constexpr std::array<Command, 7> kCommands{{
    {"validate", eql::cli::run_validate},
    {"parse", eql::cli::run_parse},
    {"query", eql::cli::run_query},
    {"run", eql::cli::run_run},
    {"shell", eql::cli::run_shell},
    {"test", eql::cli::run_test},
    {"explain", eql::cli::run_explain},
}};

const Command* find_command(std::string_view name) {
  for (const Command& command : kCommands) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

int unknown_command(std::string_view prefix, std::string_view name) {
  std::fprintf(stderr, "%.*s: unknown command '%.*s'\nTry 'eql help'.\n", static_cast<int>(prefix.size()),
               prefix.data(), static_cast<int>(name.size()), name.data());
  return eql::cli::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return eql::cli::kExitUsage;
  }
  std::string_view command = args[0];
  if (command == "--version" || command == "-V") {
    std::string_view git = EQL_GIT_DESCRIBE;
    if (git.empty()) {
      std::printf("eql %s\n", EQL_VERSION);
    } else {
      std::printf("eql %s (git %.*s)\n", EQL_VERSION, static_cast<int>(git.size()), git.data());
    }
    return eql::cli::kExitOk;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    if (args.size() == 1 || command != "help") {
      std::fputs(kUsage, stdout);
      return eql::cli::kExitOk;
    }
    if (args.size() > 2) {
      std::fputs("eql help: give one command\nTry 'eql help'.\n", stderr);
      return eql::cli::kExitUsage;
    }
    // Each command prints its usage for --help before it looks at anything else.
    const Command* found = find_command(args[1]);
    if (!found) return unknown_command("eql help", args[1]);
    constexpr std::string_view kHelp[] = {"--help"};
    return found->run(eql::cli::Args(kHelp));
  }
  const Command* found = find_command(command);
  if (!found) return unknown_command("eql", command);
  eql::cli::Args rest(args.data() + 1, args.size() - 1);
#ifdef EQL_WITH_KAFKA
  // `eql run --kafka ...`: the same command as a consumer-group member (docs/kafka.md).
  if (command == "run" && eql::kafka::wants_kafka(rest)) return eql::kafka::run_kafka(rest);
#endif
  return found->run(rest);
}
