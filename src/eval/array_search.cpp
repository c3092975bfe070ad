// `_arraysearch(array, $entry, condition)` of the endpoint dialect: true when some element
// of the array satisfies the condition over that element's own fields.
//
// Why the elements are re-read from the event's JSON text: an Event files every value of
// an array of objects under one dotted path (`a.b` = the `b` of every element), which loses
// which values belong to the same element; `$entry.x == 1 and $entry.y == 2` must not be
// satisfied by one element's x and another's y. Keeping element boundaries in every event
// would cost every event of every rule set, while a rule reaches its _arraysearch only after
// its other conditions (the category, a process name ...) held, on a few events. So the
// array is read from the text the event keeps, only when a search asks, once per event and
// array however many rules search it (EvalContext::Scratch::arrays), and each element
// becomes an Event of its own that the condition, compiled as a program of its own over the
// element's fields, evaluates with the evaluator's usual semantics (case rules, nulls,
// multi-valued fields). A FieldSelection does not change the answer: the text is kept whole.
//
// Which elements: the values found at the array's path, with the flattening rules of
// events (dotted keys and nested objects alike, arrays add no path component, so arrays of
// arrays give their innermost elements in document order). A single object at the path is
// one element; an element that is not an object (a scalar or null) has no fields, so its
// `$entry.x` is missing. A missing or empty array has no elements: the search is false.
// A field written without `$entry.` in the condition is the event's (Slot::of_event).
// Since an element is parsed from the event's text once per event, its serial names the
// event too: the leaf memo of the elements' context is exact for such leaves.
#include <algorithm>
#include <limits>
#include <span>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "eval/program.h"

namespace eql::detail {

namespace {

// The event's field types seen from one element of an array: `x` is `<array>.x`.
class ElementFieldTypes final : public FieldTypes {
 public:
  ElementFieldTypes(const FieldTypes& outer, std::string prefix) : outer_(outer), prefix_(std::move(prefix) + ".") {}

  std::optional<FieldInfo> lookup(std::string_view name) const override {
    std::optional<FieldInfo> info = outer_.lookup(prefix_ + std::string(name));
    if (!info) return info;
    // A path inside the element is read from the element; an alias to a field elsewhere
    // cannot be (the element holds its own fields only), so the element's own is read.
    if (info->path.size() > prefix_.size() && info->path.compare(0, prefix_.size(), prefix_) == 0) {
      info->path.erase(0, prefix_.size());
    } else {
      info->path = std::string(name);
    }
    return info;
  }
  bool closed() const override { return outer_.closed(); }

