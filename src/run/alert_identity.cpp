// Alert ids and the identity of a rule without a rule_id (docs/run.md, "Alert identity").
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eql/runner.h"

namespace eql {

namespace {

std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes) {
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// Two FNV-1a passes from different starting points: 128 bits, stable across runs and
// machines (std::hash is neither). Each part is followed by a separator, so ("ab", "c")
// and ("a", "bc") differ.
class Hash128 {
 public:
  void feed(std::string_view bytes) {
    a_ = fnv1a(a_, bytes);
    b_ = fnv1a(b_, bytes);
    a_ = fnv1a(a_, std::string_view("\x1f", 1));
    b_ = fnv1a(b_, std::string_view("\x1e", 1));
  }
  std::string hex() const {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::uint64_t part : {a_, b_}) {
      for (int shift = 60; shift >= 0; shift -= 4) out += kHex[(part >> shift) & 0xF];
    }
    return out;
  }

 private:
  std::uint64_t a_ = 0xcbf29ce484222325ULL;
  std::uint64_t b_ = 0x84222325cbf29ce4ULL;
};

// The last component of a path written with `/` or `\\`.
std::string_view file_name(std::string_view path) {
  std::size_t slash = path.find_last_of("/\\");
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string alert_id(std::string_view rule_identity, const std::vector<EventRef>& events) {
  Hash128 hash;
  hash.feed(rule_identity);
  for (const EventRef& event : events) hash.feed(event ? std::string_view(event->json()) : "null");
  return hash.hex();
}

std::string derived_rule_identity(const Rule& rule) {
  if (!rule.rule_id.empty()) return {};
  Hash128 hash;
  hash.feed("eql rule without rule_id");  // never the hash of a rule_id's text
  hash.feed(file_name(rule.file));
  hash.feed(rule.name);
  hash.feed(rule.query);
  for (const std::string& pattern : rule.index) hash.feed(pattern);
  hash.feed("\n");
  hash.feed(rule.event_category_override);
  hash.feed(rule.timestamp_override);
  hash.feed(rule.tiebreaker_field);
  return hash.hex();
}

std::string rule_identity(const Rule& rule) {
  return rule.rule_id.empty() ? derived_rule_identity(rule) : rule.rule_id;
}

}  // namespace eql
