// Simple globs over names and field values: `*` matches any run of bytes and, when asked,
// `?` exactly one byte; everything else matches itself. Kibana's exception `wildcard`
// values use both, Elasticsearch index patterns only `*`.
#pragma once

#include <string_view>

namespace eql {

enum class GlobQuestionMark { Literal, AnyByte };

bool glob_matches(std::string_view pattern, std::string_view text,
                  GlobQuestionMark question_mark = GlobQuestionMark::Literal);

}  // namespace eql
