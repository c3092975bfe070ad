// eql-mock-kafka: a Kafka cluster for tests and trials, librdkafka's mock cluster (real
// Kafka protocol on localhost ports) in a process of its own.
//
//   eql-mock-kafka --brokers 3 --topic ecs-events:6 --topic eql-alerts:6
//
// Prints the bootstrap address (one line) and runs until SIGTERM/SIGINT. Commands on
// standard input, one a line, inject failures (docs/kafka.md):
//   down BROKER | up BROKER          take a broker (1..N) down or bring it back
//   errors API_KEY CODE [COUNT]      the next COUNT requests of the API key fail with CODE
//   leader TOPIC PARTITION BROKER    move a partition's leadership
//   coordinator group|transaction KEY BROKER
// Each command is answered with `ok` or `error: ...` on standard output.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr const char* kUsage =
    "usage: eql-mock-kafka [--brokers N] [--topic NAME:PARTITIONS]...\n"
    "Starts a mock Kafka cluster of N brokers (default 3) on localhost, creates the topics,\n"
    "prints the bootstrap address and runs until SIGTERM/SIGINT. Commands on stdin: down B,\n"
    "up B, errors API_KEY CODE [COUNT], leader TOPIC PARTITION B, coordinator group|transaction KEY B\n";

struct Topic {
  std::string name;
  int partitions = 1;
};

bool parse_int(const std::string& text, int& out) {
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 0 || value > 1'000'000) return false;
  out = static_cast<int>(value);
  return true;
}

std::string command(rd_kafka_mock_cluster_t* cluster, const std::string& line) {
  std::istringstream words(line);
  std::string verb;
  words >> verb;
  std::vector<std::string> args;
  for (std::string word; words >> word;) args.push_back(word);
  int a = 0, b = 0, c = 1;
  rd_kafka_resp_err_t result = RD_KAFKA_RESP_ERR_NO_ERROR;
  if ((verb == "down" || verb == "up") && args.size() == 1 && parse_int(args[0], a)) {
    result = verb == "down" ? rd_kafka_mock_broker_set_down(cluster, a) : rd_kafka_mock_broker_set_up(cluster, a);
  } else if (verb == "errors" && (args.size() == 2 || args.size() == 3) && parse_int(args[0], a) &&
             parse_int(args[1], b) && (args.size() == 2 || parse_int(args[2], c))) {
    std::vector<rd_kafka_resp_err_t> errors(static_cast<std::size_t>(c), static_cast<rd_kafka_resp_err_t>(b));
    rd_kafka_mock_push_request_errors_array(cluster, static_cast<std::int16_t>(a), errors.size(), errors.data());
  } else if (verb == "leader" && args.size() == 3 && parse_int(args[1], a) && parse_int(args[2], b)) {
    result = rd_kafka_mock_partition_set_leader(cluster, args[0].c_str(), a, b);
  } else if (verb == "coordinator" && args.size() == 3 && parse_int(args[2], a)) {
    result = rd_kafka_mock_coordinator_set(cluster, args[0].c_str(), args[1].c_str(), a);
  } else {
    return "error: unknown command '" + line + "'";
  }
  return result ? std::string("error: ") + rd_kafka_err2str(result) : "ok";
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 3;
  std::vector<Topic> topics;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--brokers" || arg == "--topic") && i + 1 < argc) {
      std::string value = argv[++i];
      if (arg == "--brokers" && parse_int(value, brokers) && brokers >= 1) continue;
      auto colon = value.rfind(':');
      Topic topic{value.substr(0, colon), 1};
      if (arg == "--topic" && !topic.name.empty() &&
          (colon == std::string::npos || (parse_int(value.substr(colon + 1), topic.partitions) && topic.partitions >= 1))) {
        topics.push_back(topic);
        continue;
      }
    }
    std::fputs(kUsage, arg == "--help" ? stdout : stderr);
    return arg == "--help" ? 0 : 2;
  }

  // The signals are waited for (sigwait below), not handled: blocked before librdkafka
  // starts its threads, which inherit the mask.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  // The cluster lives inside a client handle; this one never connects anywhere.
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (!handle) {
    std::fprintf(stderr, "eql-mock-kafka: %s\n", error);
    return 2;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle, brokers);
  if (!cluster) {
    std::fputs("eql-mock-kafka: cannot start the mock cluster\n", stderr);
    return 2;
  }
  for (const Topic& topic : topics) {
    if (rd_kafka_resp_err_t result = rd_kafka_mock_topic_create(cluster, topic.name.c_str(), topic.partitions, 1)) {
      std::fprintf(stderr, "eql-mock-kafka: topic %s: %s\n", topic.name.c_str(), rd_kafka_err2str(result));
      return 2;
    }
  }

  std::printf("%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  std::fflush(stdout);
  std::thread control([cluster] {
    for (std::string line; std::getline(std::cin, line);) {
      if (line.empty()) continue;
      std::printf("%s\n", command(cluster, line).c_str());
      std::fflush(stdout);
    }
  });
  control.detach();
  int received = 0;
  sigwait(&stop, &received);
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(handle);
  return 0;
}
