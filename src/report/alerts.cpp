// The alert writer of `eql run` and the shell's `.run` (see alerts.h).
#include "report/alerts.h"

#include <algorithm>
#include <string>
#include <vector>

#include "report/json_output.h"
#include "eql/event.h"
#include "eql/source.h"
#include "eql/value.h"

namespace eql::report {

namespace {

// MITRE ids in rule order, each once: tactics, and techniques with their subtechniques.
void mitre_ids(const Rule& rule, std::vector<std::string>& tactics, std::vector<std::string>& techniques) {
  auto add = [](std::vector<std::string>& list, const std::string& id) {
    if (!id.empty() && std::find(list.begin(), list.end(), id) == list.end()) list.push_back(id);
  };
  for (const MitreThreat& threat : rule.threat) {
    add(tactics, threat.tactic_id);
    for (const MitreTechnique& technique : threat.techniques) {
      add(techniques, technique.id);
      for (const MitreSubtechnique& sub : technique.subtechniques) add(techniques, sub.id);
    }
  }
}

// The (last) matched event: the alert's time is its time as the rule orders it.
const Event* last_event(const Alert& alert) {
  const Event* last = nullptr;
  for (const EventRef& event : alert.events) {
    if (event) last = event.get();
  }
  return last;
}

std::string alert_time(const Alert& alert) {
  const Event* last = last_event(alert);
  return last && last->timestamp ? format_date(*last->timestamp, false) : std::string();
}

std::string short_text(std::string text, std::size_t limit) {
  for (char& c : text) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  }
  if (count_characters(text) <= limit) return text;
  std::size_t cut = 0;
  for (std::uint32_t chars = 0; cut < text.size() && chars < limit - 1; ++cut) {
    if ((static_cast<unsigned char>(text[cut]) & 0xC0) != 0x80) ++chars;
  }
  while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) ++cut;
  return text.substr(0, cut) + "…";
}

// What the table shows of an event, in this order (the first of them it has).
constexpr const char* kSummaryFields[] = {"event.category", "host.name",      "user.name",
                                          "process.name",   "process.command_line", "file.path",
                                          "destination.ip", "registry.path",  "dns.question.name"};

std::string event_summary(const Event& event) {
  std::string out;
  for (const char* field : kSummaryFields) {
    Value value = event.first(field);
    if (value.is_null()) continue;
    if (!out.empty()) out += "  ";
    out += std::string(field) + "=" + short_text(to_display_string(value), 60);
  }
  return out.empty() ? short_text(event.json(), 120) : out;
}

std::string table_entry(const Alert& alert, const Rule& rule, bool color) {
  const char* paint = "";
  switch (severity_rank(rule.severity)) {
    case 4: paint = "\x1b[1;31m"; break;
    case 3: paint = "\x1b[31m"; break;
    case 2: paint = "\x1b[33m"; break;
    default: paint = "\x1b[36m"; break;
  }
  std::string severity = rule.severity.empty() ? "-" : rule.severity;
  severity.resize(std::max<std::size_t>(severity.size(), 8), ' ');
  std::string stamp = alert_time(alert);
  std::string out = color ? std::string(paint) + severity + "\x1b[0m" : severity;
  out += "  " + (stamp.empty() ? "-" : stamp) + "  " + rule.name + "  (" +
         (rule.rule_id.empty() ? rule.file : rule.rule_id) + ")\n";
  if (alert.join) {
    std::string keys;
    for (const JoinValue& key : alert.join_keys) keys += (keys.empty() ? "" : ", ") + key.display();
    if (!keys.empty()) out += "          join keys: " + keys + "\n";
  }
  for (std::size_t i = 0; i < alert.events.size(); ++i) {
    const EventRef& event = alert.events[i];
    out += "          ";
    if (alert.join) out += "[" + std::to_string(i + 1) + "] ";
    out += event ? event_summary(*event) : std::string("(missing event: none occurred)");
    out += "\n";
  }
  return out;
}

// RFC 4180: a cell with a comma, quote or line end is quoted, its quotes doubled.
std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : std::string(separator)) + item;
  return out;
}

constexpr const char* kCsvHeader =
    "alert_id,rule_id,rule_identity,rule_name,severity,risk_score,building_block,tactics,techniques,rule_file,"
    "timestamp,join_keys,events\n";

std::string csv_line(const Alert& alert, const Rule& rule) {
  std::vector<std::string> tactics, techniques, keys;
  mitre_ids(rule, tactics, techniques);
  for (const JoinValue& key : alert.join_keys) keys.push_back(key.display());
  std::string events = "[";
  for (std::size_t i = 0; i < alert.events.size(); ++i) {
    if (i) events += ',';
    events += alert.events[i] ? alert.events[i]->json() : "null";
  }
  events += ']';
  std::vector<std::string> cells{alert.id,
                                 rule.rule_id,
                                 derived_rule_identity(rule),
                                 rule.name,
                                 rule.severity,
                                 rule.risk_score ? std::to_string(*rule.risk_score) : "",
                                 is_building_block(rule) ? "true" : "false",
                                 joined(tactics, " "),
                                 joined(techniques, " "),
                                 rule.file,
                                 alert_time(alert),
                                 joined(keys, " "),
                                 events};
  std::string line;
  for (const std::string& cell : cells) line += (line.empty() ? "" : ",") + csv_cell(cell);
  return line + "\n";
}