 private:
  const FieldTypes& outer_;
  std::string prefix_;
};

// The values at `rest` below `value`, as the event reader files paths (see the top).
void collect(const rapidjson::Value& value, std::string_view rest, std::vector<const rapidjson::Value*>& found) {
  if (value.IsArray()) {
    for (const auto& element : value.GetArray()) collect(element, rest, found);
    return;
  }
  if (rest.empty()) {
    found.push_back(&value);
    return;
  }
  if (!value.IsObject()) return;
  for (const auto& member : value.GetObject()) {
    std::string_view key(member.name.GetString(), member.name.GetStringLength());
    if (rest == key) {
      collect(member.value, {}, found);
    } else if (rest.size() > key.size() && rest.compare(0, key.size(), key) == 0 && rest[key.size()] == '.') {
      collect(member.value, rest.substr(key.size() + 1), found);
    }
  }
}

std::vector<Event> read_elements(const std::string& json, std::string_view path) {
  std::vector<Event> elements;
  if (json.empty()) return elements;  // an event built without text (tests) has no arrays to read
  rapidjson::Document document;
  document.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseFullPrecisionFlag>(json.data(), json.size());
  if (document.HasParseError()) return elements;  // not so: the event was read from this text
  std::vector<const rapidjson::Value*> found;
  collect(document, path, found);
  std::string error;
  rapidjson::StringBuffer buffer;
  for (const rapidjson::Value* value : found) {
    std::string_view text = "{}";
    if (value->IsObject()) {
      buffer.Clear();
      rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
      value->Accept(writer);
      text = std::string_view(buffer.GetString(), buffer.GetSize());
    }
    // The element is part of an event read within the limits: unlimited nesting here.
    if (auto element = parse_event(text, error, nullptr, std::numeric_limits<std::size_t>::max())) {
      elements.push_back(std::move(*element));
    }
  }
  return elements;
}

std::span<const Event> elements_of(const Event& event, const std::string& path, EvalContext::Scratch& scratch) {
  const std::uint64_t serial = event.serial();
  if (scratch.array_serial != serial || serial == 0) {
    scratch.arrays.clear();
    scratch.array_serial = serial;
  }
  for (const auto& array : scratch.arrays) {
    if (array.path == path) return array.elements;
  }
  scratch.arrays.push_back({path, read_elements(event.json(), path)});
  return scratch.arrays.back().elements;
}

}  // namespace

std::shared_ptr<const ArraySearch> compile_array_search(const ast::Call& call, const FilterOptions& options,
                                                        const FieldTypes& types, const FieldTypes& event_types,
                                                        std::string_view variable, Diagnostics& diagnostics,
                                                        std::vector<std::string>& outer_aliases) {
  // The parser builds the call with 3 arguments, the second a bare `$variable`.
  const auto* array = call.args[0]->as<ast::Field>();
  const auto* binder = call.args[1]->as<ast::Field>();
  if (array == nullptr || binder == nullptr || !array->event_alias.empty() || array->variable != variable ||
      array->name.empty()) {
    std::string what = array != nullptr && !array->event_alias.empty()
                           ? "an array of an aliased stage's event"
                       : array != nullptr && array->variable.empty()
                           ? "an array field of the event inside another _arraysearch's condition"
                           : "this first argument";
    diagnostics.push_back({Severity::Error, "eval.endpoint-unsupported",
                           "_arraysearch over " + what + " (endpoint dialect) is not evaluated yet",
                           call.args[0]->span,
                           variable.empty() ? "the first argument names an array field of the event"
                                            : "inside a search, the array is a field of its element: $" +
                                                  std::string(variable) + ".<field>"});
    return nullptr;
  }
  auto search = std::make_shared<ArraySearch>();
  std::optional<FieldInfo> info = types.lookup(array->name);
  search->path = info && !info->path.empty() ? info->path : array->name;
  ElementFieldTypes element_types(types, array->name);
  FilterOptions element_options = options;
  element_options.field_types = &element_types;
  search->condition =
      compile_element_condition(*call.args[2], element_options, event_types, binder->variable, diagnostics);
  if (!search->condition) return nullptr;
  for (const std::string& alias : search->condition->aliases) {
    auto known = std::find(outer_aliases.begin(), outer_aliases.end(), alias);
    search->alias_map.push_back(static_cast<std::int32_t>(known - outer_aliases.begin()));
    if (known == outer_aliases.end()) outer_aliases.push_back(alias);
  }
  // The condition's leaves (their memo ids spell out what each computes) and its boolean
  // structure (the steps in preorder) decide its result on an element.
  std::string& key = search->key;
  key += "arraysearch:";
  key_text(key, search->path);
  for (const Step& step : search->condition->steps) {
    key += std::to_string(static_cast<int>(step.op));
    key += ',';
    key += std::to_string(step.end);
    if (step.op == BoolOp::Leaf) {
      key += '#';
      key += std::to_string(step.memo_id);
    }
    key += ';';
  }
  return search;
}

bool array_search_matches(const ArraySearch& search, const Event& event, EvalContext::Scratch& scratch) {
  std::span<const Event> elements = elements_of(event, search.path, scratch);
  if (elements.empty()) return false;
  if (!scratch.nested) scratch.nested = std::make_unique<EvalContext>();
  // The event's own fields in the condition are those of the event the rule evaluates,
  // however deep the search is nested.
  scratch.nested->scratch().searched_event = scratch.searched_event != nullptr ? scratch.searched_event : &event;
  const FilterProgram condition(search.condition);
  // A condition that reads aliased stages' events reads those of the partial sequence the
  // enclosing condition is judged against (its leaf is then never memoized nor relaxed).
  auto& nested = scratch.nested->scratch();
  nested.aliased_storage.clear();
  for (std::int32_t outer : search.alias_map) {
    nested.aliased_storage.push_back(static_cast<std::size_t>(outer) < scratch.aliased_events.size()
                                         ? scratch.aliased_events[static_cast<std::size_t>(outer)]
                                         : nullptr);
  }
  nested.aliased_events = nested.aliased_storage;
  bool found = false;
  for (const Event& element : elements) {
    if (condition.matches(element, *scratch.nested)) {
      found = true;
      break;
    }
  }
  nested.aliased_events = {};
  return found;
}

}  // namespace eql::detail
