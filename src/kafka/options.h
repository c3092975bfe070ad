// The options of `eql run --kafka` (docs/kafka.md) and the librdkafka configuration made
// of them. Internal to src/kafka/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/commands.h"

namespace eql::kafka {

struct KafkaOptions {
  std::string brokers;            ///< --kafka: bootstrap servers
  std::string topic;              ///< --topic: the events
  std::string group;              ///< --group: the consumer group
  std::string alerts_topic;       ///< --alerts-topic; empty: alerts on standard output
  std::string dead_letter_topic;  ///< --dead-letter-topic; empty: bad messages only logged
  /// --repartition-topic: where events are re-keyed for sequence and sample rules, consumed
  /// by the group GROUP.sequences; empty: those rules are not run.
  std::string repartition_topic;
  std::string partition_by = "host.id";  ///< --partition-by: the join key repartitioned on
  /// librdkafka properties, in the order given: --kafka-config FILE's, then each -X.
  std::vector<std::pair<std::string, std::string>> properties;
  bool json_log = false;                 ///< --log-format json
  std::int64_t stats_interval_ms = 10'000;  ///< --stats-interval
  std::int64_t commit_interval_ms = 1'000;  ///< --commit-interval
};

/// Usage lines of the Kafka options, for `eql run --help`.
extern const char* const kKafkaUsage;

/// Whether `args` asks for Kafka mode (has --kafka).
bool wants_kafka(cli::Args args);

/// Takes the Kafka options out of `args` into `options`; the others (for `eql run`) go to
/// `rest`. Returns the problem with the options, if any.
std::optional<std::string> take_kafka_options(cli::Args args, KafkaOptions& options,
                                              std::vector<std::string_view>& rest);

/// Reads a Java-style properties file (`key=value` lines, `#` and `!` comments) into
/// `out`; returns the problem, if any.
std::optional<std::string> read_properties(const std::string& path,
                                           std::vector<std::pair<std::string, std::string>>& out);

}  // namespace eql::kafka
