// JSON text for the commands' machine-readable outputs (alerts, test reports,
// explanations), appended to the output being built.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "eql/value.h"

namespace eql::report {

/// `text` as a JSON string, quoted and escaped as every JSON value of ours.
inline void append_json_string(std::string& out, std::string_view text) {
  append_json(out, Value::of_string(text));
}

/// `["a","b"]`: the texts as a JSON array of strings.
inline void append_json_strings(std::string& out, const std::vector<std::string>& texts) {
  out += '[';
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, texts[i]);
  }
  out += ']';
}

}  // namespace eql::report
