// `eql shell`: arguments, then the shell itself (src/shell/).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/user_schemas.h"
#include "shell/shell.h"

namespace eql::cli {

namespace {

constexpr const char* kShellUsage =
    "usage: eql shell [options] [FILE...]\n"
    "\n"
    "An interactive EQL shell over the events of FILE... (NDJSON, JSON arrays, search\n"
    "responses, gzip; `-`: standard input, after which the prompt reads the terminal). Type\n"
    "queries or commands (.help lists them). With standard input not a terminal\n"
    "(`eql shell events.ndjson < script.eql`) every line is a command or part of a query, run\n"
    "without prompts or colours.\n"
    "\n"
    "options:\n"
    "  --history FILE           history file (default $EQL_HISTORY, else ~/.eql_history)\n"
    "  --no-history             keep no history\n"
    "  --size N                 results shown per query (default 50; .limit N changes it);\n"
    "                         --limit N is the same\n"
    "  -q, --quiet              no notes: no banner, no `loaded N events`, no result counts\n"
    "  --color=WHEN             auto (default: on a terminal), always, never\n"
    "  --category-field FIELD   field that `<category> where` tests (default event.category)\n"
    "  --timestamp-field FIELD  field that orders events (default @timestamp)\n"
    "  --tiebreaker-field FIELD field that orders events with equal timestamps\n"
    "  --check warn|error|off   type-check queries against the embedded schemas: warn\n"
    "                         (default) shows findings as warnings, error refuses the query\n"
    "  --schema FILE            a schema of your own for the check and field types; repeatable\n"
    "\n"
    "exit codes: 0 every command succeeded, 1 a command or query failed,\n"
    "            2 usage error or a FILE that could not be read\n";

bool set_rows(const std::string& text, std::size_t& rows) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) return false;
  rows = static_cast<std::size_t>(std::stoull(text));
  return true;
}

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
  std::vector<std::string> schemas;
  auto fail = [&](const std::string& message) { return usage_error("shell", message); };
  while (!reader.done()) {
    if (reader.flag("--help") || reader.flag("-h")) {
      std::fputs(kShellUsage, stdout);
      return kExitOk;
    }
    if (reader.flag("--no-history")) {
      options.history_file.clear();
    } else if (auto file = reader.option_value("--history", error)) {
      options.history_file = *file;
    } else if (reader.flag("--quiet") || reader.flag("-q")) {
      options.session.quiet = true;
    } else if (auto limit = reader.option_value("--size", error)) {
      if (!set_rows(*limit, options.session.max_rows)) return fail("--size needs a number");
    } else if (auto rows = reader.option_value("--limit", error)) {  // the first name of --size
      if (!set_rows(*rows, options.session.max_rows)) return fail("--limit needs a number");
    } else if (auto when = reader.option_value("--color", error)) {
      if (*when != "auto" && *when != "always" && *when != "never") return fail("--color takes auto, always or never");
      options.color = *when;
    } else if (auto check = reader.option_value("--check", error)) {
      if (!check_mode(*check)) return fail("unknown --check mode '" + *check + "' (warn, error or off)");
      options.session.check = *check;
    } else if (auto schema = reader.option_value("--schema", error)) {
      schemas.push_back(*schema);
    } else if (auto field = reader.option_value("--category-field", error)) {
      options.session.category_field = *field;
    } else if (auto stamp = reader.option_value("--timestamp-field", error)) {
      options.session.read.timestamp_field = *stamp;
    } else if (auto tie = reader.option_value("--tiebreaker-field", error)) {
      options.session.read.tiebreaker_field = *tie;
    } else if (!error.empty()) {
      return fail(error);
    } else if (reader.peek().size() > 1 && reader.peek().front() == '-') {  // `-` is a file
      return fail("unknown option " + std::string(reader.peek()));
    } else {
      options.files.emplace_back(reader.next());
    }
  }
  if (!load_user_schemas("shell", schemas, options.session.user_schemas)) return kExitUsage;
  return shell::run_shell(std::move(options));
}

}  // namespace eql::cli
