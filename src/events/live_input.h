// Reading a live stream (a pipe, a terminal, a named pipe) without blocking for a full
// buffer: whatever bytes have come are handed out at once, gunzipped when the stream starts
// with the gzip magic, and a callback runs whenever the reader is about to wait for more
// (and then at intervals while nothing comes). Internal to src/events/.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <string>

#include "eql/event.h"

namespace eql::detail {

class LiveInput {
 public:
  LiveInput(int fd, const LiveReadOptions& live);
  ~LiveInput();
  LiveInput(const LiveInput&) = delete;
  LiveInput& operator=(const LiveInput&) = delete;

  /// Up to `size` decoded bytes into `buffer`; 0 at the end of the stream, -1 on an error
  /// (said in `error`).
  long read(char* buffer, std::size_t size, std::string& error);

 private:
  long read_raw(char* buffer, std::size_t size, std::string& error);
  long inflate_some(char* buffer, std::size_t size, std::string& error);

  int fd_;
  const LiveReadOptions& live_;
  enum class Mode { Unknown, Plain, Gzip } mode_ = Mode::Unknown;
  std::size_t held_ = 0, held_at_ = 0;  // raw_ bytes read while detecting the format
  z_stream zip_{};
  bool zip_ready_ = false;
  bool raw_end_ = false;
  unsigned char raw_[1 << 16];
};

}  // namespace eql::detail
