// `eql shell`: an interactive EQL shell for hunting (docs/shell.md). Internal to the program
// (no public header): a Session holds the loaded events and runs one command or query at a
// time, writing to two streams, so the terminal front end (libedit, src/shell/terminal.cpp),
// script mode (`eql shell < script.eql`) and the tests drive the same code.
#pragma once

#include <cstddef>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eql/event.h"
#include "eql/schema.h"

namespace eql::shell {

struct SessionOptions {
  std::string category_field{kDefaultCategoryField};
  EventReadOptions read;
  bool color = false;            ///< ANSI colours in diagnostics and table headers
  std::size_t width = 0;         ///< terminal width tables are fitted to; 0: unlimited
  std::size_t max_rows = 50;     ///< rows shown per result (`.limit N`)
  bool quiet = false;            ///< no notes (`loaded N events`, counts): results and errors only
  std::string check = "warn";    ///< the type check of queries: warn, error (refuse) or off
  std::vector<std::shared_ptr<const SchemaTable>> user_schemas;  ///< --schema FILE tables
  /// Asked between events of a running query: true stops it (Ctrl-C).
  std::function<bool()> cancelled;
};

/// What completion offers for the text before the cursor: replace text[from, end) by one of
/// the candidates.
struct Completion {
  std::size_t from = 0;
  std::vector<std::string> candidates;
};

class Session {
 public:
  Session(SessionOptions options, std::FILE* out, std::FILE* err);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Runs one command (`.load a.ndjson`) or query. Returns false when it failed (a query with
  /// errors, an unknown command, an unreadable file), after saying why on the error stream.
  bool execute(std::string_view input);
  /// `.load` without the command: reads files and adds their events.
  bool load(const std::vector<std::string>& files);
  /// Whether `.quit` (or `.exit`) was given.
  bool quit_requested() const;

  Completion complete(std::string_view before_cursor) const;

  SessionOptions& options();
  std::size_t event_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Whether `text` is an unfinished query that continues on the next line: an open bracket,
/// parenthesis or raw string, or a parse error at the very end (`process where a ==`, a
/// trailing `and` or `|`). Commands (`.xyz`) are always complete.
bool input_incomplete(std::string_view text);

/// Splits a command's argument text into words (double quotes group, backslash escapes).
std::vector<std::string> split_words(std::string_view text);

/// "1,234".
std::string with_thousands(std::uint64_t n);

struct ShellOptions {
  SessionOptions session;
  std::vector<std::string> files;   ///< loaded before the first prompt
  std::string history_file;         ///< empty: no history
  std::string color = "auto";       ///< auto, always, never
};

/// The shell on standard input: libedit line editing on a terminal, else script mode (no
/// prompts or colours; every line a command or part of a query). Returns the exit code:
/// 2 when a file named on the command line could not be read; else, in script mode, 1 when
/// a command or query failed and 0 when none did (at the prompt mistakes are only shown: 0).
int run_shell(ShellOptions options);

}  // namespace eql::shell
