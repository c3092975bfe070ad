// `eql run`, callable with its own output streams so tests can read what it prints.
#pragma once

#include <cstdio>
#include <functional>
#include <string>

#include "cli/commands.h"
#include "eql/event.h"
#include "eql/runner.h"

namespace eql::cli {

/// An input other than files for `eql run` (the Kafka service, src/kafka/): it gets the
/// compiled rule set and feeds it events until it stops. `format` turns an alert into
/// its text, as the file mode writes it (one JSON line with its newline, or a table block).
class RunService {
 public:
  virtual ~RunService() = default;
  using AlertFormat = std::function<std::string(const Alert&, const Rule&)>;
  /// Runs until the input ends or the service is stopped; returns the exit code.
  /// `read`: how events are read (the fields the rules and the writer read, the ordering
  /// fields, the limits), as the file mode reads them.
  virtual int serve(RuleRunner& runner, const AlertFormat& format, const EventReadOptions& read, std::FILE* out,
                    std::FILE* err) = 0;
};

/// Runs `eql run ARGS`, writing alerts to `out` and the report to `err`; returns the exit
/// code. `out_is_terminal` turns on colour for --format table under --color=auto. With a
/// `service`, the rules are loaded and compiled as usual, then the service feeds them
/// instead of FILE arguments.
int run_rules_command(Args args, std::FILE* out, std::FILE* err, bool out_is_terminal = false,
                      RunService* service = nullptr);

}  // namespace eql::cli
