// The one glob matcher (common/glob.h) behind index patterns (`*`) and Kibana's exception
// wildcards (`*` and `?`).
#include <doctest/doctest.h>

#include "common/glob.h"

using eql::glob_matches;
using eql::GlobQuestionMark;

TEST_CASE("glob: `*` matches any run, the rest itself") {
  struct Row {
    const char* pattern;
    const char* text;
    bool matches;
  };
  const Row rows[] = {
      {"logs-*", "logs-endpoint.events.process-default", true},
      {"logs-*", "metrics-system", false},
      {"*", "", true},
      {"", "", true},
      {"", "a", false},
      {"a*b*c", "aXXbYYc", true},
      {"a*b*c", "aXXbYY", false},
      {"*.exe", "cmd.exe", true},
      {"*.exe", "cmd.exe.bak", false},
      {"a**", "a", true},
      {"logs-?", "logs-a", false},  // `?` is itself for index patterns
      {"logs-?", "logs-?", true},
  };
  for (const Row& row : rows) {
    CHECK_MESSAGE(glob_matches(row.pattern, row.text) == row.matches, row.pattern, " ", row.text);
  }
}

TEST_CASE("glob: `?` matches one byte when asked (exception wildcards)") {
  CHECK(glob_matches("c?d.exe", "cmd.exe", GlobQuestionMark::AnyByte));
  CHECK_FALSE(glob_matches("c?d.exe", "cd.exe", GlobQuestionMark::AnyByte));
  CHECK(glob_matches("*\\temp\\??.dll", "C:\\temp\\ab.dll", GlobQuestionMark::AnyByte));
  CHECK_FALSE(glob_matches("*\\temp\\??.dll", "C:\\temp\\abc.dll", GlobQuestionMark::AnyByte));
}
