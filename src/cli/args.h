// A small, strict reader of command-line arguments shared by the subcommands.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/commands.h"

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
/// (`eql query: --size needs a number`) and a pointer to its help, on stderr, not the whole
/// usage. Returns the usage exit code (2).
inline int usage_error(std::string_view command, std::string_view message) {
  std::fprintf(stderr, "eql %.*s: %.*s\nTry 'eql %.*s --help'.\n", static_cast<int>(command.size()),
               command.data(), static_cast<int>(message.size()), message.data(),
               static_cast<int>(command.size()), command.data());
  return kExitUsage;
}

/// A duration option (`--max-lateness 30s`): a whole number, 0 included, then a unit ms, s,
/// m, h or d. Nothing when `text` is not one (or is beyond 100 years).
inline std::optional<std::int64_t> duration_millis(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, std::int64_t>, 5> kUnits{
      {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};
  std::size_t digits = text.find_first_not_of("0123456789");
  if (digits == 0 || digits == std::string_view::npos || digits > 12) return std::nullopt;
  std::int64_t amount = 0;
  for (char c : text.substr(0, digits)) amount = amount * 10 + (c - '0');
  for (const auto& [unit, factor] : kUnits) {
    if (text.substr(digits) == unit && amount <= 36'525 * kUnits[4].second / factor) return amount * factor;
  }
  return std::nullopt;
}

/// Whether standard output/error is an interactive terminal (for colour).
bool stdout_is_terminal();
bool stderr_is_terminal();

}  // namespace eql::cli
