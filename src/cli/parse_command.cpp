// `eql parse`: show how a query is understood (the syntax tree, or canonical EQL).
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

constexpr const char* kParseUsage =
    "usage: eql parse [options] QUERY\n"
    "       eql parse [options] -          (read the query from standard input)\n"
    "\n"
    "Prints the syntax tree of an EQL query as an S-expression.\n"
    "\n"
    "options:\n"
    "  --eql              print the query as canonical EQL instead of the tree\n"
    "  --extensions       accept the hunting pipes (count, unique, unique_count, sort, filter)\n"
    "  --max-depth N      deepest nesting accepted (default 200)\n"
    "  --color=WHEN       colour diagnostics: auto (default), always, never\n"
    "\n"
    "exit codes: 0 valid, 1 the query has errors, 2 usage error\n";

}  // namespace

int run_parse(Args args) {
  ArgReader reader(args);
  ParseOptions options;
  bool as_eql = false;
  std::string color = "auto";
  std::optional<std::string> query_text;
  std::string error;
  while (!reader.done()) {
    if (reader.flag("--help") || reader.flag("-h")) {
      std::fputs(kParseUsage, stdout);
      return kExitOk;
    }
    if (reader.flag("--eql")) {
      as_eql = true;
    } else if (reader.flag("--extensions")) {
      options.extension_pipes = true;
    } else if (auto depth = reader.option_value("--max-depth", error)) {
      options.max_depth = std::stoul(*depth);
    } else if (auto when = reader.option_value("--color", error)) {
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
  if (!error.empty()) {
    std::fprintf(stderr, "eql parse: %s\n\n%s", error.c_str(), kParseUsage);
    return kExitUsage;
  }

  ParseResult result = parse_query(*query_text, options);
  SourceText source("<query>", *query_text);
  RenderOptions render_options{color == "always" || (color == "auto" && stderr_is_terminal())};
  for (const Diagnostic& d : result.diagnostics) {
    std::fputs(render(d, source, QueryOrigin{}, render_options).c_str(), stderr);
  }
  if (!result.ok()) return kExitFindings;
  std::string printed = as_eql ? to_eql(*result.query) : dump(*result.query);
  std::fputs((printed + "\n").c_str(), stdout);
  return kExitOk;
}

}  // namespace eql::cli
