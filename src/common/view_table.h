// Strings looked up per event (the rule index: an event's field paths, its values of gate
// fields; the parser: keys against the selected fields) in an open-addressing table under a hash of a string's length
// and its first and last 8 bytes: std::hash over every byte, a division by the bucket count
// and a walk of the bucket's chain cost more than the rest of the lookup. The items are not
// owned; the keys are views of strings that must outlive the table.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace eql::detail {

template <class Item>
class ViewTable {
 public:
  template <class Range>  // of pairs (a string or view, an Item)
  void build(const Range& range) {
    std::size_t count = 0;
    for (const auto& entry : range) {
      (void)entry;
      ++count;
    }
    std::size_t capacity = 8;
    while (capacity < count * 2) capacity *= 2;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (const auto& [key, item] : range) {
      std::string_view view = key;
      std::size_t slot = hash(view) & mask_;
      while (slots_[slot].item) slot = (slot + 1) & mask_;
      slots_[slot] = {view, &item};
    }
  }
  const Item* find(std::string_view key) const {
    if (slots_.empty()) return nullptr;
    for (std::size_t slot = hash(key) & mask_;; slot = (slot + 1) & mask_) {
      const Slot& at = slots_[slot];
      if (!at.item) return nullptr;
      if (at.key.size() == key.size() && std::memcmp(at.key.data(), key.data(), key.size()) == 0) return at.item;
    }
  }

 private:
  struct Slot {
    std::string_view key;
    const Item* item = nullptr;
  };
  static std::uint64_t load(const char* bytes, std::size_t count) {
    std::uint64_t word = 0;
    if (count > 0) std::memcpy(&word, bytes, count);
    return word;
  }
  static std::size_t hash(std::string_view key) {
    const std::size_t size = key.size();
    std::uint64_t head = load(key.data(), std::min<std::size_t>(size, 8));
    std::uint64_t tail = size > 8 ? load(key.data() + size - 8, 8) : 0;
    std::uint64_t h = (size + 1) * 0x9E3779B97F4A7C15ULL;
    h ^= head * 0xFF51AFD7ED558CCDULL;
    h = std::rotl(h, 29) ^ (tail * 0xC4CEB9FE1A85EC53ULL);
    h ^= h >> 32;
    return static_cast<std::size_t>(h);
  }
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
};

}  // namespace eql::detail
