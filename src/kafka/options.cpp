#include "kafka/options.h"

#include <fstream>

#include "cli/args.h"

namespace eql::kafka {

const char* const kKafkaUsage =
    "Kafka (docs/kafka.md): a member of a consumer group instead of FILEs\n"
    "  --kafka BROKERS          bootstrap servers (host:port,...)\n"
    "  --topic TOPIC            the topic of events (one ECS JSON event per message)\n"
    "  --group GROUP            the consumer group the workers share\n"
    "  --alerts-topic TOPIC     alerts go there, keyed by alert id (default: standard output)\n"
    "  --dead-letter-topic T    bad messages are copied there\n"
    "  --repartition-topic T    sequence and sample rules run on events re-keyed there\n"
    "                           (by the group GROUP.sequences; without it they do not run)\n"
    "  --partition-by FIELD     the join key events are re-keyed by (default host.id)\n"
    "  -X KEY=VALUE             a librdkafka property (repeatable; after --kafka-config's)\n"
    "  --kafka-config FILE      librdkafka properties, one key=value a line\n"
    "  --log-format text|json   the service log on stderr (default text)\n"
    "  --stats-interval DURATION  the stats line's period (default 10s)\n"
    "  --commit-interval DURATION how often offsets are committed (default 1s)\n";

namespace {

std::string trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return std::string(text);
}

std::optional<std::pair<std::string, std::string>> property(std::string_view text) {
  auto equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0) return std::nullopt;
  std::string key = trimmed(text.substr(0, equals));
  if (key.empty()) return std::nullopt;
  return std::make_pair(key, trimmed(text.substr(equals + 1)));
}

// "500ms", "2s", "1m" (a whole number and a unit), in milliseconds.
std::optional<std::int64_t> duration_ms(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9) return std::nullopt;
  std::int64_t value = std::stoll(std::string(text.substr(0, digits)));
  std::string_view unit = text.substr(digits);
  if (unit == "ms") return value;
  if (unit == "s") return value * 1000;
  if (unit == "m") return value * 60'000;
  return std::nullopt;
}

}  // namespace

bool wants_kafka(cli::Args args) {
  for (std::string_view arg : args) {
    if (arg == "--kafka" || arg.rfind("--kafka=", 0) == 0) return true;
  }
  return false;
}

std::optional<std::string> read_properties(const std::string& path,
                                           std::vector<std::pair<std::string, std::string>>& out) {
  std::ifstream file(path);
  if (!file) return "cannot read --kafka-config " + path;
  std::size_t number = 0;
  for (std::string line; std::getline(file, line);) {
    ++number;
    std::string text = trimmed(line);
    if (text.empty() || text[0] == '#' || text[0] == '!') continue;
    auto pair = property(text);
    if (!pair) return path + ":" + std::to_string(number) + ": not a key=value line";
    out.push_back(std::move(*pair));
  }
  return std::nullopt;
}

std::optional<std::string> take_kafka_options(cli::Args args, KafkaOptions& options,
                                              std::vector<std::string_view>& rest) {
  cli::ArgReader reader(args);
  std::string error;
  std::vector<std::pair<std::string, std::string>> from_flags;
  std::string config_file;
  while (!reader.done()) {
    if (auto brokers = reader.option_value("--kafka", error)) {
      options.brokers = *brokers;
    } else if (auto topic = reader.option_value("--topic", error)) {
      options.topic = *topic;
    } else if (auto group = reader.option_value("--group", error)) {
      options.group = *group;
    } else if (auto alerts = reader.option_value("--alerts-topic", error)) {
      options.alerts_topic = *alerts;
    } else if (auto dead = reader.option_value("--dead-letter-topic", error)) {
      options.dead_letter_topic = *dead;
    } else if (auto repartition = reader.option_value("--repartition-topic", error)) {
      options.repartition_topic = *repartition;
    } else if (auto field = reader.option_value("--partition-by", error)) {
      options.partition_by = *field;
    } else if (auto file = reader.option_value("--kafka-config", error)) {
      config_file = *file;
    } else if (auto setting = reader.option_value("-X", error)) {
      auto pair = property(*setting);
      if (!pair) return "-X needs KEY=VALUE, not '" + *setting + "'";
      from_flags.push_back(std::move(*pair));
    } else if (auto format = reader.option_value("--log-format", error)) {
      if (*format != "text" && *format != "json") return "unknown --log-format '" + *format + "' (text or json)";
      options.json_log = *format == "json";
    } else if (auto stats = reader.option_value("--stats-interval", error)) {
      auto ms = duration_ms(*stats);
      if (!ms || *ms <= 0) return "--stats-interval needs a duration such as 10s";
      options.stats_interval_ms = *ms;
    } else if (auto commit = reader.option_value("--commit-interval", error)) {
      auto ms = duration_ms(*commit);
      if (!ms || *ms <= 0) return "--commit-interval needs a duration such as 1s";
      options.commit_interval_ms = *ms;
    } else if (!error.empty()) {
      return error;
    } else {
      rest.push_back(reader.next());
    }
  }
  if (options.brokers.empty()) return std::string("--kafka needs the bootstrap servers");
  if (options.topic.empty()) return std::string("--kafka needs --topic TOPIC");
  if (options.group.empty()) return std::string("--kafka needs --group GROUP");
  if (!options.repartition_topic.empty() &&
      (options.repartition_topic == options.topic || options.repartition_topic == options.alerts_topic)) {
    return std::string("--repartition-topic must be a topic of its own");
  }
  if (!options.repartition_topic.empty() && options.alerts_topic.empty()) {
    return std::string("--repartition-topic needs --alerts-topic (sequence alerts are exactly-once through it)");
  }
  if (!config_file.empty()) {
    if (auto problem = read_properties(config_file, options.properties)) return problem;
  }
  for (auto& pair : from_flags) options.properties.push_back(std::move(pair));
  return std::nullopt;
}

}  // namespace eql::kafka
