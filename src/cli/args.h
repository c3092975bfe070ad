// A small, strict reader of command-line arguments shared by the subcommands.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "eql/dialect.h"

namespace eql::cli {

class ArgReader {
 public:
  explicit ArgReader(Args args) : args_(args) {}

  bool done() const { return index_ >= args_.size(); }
  std::string_view peek() const { return args_[index_]; }
  std::string_view next() { return args_[index_++]; }

  /// Consumes `--name VALUE` or `--name=VALUE`; sets `error` when the value is missing.
  std::optional<std::string> option_value(std::string_view name, std::string& error) {
    std::string_view current = args_[index_];
    if (current == name) {
      if (index_ + 1 >= args_.size()) {
        error = std::string(name) + " needs a value";
        ++index_;
        return std::nullopt;
      }
      index_ += 2;
      return std::string(args_[index_ - 1]);
    }
    if (current.size() > name.size() && current.substr(0, name.size()) == name &&
        current[name.size()] == '=') {
      ++index_;
      return std::string(current.substr(name.size() + 1));
    }
    return std::nullopt;
  }

  bool flag(std::string_view name) {
    if (args_[index_] == name) {
      ++index_;
      return true;
    }
    return false;
  }

 private:
  Args args_;
  std::size_t index_ = 0;
};

/// A bad option or argument of `eql COMMAND`: one line that starts with the command's name
/// (`eql query: --size needs a number`) and a pointer to its help, not the whole usage.
inline std::string usage_text(std::string_view command, std::string_view message) {
  std::string text = "eql ";
  text.append(command).append(": ").append(message).append("\nTry 'eql ");
  return text.append(command).append(" --help'.\n");
}

/// usage_text on stderr; returns the usage exit code (2).
inline int usage_error(std::string_view command, std::string_view message) {
  std::fputs(usage_text(command, message).c_str(), stderr);
  return kExitUsage;
}

/// A duration option's value: a whole number and a unit (ms, s, m, h, d), zero allowed
/// ("0s", "500ms", "10s", "5m"); none when the text is not one.
std::optional<std::int64_t> duration_millis(std::string_view text);

/// Reads `--dialect endpoint|elasticsearch` when it is the current argument: returns
/// whether it was (a bad value sets `error`).
bool dialect_option(ArgReader& reader, Dialect& dialect, std::string& error);
inline constexpr const char* kDialectUsage =
    "  --dialect D        endpoint (Elastic Defend's behavior rules, docs/endpoint.md) or\n"
    "                     elasticsearch (default)\n";

/// Whether standard output/error is an interactive terminal (for colour).
bool stdout_is_terminal();
bool stderr_is_terminal();

}  // namespace eql::cli
