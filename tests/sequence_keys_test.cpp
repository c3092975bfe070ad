// The sequence matcher's key machinery (src/seq/): the open-addressing handle index
// against a std::map model, and EventKeys against the documented key semantics and the
// hash/compare agreement the index relies on.
#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "eql/event.h"
#include "eval_builder.h"
#include "seq/key_index.h"
#include "seq/keys.h"

namespace {

eql::seq::KeyField field(const std::string& path, eql::FieldType type = eql::FieldType::Unknown,
                         bool optional = false) {
  eql::seq::KeyField f;
  f.name = path;
  f.path = path;
  f.type = type;
  f.optional = optional;
  return f;
}

std::vector<std::string> displayed(const eql::seq::EventKeys& keys) {
  std::vector<std::string> out;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    std::string line;
    for (const eql::JoinValue& v : keys.materialize(k)) line += (line.empty() ? "" : ";") + v.display();
    out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("the handle index finds, inserts and erases like a map, through collisions") {
  // Keys are integers; a small hash range forces long collision chains and wrap-around,
  // and erasing from the middle of chains exercises the backward shift.
  for (std::uint64_t hash_range : {3u, 40u, 1000000u}) {
    CAPTURE(hash_range);
    std::mt19937_64 random(hash_range);
    eql::seq::HandleIndex index;
    std::map<std::uint64_t, std::uint32_t> model;   // key -> handle
    std::vector<std::uint64_t> key_of_handle;        // handle -> key
    auto hash_of = [&](std::uint64_t key) { return (key % hash_range) * 0x9e3779b97f4a7c15ULL; };
    auto find = [&](std::uint64_t key) {
      return index.find(hash_of(key), [&](std::uint32_t handle) { return key_of_handle[handle] == key; });
    };
    for (int step = 0; step < 20000; ++step) {
      std::uint64_t key = random() % 600;
      auto it = model.find(key);
      auto found = find(key);
      REQUIRE(found.has_value() == (it != model.end()));
      if (found) REQUIRE(*found == it->second);
      if (random() % 3 != 0) {
        if (!found) {
          auto handle = static_cast<std::uint32_t>(key_of_handle.size());
          key_of_handle.push_back(key);
          index.insert(hash_of(key), handle);
          model[key] = handle;
        }
      } else if (found) {
        REQUIRE(index.erase(hash_of(key), *found));
        REQUIRE_FALSE(index.erase(hash_of(key), *found));
        model.erase(it);
      }
      REQUIRE(index.size() == model.size());
    }
    for (const auto& [key, handle] : model) {
      auto found = find(key);
      REQUIRE(found.has_value());
      CHECK(*found == handle);
    }
  }
}

TEST_CASE("event keys: sorted distinct values, the cartesian product, optional null, overflow") {
  eql::seq::EventKeys keys;
  bool overflow = false;
  eql::Event multi = eql::testing::event(R"({"a": ["y", "x", "y"], "b": [2, 1], "c": "solo"})");
  keys.read(multi, {field("a"), field("b"), field("c")}, 100, overflow);
  CHECK_FALSE(overflow);
  CHECK(displayed(keys) == std::vector<std::string>{"x;1;solo", "x;2;solo", "y;1;solo", "y;2;solo"});

  // The buffers are reused: a later, smaller event leaves nothing of the earlier one.
  eql::Event single = eql::testing::event(R"({"a": "0123456789abcdef0123456789abcdef", "b": 7, "c": "z"})");
  keys.read(single, {field("a"), field("b"), field("c")}, 100, overflow);
  CHECK(displayed(keys) == std::vector<std::string>{"0123456789abcdef0123456789abcdef;7;z"});

  keys.read(single, {field("a"), field("missing", eql::FieldType::Unknown, true)}, 100, overflow);
  CHECK(displayed(keys) == std::vector<std::string>{"0123456789abcdef0123456789abcdef;null"});
  keys.read(single, {field("a"), field("missing")}, 100, overflow);
  CHECK(keys.size() == 0);
  CHECK_FALSE(overflow);

  keys.read(multi, {field("a"), field("b")}, 3, overflow);
  CHECK(keys.size() == 0);
  CHECK(overflow);

  // keys_of gives the same keys, materialized.
  auto materialized = eql::seq::keys_of(multi, {field("a"), field("b"), field("c")}, 100, overflow);
  REQUIRE(materialized.size() == 4);
  CHECK(materialized[3][0].display() == "y");
  CHECK(materialized[3][1].display() == "2");
}

TEST_CASE("event keys: values that compare equal hash alike") {
  eql::seq::EventKeys keys;
  bool overflow = false;
  auto one_key = [&](const std::string& json, const eql::seq::KeyField& f) {
    keys.read(eql::testing::event(json), {f}, 100, overflow);
    REQUIRE(keys.size() == 1);
    return keys.materialize(0);
  };
  struct Case {
    std::string left, right;
    eql::FieldType type;
  };
  const Case equal[] = {
      {R"({"k": 1})", R"({"k": 1.0})", eql::FieldType::Unknown},
      {R"({"k": 0})", R"({"k": -0.0})", eql::FieldType::Unknown},
      {R"({"k": "1.0"})", R"({"k": "1.0.0"})", eql::FieldType::Version},
      {R"({"k": "10.0.0.1"})", R"({"k": "::ffff:10.0.0.1"})", eql::FieldType::Ip},
      {R"({"k": "2024-01-01T00:00:00Z"})", R"({"k": 1704067200000})", eql::FieldType::Date},
      {R"({"k": 1234})", R"({"k": "1234"})", eql::FieldType::String},
  };
  for (const Case& c : equal) {
    CAPTURE(c.left);
    CAPTURE(c.right);
    eql::CompositeKey left = one_key(c.left, field("k", c.type));
    eql::CompositeKey right = one_key(c.right, field("k", c.type));
    REQUIRE(eql::compare(left, right) == 0);
    CHECK(eql::seq::hash_key(left) == eql::seq::hash_key(right));
    CHECK(keys.hash(0) == eql::seq::hash_key(right));  // EventKeys and hash_key agree
    CHECK(keys.equals(0, left));
  }
  // Different kinds never meet: the number 1234 and the text "1234" of an untyped field.
  eql::CompositeKey number = one_key(R"({"k": 1234})", field("k"));
  eql::CompositeKey text = one_key(R"({"k": "1234"})", field("k"));
  CHECK(eql::compare(number, text) != 0);
  CHECK_FALSE(keys.equals(0, number));
}
