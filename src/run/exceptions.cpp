// Exception items (include/eql/runner.h, src/run/exceptions.h): values compared as text,
// as Kibana's list values are strings whatever the field's type.
#include "run/exceptions.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/glob.h"
#include "eql/runner.h"

namespace eql {

namespace detail {

bool any_exception_matches(const std::vector<ExceptionListItem>& items, const Event& event) {
  return std::any_of(items.begin(), items.end(),
                     [&](const ExceptionListItem& item) { return exception_item_matches(item, event); });
}

std::vector<std::string> exception_fields(const std::vector<ExceptionListItem>& items) {
  std::vector<std::string> fields;
  // A work list rather than recursion: entries nest as deep as a rule file says.
  std::vector<const ExceptionEntry*> entries;
  for (const ExceptionListItem& item : items) {
    for (const ExceptionEntry& entry : item.entries) entries.push_back(&entry);
  }
  while (!entries.empty()) {
    const ExceptionEntry* entry = entries.back();
    entries.pop_back();
    fields.push_back(entry->field);
    for (const ExceptionEntry& inner : entry->entries) entries.push_back(&inner);
  }
  return fields;
}

}  // namespace detail

bool exception_item_supported(const ExceptionListItem& item) {
  if (item.entries.empty()) return false;
  return std::all_of(item.entries.begin(), item.entries.end(), [](const ExceptionEntry& entry) {
    bool type_known = entry.type == "match" || entry.type == "match_any" || entry.type == "wildcard" ||
                      entry.type == "exists";
    bool operator_known = entry.operator_name == "included" || entry.operator_name == "excluded";
    return type_known && operator_known && !entry.field.empty();
  });
}

bool exception_item_matches(const ExceptionListItem& item, const Event& event) {
  if (item.entries.empty()) return false;
  for (const ExceptionEntry& entry : item.entries) {
    bool holds = false;
    for (const Value& value : event.values(entry.field)) {
      if (value.is_null()) continue;
      if (entry.type == "exists") {
        holds = true;
        break;
      }
      std::string text = to_display_string(value);
      for (const std::string& wanted : entry.values) {
        if (entry.type == "wildcard" ? glob_matches(wanted, text, GlobQuestionMark::AnyByte) : wanted == text) {
          holds = true;
          break;
        }
      }
      if (holds) break;
    }
    if (entry.operator_name == "excluded") holds = !holds;
    if (!holds) return false;
  }
  return true;
}

}  // namespace eql
