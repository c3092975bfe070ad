// The one writer of alerts, for `eql run` and the shell's `.run` (docs/run.md, "Alerts";
// docs/json-format.md, "Alerts"): the JSON object of an alert, and the ndjson, json, csv
// and table forms of `eql run --format`.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "eql/rules.h"
#include "eql/runner.h"

namespace eql::report {

enum class AlertFormat { Ndjson, Json, Csv, Table };

/// "ndjson", "json", "csv", "table" to a format; false for anything else.
bool alert_format_named(std::string_view name, AlertFormat& format);

/// low < medium < high < critical (1 to 4); anything else 0.
int severity_rank(std::string_view severity);

/// Whether Kibana treats the rule as a building block (`building_block_type = "default"`).
bool is_building_block(const Rule& rule);

/// The alert as one JSON object, without a line end, in the documented key order.
std::string alert_object(const Alert& alert, const Rule& rule);

/// Writes alerts in one format through `write`: begin(), then one add() per alert (in the
/// order they are to appear), then finish(). format() makes an alert's text and depends on
/// nothing else, so it may run on any thread.
class AlertWriter {
 public:
  AlertWriter(AlertFormat format, bool color, std::function<void(const std::string&)> write)
      : format_(format), color_(color), write_(std::move(write)) {}

  std::string format(const Alert& alert, const Rule& rule) const;
  /// The event fields format() reads besides the event's JSON text (the table's summary).
  std::vector<std::string> fields_read() const;
  void begin();
  void add(const std::string& formatted);
  void finish();

 private:
  AlertFormat format_;
  bool color_ = false;
  std::function<void(const std::string&)> write_;
  std::size_t written_ = 0;
};

}  // namespace eql::report
