// The one place where a parsed JSON event becomes its filed values: the dotted paths, the
// selection (what is filed, what is skipped), the nesting and path-size limits, and the
// storage layout Event::assemble receives (event.cpp). Two readers drive it: RapidJSON's SAX
// reader, through the handler methods, and the skipping scanner (json_scan.cpp), through
// the same methods plus the few below that let it skip what is not filed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "eql/event.h"
#include "events/simd_json.h"

namespace eql {

// Values and paths are recorded as offsets while the storage string still grows; views are
// made once it is complete.
struct PendingValue {
  std::uint32_t path_offset;
  std::uint32_t path_length;
  Value value;
  std::uint32_t string_offset;
  std::uint32_t string_length;
};

class Flattener : public simd_json::BaseReaderHandler<simd_json::UTF8<>, Flattener> {
 public:
  Flattener(std::size_t max_nesting, std::size_t max_path_bytes, const FieldSelection* selection)
      : max_nesting_(max_nesting), max_path_bytes_(max_path_bytes), selection_(selection) {}
  std::string storage;
  std::vector<PendingValue> pending;
  std::string error;
  // Whether the parse was refused at a '{' or '[': RapidJSON's recursive parser has read
  // that byte when it asks, its iterative one has not. Offsets are the byte's own.
  bool refused_opening = false;

  bool Null() { return record(Value::null()); }
  bool Bool(bool b) { return record(Value::of_bool(b)); }
  bool Int(int i) { return record(Value::of_int(i)); }
  bool Uint(unsigned u) { return record(Value::of_int(u)); }
  bool Int64(std::int64_t i) { return record(Value::of_int(i)); }
  bool Uint64(std::uint64_t u) { return record(of_uint64(u)); }
  bool Double(double d) { return record(Value::of_double(d)); }
  bool String(const char* s, simd_json::SizeType length, bool) {
    if (!enter_value()) return false;
    if (!files_value()) return true;
    return file_string(std::string_view(s, length));
  }
  bool StartObject() {
    if (frames_.empty()) {
      if (started_) return refuse_opening("an event must be a JSON object");
      started_ = true;
      frames_.push_back({false, 0, false});
      return true;
    }
    if (!enter_value()) return false;
    if (!nests()) return refuse_opening(too_deep());
    frames_.push_back({false, path_.size(), skips_container()});
    return true;
  }
  bool Key(const char* s, simd_json::SizeType length, bool) {
    Frame& frame = frames_.back();
    if (frame.skipped) return true;  // no path below it is filed: none is built
    truncate_path(frame.base);
    if (!path_.empty()) path_ += '.';
    path_.append(s, length);
    return true;
  }

  // For a reader that does not hand over what is not filed (json_scan.cpp). Inside the
  // root object, these put the path at the value about to be read and say whether a
  // container there is skipped whole (then it is not opened at all) or a scalar filed
  // (then file() or file_string() files it, and nothing else is called for it).
  bool skips_next_container() {
    enter_value();
    return skips_container();
  }
  // Opens the container skips_next_container() did not skip.
  bool open_container(bool array) {
    if (!nests()) return refuse_opening(too_deep());
    frames_.push_back({array, path_.size(), false});
    return true;
  }
  bool files_next_value() {
    enter_value();
    return files_value();
  }
  bool file(const Value& value) { return push(value, 0, 0); }
  bool file_string(std::string_view text) {
    auto offset = static_cast<std::uint32_t>(storage.size());
    storage.append(text);
    return push(Value::of_string({}), offset, static_cast<std::uint32_t>(text.size()));
  }
  // An unsigned integer as RapidJSON reports it: beyond int64 it is a double.
  static Value of_uint64(std::uint64_t u) {
    if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return Value::of_int(static_cast<std::int64_t>(u));
    return Value::of_double(static_cast<double>(u));
  }
  bool EndObject(simd_json::SizeType) {
    frames_.pop_back();
    return true;
  }
  bool StartArray() {
    if (frames_.empty()) return refuse_opening("an event must be a JSON object, not an array");
    if (!enter_value()) return false;
    if (!nests()) return refuse_opening(too_deep());
    frames_.push_back({true, path_.size(), skips_container()});
    return true;
  }
  bool EndArray(simd_json::SizeType) {
    frames_.pop_back();
    return true;
  }

 private:
  struct Frame {
    bool array;
    std::size_t base;  // length of this container's own path
    bool skipped;      // a selection files nothing below it
  };

  // With a selection: whether the container about to start (at path_) holds no selected
  // field, so that nothing below it is filed (its JSON is still parsed and checked).
  bool skips_container() const {
    if (frames_.back().skipped) return true;
    return selection_ != nullptr && !selection_->may_hold(path_);
  }
  // Whether the scalar about to be read (at path_) is filed.
  bool files_value() const {
    if (frames_.back().skipped) return false;
    return selection_ == nullptr || selection_->wants(path_);
  }

  bool fail(std::string message) {
    error = std::move(message);
    return false;
  }
  // Refused at a '{' or '[' (see refused_opening).
  bool refuse_opening(std::string message) {
    refused_opening = true;
    return fail(std::move(message));
  }
  bool nests() const { return frames_.size() < max_nesting_; }
  std::string too_deep() const {
    return "nested deeper than the limit of " + std::to_string(max_nesting_) + " levels";
  }
  // Puts `path_` at the path of the value about to be read.
  bool enter_value() {
    if (frames_.empty()) return fail("an event must be a JSON object");
    if (frames_.back().array) truncate_path(frames_.back().base);
    return true;
  }
  void truncate_path(std::size_t length) {
    path_.resize(length);
    same_prefix_ = std::min(same_prefix_, length);
  }
  bool record(const Value& value) {
    if (!enter_value()) return false;
    if (!files_value()) return true;
    return push(value, 0, 0);
  }
  bool push(const Value& value, std::uint32_t string_offset, std::uint32_t string_length) {
    std::uint32_t path_offset;
    // Values under the path of the value before them (arrays) share its copy. Only the
    // bytes appended since then are compared, so a long path above a long array stays linear.
    const PendingValue* last = pending.empty() ? nullptr : &pending.back();
    if (last && last->path_length == path_.size() &&
        path_.compare(same_prefix_, std::string::npos, storage, last->path_offset + same_prefix_,
                      path_.size() - same_prefix_) == 0) {
      path_offset = last->path_offset;
    } else {
      path_bytes_ += path_.size();
      if (path_bytes_ > max_path_bytes_) {
        return fail("field paths longer than the limit of " + std::to_string(max_path_bytes_) + " bytes in all");
      }
      path_offset = static_cast<std::uint32_t>(storage.size());
      storage += path_;
    }
    same_prefix_ = path_.size();
    pending.push_back({path_offset, static_cast<std::uint32_t>(path_.size()), value, string_offset,
                       string_length});
    return true;
  }

  std::vector<Frame> frames_;
  std::string path_;
  std::size_t same_prefix_ = 0;  // how much of path_ is known equal to the last value's path
  std::size_t path_bytes_ = 0;
  std::size_t max_nesting_;
  std::size_t max_path_bytes_;
  const FieldSelection* selection_;
  bool started_ = false;
};

}  // namespace eql
