// Tab completion in the shell (shell/completion.h): command names, file names after the
// commands that take files, field names, and what the grammar allows after the word before.
#include "shell/completion.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <string>

#include "eql/parser.h"
#include "shell/commands.h"

namespace eql::shell {

namespace {

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '@';
}

void add_matching(std::vector<std::string>& out, std::string_view word, const std::vector<std::string_view>& names) {
  for (std::string_view n : names) {
    if (n.substr(0, word.size()) == word) out.emplace_back(n);
  }
}

/// Field names that start with `word`, each cut after the segment being completed
/// (`process.pa` -> `process.parent.`, `process.parent.na` -> `process.parent.name`).
template <typename Range>
void add_fields(std::set<std::string>& out, std::string_view word, const Range& names) {
  for (const auto& name_ref : names) {
    std::string_view name = name_ref;
    if (name.substr(0, word.size()) != word) continue;
    std::size_t dot = name.find('.', word.size());
    out.emplace(dot == std::string_view::npos ? name : name.substr(0, dot + 1));
  }
}

}  // namespace

Completion complete_input(std::string_view text, const CompletionNames& names) {
  Completion result;
  std::size_t from = text.size();
  while (from > 0 && word_char(text[from - 1])) --from;
  // A word that starts with `.` at the start of the input is a command name.
  std::size_t first = text.find_first_not_of(" \t\r\n");
  bool is_command = first != std::string_view::npos && text[first] == '.';
  std::string_view word = text.substr(from);
  result.from = from;
  std::vector<std::string> found;
  if (is_command) {
    std::size_t command_end = text.find_first_of(" \t", first);
    if (command_end == std::string_view::npos) {
      result.from = first;
      for (std::string_view c : kCommands) {
        if (c.substr(0, text.size() - first) == text.substr(first)) found.emplace_back(c);
      }
      result.candidates = std::move(found);
      return result;
    }
    std::string_view command = text.substr(first, command_end - first);
    if (command == ".load" || command == ".rules" || command == ".output") {
      // File names: the word is everything after the last space.
      std::size_t start = text.find_last_of(" \t") + 1;
      std::string path(text.substr(start));
      std::size_t slash = path.rfind('/');
      std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
      std::string stem = slash == std::string::npos ? path : path.substr(slash + 1);
      std::string shown_dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
      result.from = start;
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        std::string name = entry.path().filename().string();
        if (name.rfind(stem, 0) != 0 || (name[0] == '.' && stem.empty())) continue;
        found.push_back(shown_dir + name + (entry.is_directory(ec) ? "/" : ""));
      }
      std::sort(found.begin(), found.end());
      result.candidates = std::move(found);
      return result;
    }
    if (command == ".fields" || command == ".table" || command == ".schema") {
      std::set<std::string> fields;
      if (command != ".schema") {
        add_fields(fields, word, names.loaded_fields);
      }
      if (command != ".fields") add_fields(fields, word, names.schema_fields);
      result.candidates.assign(fields.begin(), fields.end());
      return result;
    }
    if (command != ".explain") return result;
    text = text.substr(command_end);  // the rest is a query
    from -= command_end;
  }
  // What comes before the word decides what may come.
  std::size_t before = from;
  while (before > 0 && std::isspace(static_cast<unsigned char>(text[before - 1]))) --before;
  char previous = before > 0 ? text[before - 1] : '\0';
  std::size_t prev_start = before;
  while (prev_start > 0 && word_char(text[prev_start - 1])) --prev_start;
  std::string_view previous_word = text.substr(prev_start, before - prev_start);
  if (previous == '\0' || previous == '[') {
    add_matching(found, word, {"any"});
    add_matching(found, word, names.categories);
    if (previous == '\0') add_matching(found, word, {"sequence", "sample"});
  } else if (previous == '|') {
    add_matching(found, word, {"head", "tail", "count", "unique", "unique_count", "sort", "filter"});
  } else if (previous_word == "sequence" || previous_word == "sample") {
    add_matching(found, word, {"by", "with"});
  } else if (previous == ']') {
    add_matching(found, word, {"by", "with", "until"});
  } else {
    std::set<std::string> fields;
    add_fields(fields, word, names.loaded_fields);
    add_fields(fields, word, names.schema_fields);
    if (word.find('.') == std::string_view::npos) {
      add_matching(found, word, function_names());
      add_matching(found, word, {"and", "or", "not", "where", "by", "with", "maxspan", "until", "in", "like",
                               "regex", "true", "false", "null", "runs", "asc", "desc"});
    }
    found.insert(found.end(), fields.begin(), fields.end());
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  result.candidates = std::move(found);
  return result;
}

}  // namespace eql::shell
