// Internal to src/rules/: how the TOML readers (rule files, rule test files) name a value's
// type in their diagnostics ("`severity` must be a string, not an integer").
#pragma once

#include <toml++/toml.h>

namespace eql::rules_internal {

/// "a string", "an integer", ... "nothing" for a missing value.
const char* described_type(const toml::node& node);

}  // namespace eql::rules_internal
