// The reports of `eql explain` (docs/explain.md): text, a tree per event, and JSON.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "eql/explain.h"
#include "eql/rules.h"

namespace eql::report {

std::string explain_text(const Rule& rule, const RuleExplanation& explanation);
std::string explain_json(const Rule& rule, const RuleExplanation& explanation);

/// The compact explanation of a few events (`eql test` on a failed case), each line
/// indented by `indent`: per event (a 1-based position; 0 is skipped) its verdict, what kept
/// it out, and only the filter that should have taken it: the query, or for a sequence or
/// sample the stage of its place `i` in `positions` (RuleExplanation::stage_terms); then
/// the chain notes that concern these events.
std::string explain_events_text(const Rule& rule, const RuleExplanation& explanation,
                                const std::vector<std::size_t>& positions, std::size_t indent);

}  // namespace eql::report
