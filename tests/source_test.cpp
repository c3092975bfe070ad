#include <doctest/doctest.h>

#include "eql/diagnostic.h"
#include "eql/source.h"

using namespace eql;

TEST_CASE("positions count lines from 1 and columns in characters") {
  SourceText text("f.toml", "ab\nc\xC3\xA9" "d\n");
  CHECK(text.position_at(0) == Position{1, 1});
  CHECK(text.position_at(3) == Position{2, 1});
  CHECK(text.position_at(6) == Position{2, 3});  // after 'c' and the two-byte 'é'
  CHECK(text.line(2) == "c\xC3\xA9" "d");
  CHECK(text.line_count() == 3);
}

TEST_CASE("a shifted origin maps query offsets into the file") {
  SourceText file("r.toml", "query = '''\nprocess where x = 1\n'''\n");
  Diagnostic d{Severity::Error, "syntax.single-equals", "use == to compare", Span{16, 17}, {}};
  auto at = locate(d, file, QueryOrigin::shifted(12));
  CHECK(at.begin == Position{2, 17});
  CHECK(render(d, file, QueryOrigin::shifted(12)) ==
        "r.toml:2:17: error: use == to compare\n"
        "   process where x = 1\n"
        "                   ^\n");
}

TEST_CASE("a very long line is shown as a window around the caret") {
  std::string line = std::string(300, 'a') + "=" + std::string(300, 'b');
  SourceText file("export.ndjson", line + "\n");
  Diagnostic d{Severity::Error, "syntax.single-equals", "use == to compare", Span{300, 301}, {}};
  std::string shown = render(d, file, QueryOrigin{});
  std::string expected_line = "   ..." + std::string(50, 'a') + "=" + std::string(69, 'b') + "...\n";
  std::string expected_caret = "   " + std::string(53, ' ') + "^\n";
  CHECK(shown == "export.ndjson:1:301: error: use == to compare\n" + expected_line + expected_caret);
}
