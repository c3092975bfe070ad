// `.why RULE N` in the shell (docs/shell.md): `eql explain` of a loaded rule (`.rules`) for
// one event, a row of the last result (`N`) or a loaded event by position (`@N`).
#include "shell/why.h"

#include <charconv>

#include "report/explanation.h"
#include "eql/explain.h"

namespace eql::shell {

namespace {

// A 1-based position; none when `text` is not a whole number from 1.
std::optional<std::size_t> position_of(std::string_view text) {
  std::size_t value = 0;
  auto [end, problem] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (problem != std::errc() || end != text.data() + text.size() || value == 0) return std::nullopt;
  return value;
}

// The loaded rule named by its rule_id, its name, or its 1-based place in `.rules`.
const Rule* find_rule(const std::vector<Rule>& rules, const std::string& name) {
  for (const Rule& rule : rules) {
    if (rule.rule_id == name || rule.name == name) return &rule;
  }
  std::optional<std::size_t> place = position_of(name);
  return place && *place <= rules.size() ? &rules[*place - 1] : nullptr;
}

}  // namespace

bool why(const std::vector<std::string>& args, const WhyInputs& inputs, std::string& text, std::string& error) {
  if (args.size() != 2) {
    error = "usage: .why RULE N (row N of the last result) or .why RULE @N (loaded event N)";
    return false;
  }
  if (inputs.rules.empty()) {
    error = "no rules loaded: .rules PATH first";
    return false;
  }
  const Rule* rule = find_rule(inputs.rules, args[0]);
  if (!rule) {
    error = "no loaded rule " + args[0] + " (a rule_id, a name, or a number from 1 to " +
            std::to_string(inputs.rules.size()) + ")";
    return false;
  }
  const bool loaded = !args[1].empty() && args[1].front() == '@';
  const std::vector<EventRef>* from = loaded ? &inputs.events : inputs.last_rows;
  if (!from) {
    error = "the last result holds no events (alerts, sequences or counts): name a loaded event with @N";
    return false;
  }
  std::optional<std::size_t> position = position_of(loaded ? std::string_view(args[1]).substr(1) : args[1]);
  if (!position || *position > from->size()) {
    error = std::string(loaded ? "no loaded event " : "no row ") + args[1] + " (" + std::to_string(from->size()) +
            (loaded ? " events loaded)" : " rows in the last result)");
    return false;
  }
  ExplainOptions options;
  options.field_types = inputs.field_types;
  options.ignore_index = true;  // as `.run`: loaded events say nothing reliable about indices
  RuleExplanation explanation;
  Diagnostics problems = explain_rule(*rule, {}, {*(*from)[*position - 1]}, options, explanation);
  if (has_errors(problems)) {
    error = "the rule does not compile";
    return false;
  }
  text = report::explain_text(*rule, explanation);
  return true;
}

}  // namespace eql::shell
