// The reports of `eql explain` (docs/explain.md): text, a tree per event, and JSON.
#pragma once

#include <string>

#include "eql/explain.h"
#include "eql/rules.h"

namespace eql::cli {

std::string explain_text(const Rule& rule, const RuleExplanation& explanation);
std::string explain_json(const Rule& rule, const RuleExplanation& explanation);

}  // namespace eql::cli
