// The hunting pipes (eql/pipes.h). Each pipe is a function from rows to rows; the rows an
// aggregating pipe makes are built as JSON and read back as events, so every later pipe,
// the table printer and `.output` treat them like any event.
#include "eql/pipes.h"

#include <algorithm>
#include <cstdio>
#include <unordered_map>

namespace eql {

bool is_extension_pipe(ast::PipeKind kind) {
  return kind != ast::PipeKind::Head && kind != ast::PipeKind::Tail;
}

bool has_extension_pipes(const ast::Query& query) {
  return std::any_of(query.pipes.begin(), query.pipes.end(),
                     [](const ast::Pipe& p) { return is_extension_pipe(p.kind); });
}

struct PipeProgram::Stage {
  ast::PipeKind kind = ast::PipeKind::Head;
  std::size_t count = 0;            ///< head, tail
  std::vector<std::string> fields;  ///< count, unique, unique_count, sort
  std::vector<bool> descending;     ///< sort
  std::optional<FilterProgram> condition;  ///< filter
};

PipeProgram::PipeProgram() = default;
PipeProgram::PipeProgram(const PipeProgram&) = default;
PipeProgram& PipeProgram::operator=(const PipeProgram&) = default;
PipeProgram::PipeProgram(PipeProgram&&) noexcept = default;
PipeProgram& PipeProgram::operator=(PipeProgram&&) noexcept = default;
PipeProgram::~PipeProgram() = default;

namespace {

constexpr const char* kCountField = "count";
constexpr const char* kPercentField = "percent";

/// The values of a field as one JSON text: `"a"`, `[1, 2]`, `null` when absent. Two rows
/// are in the same group exactly when these texts are equal.
std::string values_json(const Event& row, const std::string& field) {
  auto values = row.values(field);
  std::string out;
  if (values.empty()) return "null";
  if (values.size() == 1) {
    append_json(out, values[0]);
    return out;
  }
  out += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    append_json(out, values[i]);
  }
  out += ']';
  return out;
}

std::string group_key(const Event& row, const std::vector<std::string>& fields) {
  std::string key;
  for (const auto& field : fields) {
    key += values_json(row, field);
    key += '\x1f';  // a byte JSON text never holds unescaped
  }
  return key;
}

std::string json_number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", value);
  std::string text = buffer;
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

EventRef row_from_json(const std::string& json, const Event* origin) {
  std::string error;
  std::optional<Event> row = parse_event(json, error);
  if (!row) row = Event();  // cannot happen: the JSON is built here from valid parts
  if (origin) {
    row->timestamp = origin->timestamp;
    row->ordinal = origin->ordinal;
  }
  // Copied, not moved: a short row ({"count":7}) keeps its text in the string's inline
  // buffer, which Event's move does not re-point; its copy does.
  return std::make_shared<const Event>(static_cast<const Event&>(*row));
}

/// `event` with `"count": n, "percent": p` appended to its JSON object.
EventRef with_count(const Event& event, std::size_t count, std::size_t total) {
  std::string json = event.json();
  while (!json.empty() && json.back() != '}') json.pop_back();
  if (json.empty()) json = "{}";
  json.pop_back();
  bool empty_object = json.find_first_not_of(" \t\r\n") == json.size() - 1;
  std::string extra = std::string("\"") + kCountField + "\":" + std::to_string(count) + ",\"" +
                      kPercentField + "\":" +
                      json_number(100.0 * static_cast<double>(count) / static_cast<double>(total));
  json += (empty_object ? "" : ",") + extra + "}";
  return row_from_json(json, &event);
}

/// The order of `sort`: numbers by value before text, text by bytes, rows without the
/// field last whichever the direction.
int compare_sort_values(const Event& a, const Event& b, const std::string& field) {
  Value x = a.first(field), y = b.first(field);
  if (x.is_null() || y.is_null()) return x.is_null() == y.is_null() ? 0 : (x.is_null() ? 2 : -2);
  auto rank = [](const Value& v) { return v.is_number() ? 0 : v.kind == ValueKind::Bool ? 1 : 2; };
  if (rank(x) != rank(y)) return rank(x) < rank(y) ? -1 : 1;
  if (x.kind == ValueKind::Int && y.kind == ValueKind::Int) return x.integer < y.integer ? -1 : x.integer > y.integer;
  if (x.is_number()) return x.as_double() < y.as_double() ? -1 : x.as_double() > y.as_double();
  if (x.kind == ValueKind::Bool) return x.boolean == y.boolean ? 0 : (x.boolean ? 1 : -1);
  return x.string < y.string ? -1 : x.string > y.string;
}

std::vector<EventRef> run_count(const std::vector<EventRef>& rows, const std::vector<std::string>& fields) {
  if (fields.empty()) {
    return {row_from_json(std::string("{\"") + kCountField + "\":" + std::to_string(rows.size()) + "}", nullptr)};
  }
  struct Group {
    std::string json;  ///< the key fields' part of the row
    std::size_t count = 0;
    std::size_t first = 0;
  };
  std::unordered_map<std::string, std::size_t> index;
  std::vector<Group> groups;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string key = group_key(*rows[r], fields);
    auto [it, inserted] = index.emplace(key, groups.size());
    if (inserted) {
      std::string json;
      for (const auto& field : fields) {
        std::string name;
        append_json(name, Value::of_string(field));
        json += name + ":" + values_json(*rows[r], field) + ",";
      }
      groups.push_back({std::move(json), 0, r});
    }
    ++groups[it->second].count;
  }
  // Rarest first: the long tail is where a hunt looks; `| sort count desc` turns it round.
  std::stable_sort(groups.begin(), groups.end(),
                   [](const Group& a, const Group& b) { return a.count < b.count; });
  std::vector<EventRef> out;
  out.reserve(groups.size());
  for (const Group& g : groups) {
    std::string json = "{" + g.json + "\"" + kCountField + "\":" + std::to_string(g.count) + ",\"" +
                       kPercentField + "\":" +
                       json_number(100.0 * static_cast<double>(g.count) / static_cast<double>(rows.size())) + "}";
    out.push_back(row_from_json(json, nullptr));
  }
  return out;
}

}  // namespace

