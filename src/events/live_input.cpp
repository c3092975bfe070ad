#include "events/live_input.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace eql::detail {

LiveInput::LiveInput(int fd, const LiveReadOptions& live) : fd_(fd), live_(live) {}

LiveInput::~LiveInput() {
  if (zip_ready_) inflateEnd(&zip_);
  ::close(fd_);
}

// Waits for bytes (calling the hook before each wait and at each interval without input),
// then reads what is there.
long LiveInput::read_raw(char* buffer, std::size_t size, std::string& error) {
  if (raw_end_) return 0;
  if (live_.waiting) live_.waiting();
  const int interval = static_cast<int>(live_.interval_ms > 0 ? live_.interval_ms : 100);
  while (true) {
    pollfd ready{fd_, POLLIN, 0};
    int n = ::poll(&ready, 1, live_.waiting ? interval : -1);
    if (n < 0 && errno != EINTR) {
      error = std::string("cannot read: ") + std::strerror(errno);
      return -1;
    }
    if (n > 0) break;
    if (live_.waiting) live_.waiting();
  }
  while (true) {
    ssize_t got = ::read(fd_, buffer, size);
    if (got >= 0) {
      if (got == 0) raw_end_ = true;
      return static_cast<long>(got);
    }
    if (errno == EINTR) continue;
    error = std::string("cannot read: ") + std::strerror(errno);
    return -1;
  }
}

long LiveInput::inflate_some(char* buffer, std::size_t size, std::string& error) {
  zip_.next_out = reinterpret_cast<Bytef*>(buffer);
  zip_.avail_out = static_cast<uInt>(size);
  while (zip_.avail_out == size) {
    if (zip_.avail_in == 0) {
      long got = read_raw(reinterpret_cast<char*>(raw_), sizeof raw_, error);
      if (got < 0) return -1;
      if (got == 0) return 0;  // a truncated last member ends the stream, as gzread does
      zip_.next_in = raw_;
      zip_.avail_in = static_cast<uInt>(got);
    }
    int status = inflate(&zip_, Z_NO_FLUSH);
    if (status == Z_STREAM_END) {
      inflateReset(&zip_);  // concatenated members, as gzip writes them
    } else if (status != Z_OK && status != Z_BUF_ERROR) {
      error = std::string("cannot read: ") + (zip_.msg ? zip_.msg : "invalid gzip data");
      return -1;
    }
  }
  return static_cast<long>(size - zip_.avail_out);
}

long LiveInput::read(char* buffer, std::size_t size, std::string& error) {
  if (mode_ == Mode::Unknown) {
    // Two bytes decide: the gzip magic or not.
    while (held_ < 2) {
      long got = read_raw(reinterpret_cast<char*>(raw_) + held_, sizeof raw_ - held_, error);
      if (got < 0) return -1;
      if (got == 0) break;
      held_ += static_cast<std::size_t>(got);
    }
    mode_ = held_ >= 2 && raw_[0] == 0x1f && raw_[1] == 0x8b ? Mode::Gzip : Mode::Plain;
    if (mode_ == Mode::Gzip) {
      if (inflateInit2(&zip_, 16 + MAX_WBITS) != Z_OK) {
        error = "cannot read: zlib";
        return -1;
      }
      zip_ready_ = true;
      zip_.next_in = raw_;
      zip_.avail_in = static_cast<uInt>(held_);
      held_ = 0;
    }
  }
  if (mode_ == Mode::Gzip) return inflate_some(buffer, size, error);
  if (held_ > 0) {  // what detection read
    std::size_t n = std::min(size, held_ - held_at_);
    std::memcpy(buffer, raw_ + held_at_, n);
    held_at_ += n;
    if (held_at_ == held_) held_ = held_at_ = 0;
    return static_cast<long>(n);
  }
  return read_raw(buffer, size, error);
}

}  // namespace eql::detail
