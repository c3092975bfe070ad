#include "kafka/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "eql/value.h"

namespace eql::kafka {

namespace {

bool json_mode = false;
std::shared_ptr<spdlog::logger> logger;

}  // namespace

void init_log(bool json, bool debug) {
  json_mode = json;
  logger = std::make_shared<spdlog::logger>("eql", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_level(spdlog::level::debug);
  logger->flush_on(spdlog::level::debug);  // a service log is read as it is written
  if (json) {
    logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","message":%v})",
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
  if (!json_mode) return logger->log(spd, "{}", message);
  // The message as a JSON string, by the project's JSON writer (quoted and escaped).
  std::string quoted;
  append_json(quoted, Value::of_string(message));
  logger->log(spd, "{}", quoted);
}

ErrorStreamLog::ErrorStreamLog() : file_(open_memstream(&buffer_, &size_)) {}

ErrorStreamLog::~ErrorStreamLog() {
  drain();
  if (file_) std::fclose(file_);
  std::free(buffer_);
}

void ErrorStreamLog::drain() {
  if (!file_ || std::fflush(file_) != 0) return;
  std::string_view text(buffer_, size_);
  text.remove_prefix(logged_);
  logged_ = size_;
  auto emit = [](std::string_view block) {
    while (!block.empty() && block.back() == '\n') block.remove_suffix(1);
    if (block.empty()) return;
    std::string_view first = block.substr(0, block.find('\n'));
    log(first.find("error:") != std::string_view::npos ? LogLevel::Error : LogLevel::Warn, block);
  };
  // A block starts at a line that is not indented: a diagnostic's snippet, caret and hint
  // lines are.
  std::size_t start = 0;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find('\n', at);
    end = end == std::string_view::npos ? text.size() : end + 1;
    if (at > start && text[at] != ' ' && text[at] != '\t' && text[at] != '\n') {
      emit(text.substr(start, at - start));
      start = at;
    }
    at = end;
  }
  emit(text.substr(start));
}

}  // namespace eql::kafka