PipeCompileResult PipeProgram::compile(const std::vector<ast::Pipe>& pipes, const PipeOptions& options) {
  PipeCompileResult result;
  PipeProgram program;
  for (const ast::Pipe& pipe : pipes) {
    Stage stage;
    stage.kind = pipe.kind;
    const std::string name = ast::pipe_name(pipe.kind);
    switch (pipe.kind) {
      case ast::PipeKind::Head:
      case ast::PipeKind::Tail: {
        const auto* n = pipe.args.empty() ? nullptr : pipe.args[0]->as<ast::IntLiteral>();
        if (!n || n->value < 0) {
          result.diagnostics.push_back({Severity::Error, "pipe.argument",
                                        "`" + name + "` takes one whole number", pipe.span, ""});
          continue;
        }
        stage.count = static_cast<std::size_t>(n->value);
        break;
      }
      case ast::PipeKind::Filter: {
        if (pipe.args.size() != 1) {
          result.diagnostics.push_back({Severity::Error, "pipe.argument", "`filter` takes one condition", pipe.span, ""});
          continue;
        }
        FilterOptions filter_options;
        filter_options.field_types = options.field_types;
        filter_options.category_field = options.category_field;
        FilterCompileResult compiled = compile_condition(*pipe.args[0], filter_options);
        for (auto& d : compiled.diagnostics) result.diagnostics.push_back(std::move(d));
        if (!compiled.program) continue;
        stage.condition = std::move(compiled.program);
        break;
      }
      case ast::PipeKind::Count:
      case ast::PipeKind::Unique:
      case ast::PipeKind::UniqueCount:
      case ast::PipeKind::Sort:
        for (std::size_t i = 0; i < pipe.args.size(); ++i) {
          const auto* field = pipe.args[i]->as<ast::Field>();
          if (!field) {
            result.diagnostics.push_back({Severity::Error, "pipe.field-expected",
                                          "`" + name + "` takes field names, not expressions",
                                          pipe.args[i]->span,
                                          "write the field itself, e.g. | " + name + " process.name"});
            continue;
          }
          stage.fields.push_back(field->name);
          stage.descending.push_back(i < pipe.descending.size() && pipe.descending[i]);
        }
        if (pipe.kind != ast::PipeKind::Count && pipe.args.empty()) {
          result.diagnostics.push_back({Severity::Error, "pipe.argument",
                                        "`" + name + "` needs at least one field", pipe.span, ""});
        }
        if (pipe.kind == ast::PipeKind::Count) {
          program.columns_ = stage.fields;
          program.columns_.push_back(kCountField);
          if (!stage.fields.empty()) program.columns_.push_back(kPercentField);
        }
        if (pipe.kind == ast::PipeKind::Count || pipe.kind == ast::PipeKind::UniqueCount) {
          for (const char* created : {kCountField, kPercentField}) {
            if (std::find(program.created_.begin(), program.created_.end(), created) == program.created_.end()) {
              program.created_.push_back(created);
            }
          }
        }
        break;
    }
    program.stages_.push_back(std::move(stage));
  }
  if (!has_errors(result.diagnostics)) result.program = std::move(program);
  return result;
}

