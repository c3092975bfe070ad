// head/tail pipes and --size, applied as Elasticsearch applies them (src/cli/limits.h).
#include <doctest/doctest.h>

#include "pipes/limits.h"
#include "eql/parser.h"

namespace {

std::pair<std::size_t, std::size_t> window(const char* pipes, std::size_t count,
                                           std::optional<std::size_t> size = std::nullopt) {
  auto parsed = eql::parse_query(std::string("process where true ") + pipes);
  REQUIRE(parsed.ok());
  std::string unsupported;
  auto limits = eql::ResultLimits::of(*parsed.query, size, unsupported);
  REQUIRE(limits.has_value());
  return limits->window(count);
}

using Range = std::pair<std::size_t, std::size_t>;

}  // namespace

TEST_CASE("head and tail pipes apply in order; --size counts from the end after a tail") {
  CHECK(window("", 10) == Range{0, 10});
  CHECK(window("| head 3", 10) == Range{0, 3});
  CHECK(window("| tail 3", 10) == Range{7, 10});
  CHECK(window("| head 4 | tail 2", 10) == Range{2, 4});  // test_queries: head 4 | tail 2
  CHECK(window("| tail 4 | head 2", 10) == Range{6, 8});
  CHECK(window("| head 20", 10) == Range{0, 10});
  CHECK(window("| head 0", 10) == Range{0, 0});
  CHECK(window("", 10, 3) == Range{0, 3});
  CHECK(window("| tail 5", 10, 3) == Range{7, 10});
}

TEST_CASE("another pipe is named as unsupported") {
  eql::ParseOptions options;
  options.extension_pipes = true;
  auto parsed = eql::parse_query("process where true | count", options);
  REQUIRE(parsed.ok());
  std::string unsupported;
  CHECK_FALSE(eql::ResultLimits::of(*parsed.query, std::nullopt, unsupported).has_value());
  CHECK(unsupported == "count");
}
