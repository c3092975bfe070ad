// `eql shell`: arguments, then the shell itself (src/shell/).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "shell/shell.h"

namespace eql::cli {

namespace {

constexpr const char* kShellUsage =
    "usage: eql shell [options] [FILE...]\n"
    "\n"
    "An interactive EQL shell over the events of FILE... (NDJSON, JSON arrays, search\n"
    "responses, gzip). Type queries or commands (.help lists them). With standard input not\n"
    "a terminal (`eql shell events.ndjson < script.eql`) every line is a command or part of a\n"
    "query, run without prompts or colours.\n"
    "\n"
    "options:\n"
    "  --history FILE           history file (default $EQL_HISTORY, else ~/.eql_history)\n"
    "  --no-history             keep no history\n"
    "  --limit N                results shown per query (default 50; .limit N changes it)\n"
    "  --color=WHEN             auto (default: on a terminal), always, never\n"
    "  --category-field FIELD   field that `<category> where` tests (default event.category)\n"
    "  --timestamp-field FIELD  field that orders events (default @timestamp)\n"
    "  --tiebreaker-field FIELD field that orders events with equal timestamps\n"
    "\n"
    "exit codes: 0 every command succeeded, 1 a command or query failed,\n"
    "            2 usage error or a FILE that could not be read\n";

}  // namespace

int run_shell(Args args) {
  shell::ShellOptions options;
  if (const char* env = std::getenv("EQL_HISTORY")) {
    options.history_file = env;
  } else if (const char* home = std::getenv("HOME")) {
    options.history_file = std::string(home) + "/.eql_history";
  }
  ArgReader reader(args);
  std::string error;
  auto fail = [&](const std::string& message) {
    std::fprintf(stderr, "eql shell: %s\n\n%s", message.c_str(), kShellUsage);
    return kExitUsage;
  };
  while (!reader.done()) {
    if (reader.flag("--help") || reader.flag("-h")) {
      std::fputs(kShellUsage, stdout);
      return kExitOk;
    }
    if (reader.flag("--no-history")) {
      options.history_file.clear();
    } else if (auto file = reader.option_value("--history", error)) {
      options.history_file = *file;
    } else if (auto limit = reader.option_value("--limit", error)) {
      if (limit->empty() || limit->find_first_not_of("0123456789") != std::string::npos) {
        return fail("--limit needs a number");
      }
      options.session.max_rows = std::stoull(*limit);
    } else if (auto when = reader.option_value("--color", error)) {
      if (*when != "auto" && *when != "always" && *when != "never") return fail("--color takes auto, always or never");
      options.color = *when;
    } else if (auto field = reader.option_value("--category-field", error)) {
      options.session.category_field = *field;
    } else if (auto stamp = reader.option_value("--timestamp-field", error)) {
      options.session.read.timestamp_field = *stamp;
    } else if (auto tie = reader.option_value("--tiebreaker-field", error)) {
      options.session.read.tiebreaker_field = *tie;
    } else if (!error.empty()) {
      return fail(error);
    } else if (reader.peek().size() > 1 && reader.peek().front() == '-') {
      return fail("unknown option " + std::string(reader.peek()));
    } else {
      options.files.emplace_back(reader.next());
    }
  }
  return shell::run_shell(std::move(options));
}

}  // namespace eql::cli
