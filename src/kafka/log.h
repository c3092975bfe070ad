// The service log of `eql run --kafka`: spdlog on standard error, text or JSON lines
// (--log-format json). Internal to src/kafka/.
#pragma once

#include <string>
#include <string_view>

namespace eql::kafka {

enum class LogLevel { Debug, Info, Warn, Error };

/// Sets up the log once, before any other call. `debug`: debug records too (librdkafka's
/// `-X debug=...` contexts log at that level).
void init_log(bool json, bool debug = false);
/// One log record. In JSON mode each record is one object:
/// {"time":"2026-01-01T10:00:00.123Z","level":"info","message":"..."}.
void log(LogLevel level, std::string_view message);

inline void log_info(std::string_view message) { log(LogLevel::Info, message); }
inline void log_warn(std::string_view message) { log(LogLevel::Warn, message); }
inline void log_error(std::string_view message) { log(LogLevel::Error, message); }

}  // namespace eql::kafka
