// `.why` of the shell: why a loaded rule matches an event or not (`eql explain` for one event).
#pragma once

#include <string>
#include <vector>

#include "eql/eval.h"
#include "eql/rules.h"
#include "eql/sequence.h"

namespace eql::shell {

struct WhyInputs {
  const std::vector<Rule>& rules;            ///< as `.rules` loaded them
  const std::vector<EventRef>* last_rows;    ///< the last result's events; nullptr when it holds none
  const std::vector<EventRef>& events;       ///< the loaded events, in loaded order
  const FieldTypes* field_types = nullptr;
};

/// `.why RULE N` (row N of the last result) or `.why RULE @N` (loaded event N): the
/// explanation in `text`, or false and why not in `error`.
bool why(const std::vector<std::string>& args, const WhyInputs& inputs, std::string& text, std::string& error);

}  // namespace eql::shell