std::vector<EventRef> PipeProgram::apply(std::vector<EventRef> rows, EvalContext& context) const {
  for (const Stage& stage : stages_) {
    switch (stage.kind) {
      case ast::PipeKind::Head:
        if (rows.size() > stage.count) rows.resize(stage.count);
        break;
      case ast::PipeKind::Tail:
        if (rows.size() > stage.count) {
          rows.erase(rows.begin(), rows.end() - static_cast<std::ptrdiff_t>(stage.count));
        }
        break;
      case ast::PipeKind::Filter: {
        std::vector<EventRef> kept;
        for (auto& row : rows) {
          if (stage.condition->matches(*row, context)) kept.push_back(std::move(row));
        }
        rows = std::move(kept);
        break;
      }
      case ast::PipeKind::Count:
        rows = run_count(rows, stage.fields);
        break;
      case ast::PipeKind::Unique:
      case ast::PipeKind::UniqueCount: {
        std::unordered_map<std::string, std::size_t> index;
        std::vector<std::pair<EventRef, std::size_t>> kept;
        for (auto& row : rows) {
          auto [it, inserted] = index.emplace(group_key(*row, stage.fields), kept.size());
          if (inserted) kept.emplace_back(std::move(row), 0);
          ++kept[it->second].second;
        }
        std::size_t total = rows.size();
        rows.clear();
        for (auto& [row, count] : kept) {
          rows.push_back(stage.kind == ast::PipeKind::UniqueCount ? with_count(*row, count, total) : std::move(row));
        }
        break;
      }
      case ast::PipeKind::Sort:
        std::stable_sort(rows.begin(), rows.end(), [&](const EventRef& a, const EventRef& b) {
          for (std::size_t i = 0; i < stage.fields.size(); ++i) {
            int order = compare_sort_values(*a, *b, stage.fields[i]);
            if (order == 0) continue;
            if (order == 2 || order == -2) return order < 0;  // absent fields last either way
            return stage.descending[i] ? order > 0 : order < 0;
          }
          return false;
        });
        break;
    }
  }
  return rows;
}

void drop_pipe_created_fields(Diagnostics& findings, const ast::Query& query, std::string_view query_text) {
  // Field names created by a pipe, with the offset from which they exist.
  std::vector<std::pair<std::string, std::uint32_t>> created;
  for (const ast::Pipe& pipe : query.pipes) {
    if (pipe.kind == ast::PipeKind::Count || pipe.kind == ast::PipeKind::UniqueCount) {
      created.emplace_back(kCountField, pipe.span.end);
      created.emplace_back(kPercentField, pipe.span.end);
    }
  }
  std::erase_if(findings, [&](const Diagnostic& d) {
    if (d.code != "check.unknown-field" || d.span.end > query_text.size()) return false;
    std::string_view name = query_text.substr(d.span.begin, d.span.end - d.span.begin);
    if (!name.empty() && name.front() == '?') name.remove_prefix(1);
    return std::any_of(created.begin(), created.end(), [&](const auto& c) {
      return c.first == name && d.span.begin >= c.second;
    });
  });
}

Diagnostics pipes_on_joins(const ast::Query& query) {
  Diagnostics problems;
  if (query.event()) return problems;
  for (const ast::Pipe& pipe : query.pipes) {
    if (!is_extension_pipe(pipe.kind)) continue;
    problems.push_back({Severity::Error, "pipes.pipe-on-join",
                        std::string("the pipe `") + ast::pipe_name(pipe.kind) + "` applies to event queries only",
                        pipe.span, "sequences and samples take head and tail"});
  }
  return problems;
}

}  // namespace eql
