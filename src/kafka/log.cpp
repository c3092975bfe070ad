#include "kafka/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

namespace eql::kafka {

namespace {

bool json_mode = false;
std::shared_ptr<spdlog::logger> logger;

// The message as the inside of a JSON string.
std::string escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char code[8];
          std::snprintf(code, sizeof code, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += code;
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace

void init_log(bool json, bool debug) {
  json_mode = json;
  logger = std::make_shared<spdlog::logger>("eql", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_level(spdlog::level::debug);
  logger->flush_on(spdlog::level::debug);  // a service log is read as it is written
  if (json) {
    logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","message":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l eql run: %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(debug ? spdlog::level::debug : spdlog::level::info);
}

void log(LogLevel level, std::string_view message) {
  if (!logger) init_log(false);
  spdlog::level::level_enum spd = level == LogLevel::Debug  ? spdlog::level::debug
                                  : level == LogLevel::Info ? spdlog::level::info
                                  : level == LogLevel::Warn ? spdlog::level::warn
                                                            : spdlog::level::err;
  if (json_mode) logger->log(spd, "{}", escaped(message));
  else logger->log(spd, "{}", message);
}

}  // namespace eql::kafka
