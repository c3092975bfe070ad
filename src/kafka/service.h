// `eql run --kafka`: the compiled rule set as a member of a Kafka consumer group
// (docs/kafka.md). Internal to src/kafka/; src/main/eql.cpp calls run_kafka.
#pragma once

#include "cli/commands.h"
#include "cli/run.h"
#include "kafka/log.h"
#include "kafka/options.h"

namespace eql::kafka {

class KafkaService : public cli::RunService {
 public:
  /// `errors`: with --log-format json, where eql run's error stream goes (logged at serve).
  KafkaService(KafkaOptions options, ErrorStreamLog* errors) : options_(std::move(options)), errors_(errors) {}
  int serve(RuleRunner& runner, const AlertFormat& format, const EventReadOptions& read, std::FILE* out,
            std::FILE* err) override;

 private:
  KafkaOptions options_;
  ErrorStreamLog* errors_ = nullptr;
};

/// `eql run ARGS` when ARGS has --kafka (wants_kafka): the Kafka options are taken out,
/// the rest is `eql run`'s.
int run_kafka(cli::Args args);

}  // namespace eql::kafka
