// UTF-8 encoding, the one encoder of the tree: the parser's string escapes, TOML strings of
// rule files and the evaluator's text functions all append code points with it.
#pragma once

#include <string>

namespace eql {

/// Appends the UTF-8 encoding of `code_point` (1 to 4 bytes). Surrogates are encoded as
/// they are, as callers that meet them decide what they mean.
void append_utf8(std::string& out, char32_t code_point);

}  // namespace eql
