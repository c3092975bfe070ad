// Internal to the runner: Kibana exception items (include/eql/runner.h declares the two
// public predicates). A rule's items keep from it the events Kibana would filter out of its
// search, so they are checked before the rule is evaluated.
#pragma once

#include <string>
#include <vector>

#include "eql/event.h"
#include "eql/rules.h"

namespace eql::detail {

/// Whether one of the items matches the event (exception_item_matches of each).
bool any_exception_matches(const std::vector<ExceptionListItem>& items, const Event& event);
/// The fields the items' entries read, nested entries' too (with repeats).
std::vector<std::string> exception_fields(const std::vector<ExceptionListItem>& items);

}  // namespace eql::detail
