// An index from hashed keys to small integer handles (internal to src/seq/).
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace eql::seq {

/// Open addressing with linear probing over (hash, handle) pairs. The index does not own
/// the keys: the caller keeps them (a handle names one) and answers equality, so a lookup
/// with a key that is not there copies nothing, and a probe compares full keys only on a
/// full 64-bit hash match. Deletion shifts the following entries back (no tombstones), so
/// probe lengths do not degrade as keys come and go.
class HandleIndex {
 public:
  /// The handle of the key with `hash` that `same(handle)` accepts, if any.
  template <class Same>
  std::optional<std::uint32_t> find(std::uint64_t hash, Same&& same) const {
    if (entries_.empty()) return std::nullopt;
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Entry& entry = entries_[i];
      if (entry.handle == kEmpty) return std::nullopt;
      if (entry.hash == hash && same(entry.handle)) return entry.handle;
    }
  }

  /// Adds a key the index does not hold yet.
  void insert(std::uint64_t hash, std::uint32_t handle) {
    if ((size_ + 1) * 2 > entries_.size()) grow();
    place(hash, handle);
    ++size_;
  }

  /// Removes the entry of `handle` (inserted under `hash`); false when it is not there.
  bool erase(std::uint64_t hash, std::uint32_t handle) {
    if (entries_.empty()) return false;
    std::size_t hole = hash & mask_;
    for (;; hole = (hole + 1) & mask_) {
      if (entries_[hole].handle == kEmpty) return false;
      if (entries_[hole].handle == handle) break;
    }
    // Close the hole: an entry further along may move back into it unless its home
    // position lies cyclically after the hole (then it would become unreachable).
    for (std::size_t next = (hole + 1) & mask_;; next = (next + 1) & mask_) {
      Entry& entry = entries_[next];
      if (entry.handle == kEmpty) break;
      std::size_t home = entry.hash & mask_;
      bool reachable_from_hole = ((next - home) & mask_) >= ((next - hole) & mask_);
      if (reachable_from_hole) {
        entries_[hole] = entry;
        hole = next;
      }
    }
    entries_[hole] = Entry{};
    --size_;
    return true;
  }

  std::size_t size() const { return size_; }

 private:
  static constexpr std::uint32_t kEmpty = UINT32_MAX;
  struct Entry {
    std::uint64_t hash = 0;
    std::uint32_t handle = kEmpty;
  };

  void place(std::uint64_t hash, std::uint32_t handle) {
    std::size_t i = hash & mask_;
    while (entries_[i].handle != kEmpty) i = (i + 1) & mask_;
    entries_[i] = Entry{hash, handle};
  }

  void grow() {
    std::vector<Entry> old = std::move(entries_);
    entries_.assign(old.empty() ? 16 : old.size() * 2, Entry{});
    mask_ = entries_.size() - 1;
    for (const Entry& entry : old) {
      if (entry.handle != kEmpty) place(entry.hash, entry.handle);
    }
  }

  std::vector<Entry> entries_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace eql::seq
