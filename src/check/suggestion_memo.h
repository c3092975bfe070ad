#pragma once
// Field suggestions remembered across the rules of one run. A rule set names the same
// unknown fields in many rules (the detection-rules corpus: the same few dozen, over and
// over), and each suggestion compares the name with every field of the rule's schema stack
// by edit distance; the result depends only on that stack, the name and the number of
// suggestions asked for, so it is computed once per thread for each of them.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "eql/schema.h"

namespace eql::check_internal {

template <typename Value>
class SuggestionMemo {
 public:
  using Tables = std::vector<std::shared_ptr<const SchemaTable>>;

  template <typename Compute>
  Value get(const Tables& tables, std::string_view name, std::size_t variant, Compute&& compute) {
    std::string key;
    key.reserve(tables.size() * sizeof(void*) + sizeof variant + name.size());
    for (const auto& table : tables) append_bytes(key, table.get());
    append_bytes(key, variant);
    key.append(name);
    if (auto found = entries_.find(key); found != entries_.end()) return found->second.value;
    // Bounded, for a long-lived service checking rule after rule: starting over only costs
    // the recomputation.
    if (entries_.size() >= kMaxEntries) entries_.clear();
    // The entry holds the tables so that their addresses, which the key is made of, cannot
    // be reused by other tables while it lives.
    Entry& entry = entries_[std::move(key)];
    entry.tables = tables;
    entry.value = compute();
    return entry.value;
  }

 private:
  static constexpr std::size_t kMaxEntries = 4096;

  struct Entry {
    Tables tables;
    Value value;
  };

  template <typename T>
  static void append_bytes(std::string& key, const T& item) {
    key.append(reinterpret_cast<const char*>(&item), sizeof item);
  }

  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace eql::check_internal
