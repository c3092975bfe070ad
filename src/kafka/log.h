// The service log of `eql run --kafka`: spdlog on standard error, text or JSON lines
// (--log-format json). Internal to src/kafka/.
#pragma once

#include <cstdio>
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

/// With --log-format json, what `eql run` writes on its error stream (load warnings, rules
/// that cannot run, the load report) becomes log records too: it writes to file(), and
/// drain() logs what came since, one record a block (a line that is not indented, with the
/// indented lines after it: a diagnostic's snippet and hint), at warning level, or error
/// when the block's first line says `error:`.
class ErrorStreamLog {
 public:
  ErrorStreamLog();
  ~ErrorStreamLog();
  ErrorStreamLog(const ErrorStreamLog&) = delete;
  ErrorStreamLog& operator=(const ErrorStreamLog&) = delete;
  std::FILE* file() const { return file_; }
  void drain();

 private:
  std::FILE* file_ = nullptr;
  char* buffer_ = nullptr;
  std::size_t size_ = 0;
  std::size_t logged_ = 0;  // bytes of the buffer already logged
};

}  // namespace eql::kafka
