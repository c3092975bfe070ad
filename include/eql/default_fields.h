// The ECS fields EQL reads when a rule or an option names no other: an event's time (the
// order of sequences, samples and output) and its category (what `process where` tests).
// Every default of the readers, the checker, the evaluator, the runner and the commands
// comes from here.
#pragma once

#include <string_view>

namespace eql {

inline constexpr std::string_view kDefaultTimestampField = "@timestamp";
inline constexpr std::string_view kDefaultCategoryField = "event.category";

}  // namespace eql