// A behavior rule's own metadata, as Elastic Defend would act on it: the rule's version,
// the systems and endpoint versions it is for, and what the endpoint is to do on a match.
void append_endpoint_metadata(std::string& out, const Rule& rule) {
  out += ",\"endpoint\":{\"version\":";
  append_json_string(out, rule.rule_version);
  out += ",\"os_list\":";
  append_json_strings(out, rule.os_list);
  out += ",\"min_endpoint_version\":";
  append_json_string(out, rule.min_endpoint_version);
  out += ",\"actions\":[";
  for (std::size_t i = 0; i < rule.actions.size(); ++i) {
    const EndpointAction& action = rule.actions[i];
    out += i ? ",{\"action\":" : "{\"action\":";
    append_json_string(out, action.action);
    out += ",\"field\":";
    append_json_string(out, action.field);
    out += ",\"state\":";
    out += action.state ? std::to_string(*action.state) : "null";
    out += action.tree ? ",\"tree\":true" : ",\"tree\":false";
    out += action.optional ? ",\"optional\":true}" : ",\"optional\":false}";
  }
  out += "]}";
}

}  // namespace

bool alert_format_named(std::string_view name, AlertFormat& format) {
  if (name == "ndjson") format = AlertFormat::Ndjson;
  else if (name == "json") format = AlertFormat::Json;
  else if (name == "csv") format = AlertFormat::Csv;
  else if (name == "table") format = AlertFormat::Table;
  else return false;
  return true;
}

int severity_rank(std::string_view severity) {
  std::string lower;
  for (char c : severity) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "low") return 1;
  if (lower == "medium") return 2;
  if (lower == "high") return 3;
  if (lower == "critical") return 4;
  return 0;
}

bool is_building_block(const Rule& rule) { return !rule.building_block_type.empty(); }

std::string alert_object(const Alert& alert, const Rule& rule) {
  std::string out = "{\"alert_id\":";
  append_json_string(out, alert.id);
  out += ",\"rule_id\":";
  append_json_string(out, rule.rule_id);
  if (rule.rule_id.empty()) {
    out += ",\"rule_identity\":";
    append_json_string(out, derived_rule_identity(rule));
  }
  out += ",\"rule_name\":";
  append_json_string(out, rule.name);
  out += ",\"severity\":";
  append_json_string(out, rule.severity);
  out += ",\"risk_score\":";
  out += rule.risk_score ? std::to_string(*rule.risk_score) : "null";
  if (is_building_block(rule)) out += ",\"building_block\":true";
  std::vector<std::string> tactics, techniques;
  mitre_ids(rule, tactics, techniques);
  out += ",\"tactics\":";
  append_json_strings(out, tactics);
  out += ",\"techniques\":";
  append_json_strings(out, techniques);
  if (rule.dialect == Dialect::Endpoint) append_endpoint_metadata(out, rule);
  out += ",\"rule_file\":";
  append_json_string(out, rule.file);
  out += ",\"timestamp\":";
  std::string stamp = alert_time(alert);
  if (stamp.empty()) out += "null";
  else append_json_string(out, stamp);
  if (!alert.join) {
    out += ",\"event\":";
    out += alert.events.front()->json();
  } else {
    out += ",\"join_keys\":[";
    for (std::size_t i = 0; i < alert.join_keys.size(); ++i) {
      if (i) out += ',';
      append_json_string(out, alert.join_keys[i].display());
    }
    out += "],\"events\":[";
    for (std::size_t i = 0; i < alert.events.size(); ++i) {
      if (i) out += ',';
      out += alert.events[i] ? alert.events[i]->json() : "null";
    }
    out += ']';
  }
  out += '}';
  return out;
}

std::vector<std::string> AlertWriter::fields_read() const {
  if (format_ != AlertFormat::Table) return {};
  return {std::begin(kSummaryFields), std::end(kSummaryFields)};
}

std::string AlertWriter::format(const Alert& alert, const Rule& rule) const {
  switch (format_) {
    case AlertFormat::Ndjson: return alert_object(alert, rule) + "\n";
    case AlertFormat::Json: return alert_object(alert, rule);
    case AlertFormat::Csv: return csv_line(alert, rule);
    case AlertFormat::Table: return table_entry(alert, rule, color_);
  }
  return {};
}

void AlertWriter::begin() {
  if (format_ == AlertFormat::Csv) write_(kCsvHeader);
  if (format_ == AlertFormat::Json) write_("[");
}

void AlertWriter::add(const std::string& formatted) {
  if (format_ == AlertFormat::Json) write_(written_ ? ",\n" : "\n");
  write_(formatted);
  ++written_;
}

void AlertWriter::finish() {
  if (format_ == AlertFormat::Json) write_(written_ ? "\n]\n" : "]\n");
}

}  // namespace eql::report
