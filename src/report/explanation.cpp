// The reports of `eql explain`: per event, what kept it from the rule before the query ran,
// then each event filter of the query as a tree, one node a line with its verdict and the
// values it saw; the alerts last. JSON gives the same, one document.
#include "report/explanation.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string_view>
#include <vector>

#include "report/json_output.h"
#include "eql/value.h"

namespace eql::report {

namespace {

// One line of a tree: a node of the trace as shown.
struct Row {
  std::size_t depth = 0;
  std::string text;
  std::string verdict;  // true, false or null
  const TraceNode* values = nullptr;  // the node whose fields it saw (a leaf), or nullptr
};

// The query's text at `span`, its runs of blanks and newlines as one space.
std::string source_text(const std::string& query, Span span) {
  std::string out;
  const std::size_t end = std::min<std::size_t>(span.end, query.size());
  for (std::size_t i = span.begin; i < end; ++i) {
    const bool blank = std::isspace(static_cast<unsigned char>(query[i])) != 0;
    if (blank && (out.empty() || out.back() == ' ')) continue;
    out += blank ? ' ' : query[i];
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string verdict_of(const TraceNode& node) {
  // Its verdict depends on the partial sequence, which a single event's trace has not.
  if (node.cross) return std::string(node.verdict ? "true" : "false") + " (relaxed; judged per partial sequence)";
  if (node.verdict) return "true";
  return node.kind == TraceNode::Kind::Leaf && node.null ? "null" : "false";
}

bool has_span(const TraceNode& node) { return node.span.end > node.span.begin; }

// The rows of a trace: `and`, `or`, `not` by name; a leaf by its text in the query (the
// category test as `<category> where`, a leaf without text of its own by its compiled form);
// a `not` over such a leaf (`a != b`, `a not in (...)`) as one row with the text written.
std::vector<Row> rows_of(const std::string& query, const FilterTrace& trace) {
  std::vector<Row> rows;
  for (std::size_t i = 0; i < trace.nodes.size(); ++i) {
    const TraceNode& node = trace.nodes[i];
    Row row;
    row.depth = node.depth;
    row.verdict = verdict_of(node);
    switch (node.kind) {
      case TraceNode::Kind::And: row.text = "and"; break;
      case TraceNode::Kind::Or: row.text = "or"; break;
      case TraceNode::Kind::True: row.text = has_span(node) ? source_text(query, node.span) : "true"; break;
      case TraceNode::Kind::False: row.text = has_span(node) ? source_text(query, node.span) : "false"; break;
      case TraceNode::Kind::Not: {
        const TraceNode* child = i + 1 < trace.nodes.size() ? &trace.nodes[i + 1] : nullptr;
        if (child && child->kind == TraceNode::Kind::Leaf && !has_span(*child) && has_span(node)) {
          row.text = source_text(query, node.span);
          row.values = child;
          ++i;  // the leaf is this row
        } else {
          row.text = "not";
        }
        break;
      }
      case TraceNode::Kind::Leaf:
        if (node.category) row.text = source_text(query, node.span) + " where";
        else row.text = has_span(node) ? source_text(query, node.span) : node.compiled;
        row.values = &node;
        break;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// What a leaf saw: `"x"`, `missing`, `["a", "b"], matched "b"`; several fields by name.
std::string saw_text(const TraceNode& node) {
  auto one = [](const TraceNode::Field& field) {
    if (field.values.empty()) return std::string("missing");
    if (field.values.size() == 1) return field.values.front();
    std::string out = "[";
    for (std::size_t i = 0; i < field.values.size(); ++i) out += (i ? ", " : "") + field.values[i];
    out += "]";
    if (field.matched) out += ", matched " + field.values[*field.matched];
    return out;
  };
  if (node.fields.empty()) return {};
  if (node.fields.size() == 1) return "saw " + one(node.fields.front());
  std::string out = "saw ";
  for (std::size_t i = 0; i < node.fields.size(); ++i) {
    out += (i ? "; " : "") + node.fields[i].name + " " + one(node.fields[i]);
  }
  return out;
}

void append_tree(std::string& out, const std::string& query, const FilterTrace& trace, std::size_t indent) {
  std::vector<Row> rows = rows_of(query, trace);
  constexpr std::size_t kMaxWidth = 64;
  std::size_t width = 0;
  for (const Row& row : rows) width = std::max(width, std::min(kMaxWidth, row.depth * 2 + row.text.size()));
  for (const Row& row : rows) {
    std::string line(indent + row.depth * 2, ' ');
    line += row.text;
    const std::size_t used = row.depth * 2 + row.text.size();
    line += std::string(used < width ? width - used : 0, ' ') + "   " + row.verdict;
    if (row.values) {
      std::string saw = saw_text(*row.values);
      if (!saw.empty()) line += std::string(7 - row.verdict.size(), ' ') + saw;
    }
    out += line + "\n";
  }
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out = "[";
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out + "]";
}

std::string rule_title(const Rule& rule) {
  std::string out = rule.file;
  if (!rule.name.empty()) out += ": " + rule.name;
  if (!rule.rule_id.empty()) out += " (" + rule.rule_id + ")";
  return out;
}

// The first line of an event's explanation: its verdict, or what kept it out.
std::string event_verdict(const EventExplanation& event, RuleExplanation::Kind kind) {
  if (!event.index_read) return "kept out: the rule does not read its index";
  if (event.exception) return "kept out: exception item " + event.exception->item_id;
  if (event.timestamp_required && !event.timestamp) return "kept out: no " + event.timestamp_field;
  if (kind == RuleExplanation::Kind::Event) return event.matches ? "matches" : "does not match";
  std::string stages;
  for (const StageExplanation& stage : event.filters) {
    if (!stage.matches) continue;
    if (!stages.empty()) stages += ", ";
    stages += stage.role == StageExplanation::Role::Until ? "until" : "stage " + std::to_string(stage.number);
  }
  return stages.empty() ? "no stage" : stages;
}

void append_gates(std::string& out, const Rule& rule, const EventExplanation& event) {
  out += "  index      ";
  if (event.index.empty()) {
    out += "unknown (no _index, data_stream.* or --index): read\n";
  } else if (rule.index.empty()) {
    out += event.index + ": the rule names no index\n";
  } else if (event.index_read) {
    out += event.index + ": read (" + event.index_pattern + ")\n";
  } else if (!event.index_pattern.empty()) {
    out += event.index + ": not read (excluded by " + event.index_pattern + ")\n";
  } else {
    out += event.index + ": not read (no pattern matches it)\n";
  }
  if (event.exception) {
    out += "  exception  " + event.exception->item_id;
    if (!event.exception->name.empty()) out += " \"" + event.exception->name + "\"";
    out += " (list " + event.exception->list_id + ") matches\n";
  }
  if (event.timestamp_required || event.timestamp_field != kDefaultTimestampField) {
    out += "  timestamp  " + event.timestamp_field + " " + (event.timestamp ? *event.timestamp : "missing") + "\n";
  }
}

std::string stage_title(const StageExplanation& stage) {
  switch (stage.role) {
    case StageExplanation::Role::Query: return "query";
    case StageExplanation::Role::Stage: return "stage " + std::to_string(stage.number);
    case StageExplanation::Role::Missing: return "stage " + std::to_string(stage.number) + " (missing event)";
    case StageExplanation::Role::Until: return "until";
  }
  return {};
}

// A duration as `1m30s`, `250ms`.
std::string duration_text(std::int64_t ms) {
  if (ms < 1000) return std::to_string(ms) + "ms";
  std::string out;
  const std::int64_t hours = ms / 3'600'000, minutes = ms / 60'000 % 60, seconds = ms / 1000 % 60;
  if (hours) out += std::to_string(hours) + "h";
  if (minutes) out += std::to_string(minutes) + "m";
  if (seconds) out += std::to_string(seconds) + "s";
  if (ms % 1000) out += std::to_string(ms % 1000) + "ms";
  return out;
}

std::string named(const RuleExplanation& explanation, std::size_t position) {
  std::string out = "event " + std::to_string(position);
  if (position == 0 || position > explanation.events.size()) return out;
  const std::string& name = explanation.events[position - 1].name;
  return name == "#" + std::to_string(position) ? out : out + " (" + name + ")";
}

// One line: what broke a chain.
std::string chain_text(const RuleExplanation& explanation, const ChainNote& note) {
  std::vector<std::string> held;
  for (std::size_t position : note.events) held.push_back(std::to_string(position));
  const std::string partial = "the sequence of events " + join_names(held) + " by " + note.keys;
  const std::string stage = "stage " + std::to_string(note.stage);
  switch (note.kind) {
    case ChainNote::Kind::MaxspanExceeded:
      return partial + " waited for " + stage + ": maxspan exceeded by " + duration_text(note.over_ms) + " at " +
             named(explanation, note.at);
    case ChainNote::Kind::Until:
      return partial + " waited for " + stage + ": ended by the until event, " + named(explanation, note.at);
    case ChainNote::Kind::NoEarlierStage:
      return named(explanation, note.at) + " matches " + stage + " by " + note.keys +
             ", but no sequence of that key waited for it";
    case ChainNote::Kind::MissingFound:
      return partial + " is dropped: " + named(explanation, note.at) + " matches the missing-event " + stage +
             " (![...]) where the sequence needs none";
    case ChainNote::Kind::Late:
      return named(explanation, note.at) + " came " + duration_text(note.behind_ms) +
             " behind the newest event, " + duration_text(std::max<std::int64_t>(note.over_ms, 0)) +
             " beyond the " + duration_text(explanation.window_ms.value_or(0)) +
             " reorder window: dropped before the sequence saw it";
  }
  return {};
}

// An event's title line: `event 2 (excel-cmd): does not match`.
std::string event_title(const EventExplanation& event, RuleExplanation::Kind kind) {
  std::string out = "event " + std::to_string(event.position);
  if (event.name != "#" + std::to_string(event.position)) out += " (" + event.name + ")";
  return out + ": " + event_verdict(event, kind);
}

// A stage's title line with the event's join keys: `stage 1 by host.id "h1"`.
std::string stage_line(const StageExplanation& stage) {
  std::string out = stage_title(stage);
  for (std::size_t k = 0; k < stage.keys.size(); ++k) out += (k ? ", " : " by ") + stage.key_names[k] + " " + stage.keys[k];
  return out;
}

}  // namespace

std::string explain_events_text(const Rule& rule, const RuleExplanation& explanation,
                                const std::vector<std::size_t>& positions, std::size_t indent) {
  const std::string pad(indent, ' ');
  std::string out;
  for (std::size_t i = 0; i < positions.size(); ++i) {
    const std::size_t position = positions[i];
    if (position == 0 || position > explanation.events.size()) continue;
    const EventExplanation& event = explanation.events[position - 1];
    out += pad + event_title(event, explanation.kind) + "\n";
    // Only the gates that decided something: an index not read, an exception, the time.
    std::string gates;
    append_gates(gates, rule, event);
    std::size_t start = 0;
    while (start < gates.size()) {
      const std::size_t end = gates.find('\n', start);
      const std::string line = gates.substr(start, end - start);
      start = end + 1;
      if (line.rfind("  index ", 0) == 0 && event.index_read) continue;
      out += pad + line + "\n";
    }
    // The filter this event should pass: the query, or the stage of its place in the alert.
    const std::size_t term = explanation.kind == RuleExplanation::Kind::Event ? 0
                             : i < explanation.stage_terms.size() ? explanation.stage_terms[i]
                                                                   : 0;
    for (const StageExplanation& stage : event.filters) {
      if (stage.role == StageExplanation::Role::Until || stage.number != term) continue;
      out += pad + "  " + stage_line(stage) + "\n";
      append_tree(out, rule.query, stage.trace, indent + 4);
    }
  }
  std::string notes;
  for (const ChainNote& note : explanation.chain) {
    bool concerns = std::find(positions.begin(), positions.end(), note.at) != positions.end();
    for (std::size_t held : note.events) {
      if (std::find(positions.begin(), positions.end(), held) != positions.end()) concerns = true;
    }
    if (concerns) notes += pad + "  " + chain_text(explanation, note) + "\n";
  }
  if (!notes.empty()) out += pad + "chains:\n" + notes;
  return out;
}

std::string explain_text(const Rule& rule, const RuleExplanation& explanation) {
  std::string out = "rule: " + rule_title(rule) + "\n";
  std::string patterns;
  for (const std::string& pattern : rule.index) patterns += (patterns.empty() ? "" : ", ") + pattern;
  out += "index: " + (patterns.empty() ? std::string("any") : patterns) + "\n";
  for (const EventExplanation& event : explanation.events) {
    out += "\n" + event_title(event, explanation.kind) + "\n";
    append_gates(out, rule, event);
    for (const StageExplanation& stage : event.filters) {
      out += "  " + stage_line(stage) + "\n";
      append_tree(out, rule.query, stage.trace, 4);
    }
  }
  out += "\n";
  if (explanation.kind == RuleExplanation::Kind::Sequence) {
    out += explanation.chain.empty() ? "chains: nothing broke\n" : "chains:\n";
    for (const ChainNote& note : explanation.chain) out += "  " + chain_text(explanation, note) + "\n";
  }
  if (explanation.alerts.empty()) {
    out += "alerts: none\n";
  } else {
    out += "alerts: " + std::to_string(explanation.alerts.size()) + "\n";
    for (const auto& alert : explanation.alerts) out += "  " + join_names(alert) + "\n";
  }
  return out;
}

namespace {

void json_tree(std::string& out, const std::string& query, const FilterTrace& trace) {
  out += "[";
  std::vector<Row> rows = rows_of(query, trace);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    out += i ? "," : "";
    out += "{\"depth\":" + std::to_string(row.depth) + ",\"text\":";
    append_json_string(out, row.text);
    out += ",\"verdict\":";
    append_json_string(out, row.verdict);
    out += ",\"fields\":[";
    if (row.values) {
      for (std::size_t f = 0; f < row.values->fields.size(); ++f) {
        const TraceNode::Field& field = row.values->fields[f];
        out += f ? ",{\"name\":" : "{\"name\":";
        append_json_string(out, field.name);
        out += ",\"values\":[";
        for (std::size_t v = 0; v < field.values.size(); ++v) out += (v ? "," : "") + field.values[v];
        out += "],\"matched\":" + (field.matched ? std::to_string(*field.matched) : std::string("null")) + "}";
      }
    }
    out += "]}";
  }
  out += "]";
}

void json_event(std::string& out, const Rule& rule, const EventExplanation& event, RuleExplanation::Kind kind) {
  out += "{\"position\":" + std::to_string(event.position) + ",\"name\":";
  append_json_string(out, event.name);
  out += ",\"verdict\":";
  append_json_string(out, event_verdict(event, kind));
  out += ",\"matches\":" + std::string(event.matches ? "true" : "false") + ",\"index\":";
  if (event.index.empty()) out += "null";
  else append_json_string(out, event.index);
  out += ",\"index_read\":" + std::string(event.index_read ? "true" : "false") + ",\"index_pattern\":";
  if (event.index_pattern.empty()) out += "null";
  else append_json_string(out, event.index_pattern);
  out += ",\"exception\":";
  if (!event.exception) {
    out += "null";
  } else {
    out += "{\"item_id\":";
    append_json_string(out, event.exception->item_id);
    out += ",\"name\":";
    append_json_string(out, event.exception->name);
    out += ",\"list_id\":";
    append_json_string(out, event.exception->list_id);
    out += "}";
  }
  out += ",\"timestamp_field\":";
  append_json_string(out, event.timestamp_field);
  out += ",\"timestamp\":" + (event.timestamp ? *event.timestamp : std::string("null")) + ",\"filters\":[";
  for (std::size_t i = 0; i < event.filters.size(); ++i) {
    const StageExplanation& stage = event.filters[i];
    out += i ? ",{\"filter\":" : "{\"filter\":";
    append_json_string(out, stage_title(stage));
    out += ",\"matches\":" + std::string(stage.matches ? "true" : "false") + ",\"keys\":";
    append_json_strings(out, stage.key_names);
    out += ",\"key_values\":[";  // JSON texts already; a missing key is null
    for (std::size_t k = 0; k < stage.keys.size(); ++k) {
      out += (k ? "," : "") + (stage.keys[k] == "missing" ? std::string("null") : stage.keys[k]);
    }
    out += "]";
    out += ",\"tree\":";
    json_tree(out, rule.query, stage.trace);
    out += "}";
  }
  out += "]}";
}

}  // namespace

std::string explain_json(const Rule& rule, const RuleExplanation& explanation) {
  std::string out = "{\"rule\":{\"file\":";
  append_json_string(out, rule.file);
  out += ",\"rule_id\":";
  if (rule.rule_id.empty()) out += "null";
  else append_json_string(out, rule.rule_id);
  out += ",\"name\":";
  append_json_string(out, rule.name);
  out += ",\"index\":";
  append_json_strings(out, rule.index);
  out += "},\"events\":[";
  for (std::size_t i = 0; i < explanation.events.size(); ++i) {
    if (i) out += ",";
    json_event(out, rule, explanation.events[i], explanation.kind);
  }
  out += "],\"chains\":[";
  for (std::size_t i = 0; i < explanation.chain.size(); ++i) {
    const ChainNote& note = explanation.chain[i];
    static constexpr const char* kKinds[] = {"maxspan", "until", "no_earlier_stage", "missing_found", "late"};
    out += i ? ",{\"kind\":\"" : "{\"kind\":\"";
    out += std::string(kKinds[static_cast<int>(note.kind)]) + "\",\"events\":[";
    for (std::size_t e = 0; e < note.events.size(); ++e) out += (e ? "," : "") + std::to_string(note.events[e]);
    out += "],\"stage\":" + std::to_string(note.stage) + ",\"at\":" + std::to_string(note.at) + ",\"keys\":";
    append_json_string(out, note.keys);
    out += ",\"over_ms\":" + std::to_string(note.over_ms) + ",\"behind_ms\":" + std::to_string(note.behind_ms) + "}";
  }
  out += "],\"alerts\":[";
  for (std::size_t i = 0; i < explanation.alerts.size(); ++i) {
    if (i) out += ",";
    append_json_strings(out, explanation.alerts[i]);
  }
  out += "]}\n";
  return out;
}

}  // namespace eql::report
