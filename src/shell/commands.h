// The shell's commands: the help text and the names completion offers (src/shell/session.cpp).
#pragma once

#include <array>
#include <string_view>

namespace eql::shell {

inline constexpr const char* kHelp =
    "Type an EQL query (it may go on over several lines), or a command:\n"
    "  .load FILE...          add the events of NDJSON / JSON / gzip files\n"
    "  .fields [PREFIX]       the fields of the loaded events: type and how many events have them\n"
    "  .schema [PREFIX]       the embedded schemas, or their fields that start with PREFIX\n"
    "  .table [COLUMN...]     show results as a table (these columns; none: chosen per query)\n"
    "  .json                  show results as JSON, one per line\n"
    "  .limit N               show at most N results (default 50); the rest are counted\n"
    "  .output FILE           write the last results in full: FILE.csv as CSV, else NDJSON\n"
    "  .rules PATH...         load rule files (detection-rules TOML, Kibana .ndjson, .eql)\n"
    "  .run                   run the loaded rules over the loaded events; alerts as results\n"
    "  .explain QUERY         the parsed and type-checked query; per sequence stage, how many\n"
    "                         events match and how far candidate sequences got\n"
    "  .why RULE N|@N         why a loaded rule matches row N of the last result, or loaded\n"
    "                         event @N (in time order), or not: its query node by node\n"
    "  .clear                 forget the loaded events\n"
    "  .help                  this text\n"
    "  .quit                  leave (or Ctrl-D)\n"
    "Hunting pipes (extensions: Elasticsearch refuses them): | count [FIELD...],\n"
    "| unique FIELD..., | unique_count FIELD..., | sort FIELD [desc]..., | filter CONDITION.\n"
    "Tab completes keywords, categories, functions, fields (segment by segment) and commands.\n";

inline constexpr std::array<std::string_view, 15> kCommands{
    ".clear", ".exit", ".explain", ".fields", ".help", ".json", ".limit",
    ".load",  ".output", ".quit",  ".rules",  ".run",  ".schema", ".table", ".why"};

}  // namespace eql::shell
