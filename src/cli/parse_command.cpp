// `eql parse`: show how a query is understood (the syntax tree, or canonical EQL).
#include <charconv>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "eql/parser.h"
#include "eql/printer.h"

namespace eql::cli {

namespace {

// The deepest nesting accepted. A level costs about 1 KiB of stack in a Release build and
// about 11 KiB under AddressSanitizer, where ~700 levels exhaust an 8 MiB stack; 500 leaves
// room in both (tests/hostile_parser_test.cpp parses a query this deep in the ASan CI job).
constexpr std::size_t kMaxParseDepth = 500;

constexpr const char* kParseUsage =
    "usage: eql parse [options] QUERY\n"
    "       eql parse [options] -          (read the query from standard input)\n"
    "\n"
    "Prints the syntax tree of an EQL query as an S-expression.\n"
    "\n"
    "options:\n"
    "  --eql              print the query as canonical EQL instead of the tree\n"
    "  --extensions       accept the hunting pipes (count, unique, unique_count, sort, filter)\n"
    "%s"
    "  --max-depth N      deepest nesting accepted (default 200, at most 500)\n"
    "  -q, --quiet        print nothing for a valid query: the exit code tells (errors are\n"
    "                     still printed)\n"
    "  --color=WHEN       colour diagnostics: auto (default), always, never\n"
    "\n"
    "exit codes: 0 valid, 1 the query has errors, 2 usage error\n";

}  // namespace

int run_parse(Args args) {
  ArgReader reader(args);
  ParseOptions options;
  bool as_eql = false;
  bool quiet = false;
  std::string color = "auto";
  std::optional<std::string> query_text;
  std::string error;
  while (!reader.done()) {
    if (reader.flag("--help") || reader.flag("-h")) {
      std::printf(kParseUsage, kDialectUsage);
      return kExitOk;
    }
    if (reader.flag("--eql")) {
      as_eql = true;
    } else if (reader.flag("--quiet") || reader.flag("-q")) {
      quiet = true;
    } else if (reader.flag("--extensions")) {
      options.extension_pipes = true;
    } else if (dialect_option(reader, options.dialect, error)) {
      if (!error.empty()) break;
    } else if (auto depth = reader.option_value("--max-depth", error)) {
      // Checked here: std::stoul threw on "abc", and a limit above kMaxParseDepth let a
      // deeply nested query overflow the stack.
      std::size_t value = 0;
      auto [end, status] = std::from_chars(depth->data(), depth->data() + depth->size(), value);
      if (status != std::errc() || end != depth->data() + depth->size() || value < 1 ||
          value > kMaxParseDepth) {
        error = "--max-depth takes a number from 1 to " + std::to_string(kMaxParseDepth) +
                ", not '" + *depth + "'";
        break;
      }
      options.max_depth = value;
    } else if (auto when = reader.option_value("--color", error)) {
      if (*when != "auto" && *when != "always" && *when != "never") {
        error = "--color takes auto, always or never, not '" + *when + "'";
        break;
      }
      color = *when;
    } else if (!error.empty()) {
      break;
    } else if (reader.peek().size() > 1 && reader.peek().front() == '-' && !query_text) {
      error = "unknown option " + std::string(reader.peek());
      break;
    } else if (query_text) {
      error = "give one query (quote it)";
      break;
    } else {
      std::string_view argument = reader.next();
      if (argument == "-") {
        query_text = std::string(std::istreambuf_iterator<char>(std::cin), {});
      } else {
        query_text = std::string(argument);
      }
    }
  }
  if (error.empty() && !query_text) error = "no query given";
  if (!error.empty()) return usage_error("parse", error);

  ParseResult result = parse_query(*query_text, options);
  SourceText source("<query>", *query_text);
  RenderOptions render_options{color == "always" || (color == "auto" && stderr_is_terminal())};
  for (const Diagnostic& d : result.diagnostics) {
    std::fputs(render(d, source, QueryOrigin{}, render_options).c_str(), stderr);
  }
  if (!result.ok()) return kExitFindings;
  if (quiet) return kExitOk;
  std::string printed = as_eql ? to_eql(*result.query) : dump(*result.query);
  std::fputs((printed + "\n").c_str(), stdout);
  return kExitOk;
}

}  // namespace eql::cli
