// The shell's session: loaded events, the commands, queries and how results are shown.
#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "common/plural.h"
#include "eql/checker.h"
#include "eql/eval.h"
#include "eql/parser.h"
#include "eql/pipes.h"
#include "eql/printer.h"
#include "eql/query.h"
#include "report/alerts.h"
#include "eql/rules.h"
#include "eql/runner.h"
#include "eql/schema.h"
#include "eql/schema_types.h"
#include "eql/sequence.h"
#include "shell/commands.h"
#include "shell/completion.h"
#include "shell/shell.h"
#include "shell/table.h"
#include "shell/why.h"

namespace eql::shell {

namespace {

struct FieldStats {
  std::uint64_t events = 0;
  unsigned kinds = 0;  ///< bit per ValueKind seen
};

/// The last results, kept for `.output`.
struct Results {
  enum class Kind { None, Rows, Joins };
  Kind kind = Kind::None;
  std::vector<EventRef> rows;
  std::vector<JoinResult> joins;
  std::vector<std::string> columns;
  bool alerts = false;  // rows are alerts (.run), not events
};

std::string kinds_text(unsigned kinds) {
  static constexpr const char* names[] = {"null", "boolean", "number", "number", "string"};
  std::vector<std::string> out;
  for (unsigned k = 0; k < 5; ++k) {
    if ((kinds & (1u << k)) && std::find(out.begin(), out.end(), names[k]) == out.end()) out.push_back(names[k]);
  }
  std::string text;
  for (const auto& n : out) text += (text.empty() ? "" : "|") + n;
  return text;
}

std::string keys_text(const CompositeKey& keys) {
  std::string out = "[";
  for (std::size_t i = 0; i < keys.size(); ++i) out += (i ? ", " : "") + keys[i].display();
  return out + "]";
}

std::string keys_json(const CompositeKey& keys) {
  std::string out = "[";
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i) out += ", ";
    std::string display = keys[i].display();
    append_json(out, Value::of_string(display));
  }
  return out + "]";
}

}  // namespace

struct Session::Impl {
  SessionOptions options;
  std::FILE* out;
  std::FILE* err;
  bool quit = false;
  bool json_mode = false;
  std::vector<std::string> columns;  ///< `.table COLUMNS`; empty: chosen per query

  std::vector<EventRef> events;        ///< in (timestamp, tiebreaker, input) order
  std::vector<EventRef> timed_events;  ///< those with a timestamp, in sequence order
  std::map<std::string, FieldStats, std::less<>> fields;
  std::set<std::string, std::less<>> categories;
  std::uint64_t next_ordinal = 0;

  Schema schema = embedded_schema_all(options.user_schemas);
  SchemaFieldTypes field_types{embedded_schema_all(options.user_schemas)};
  std::vector<std::string> schema_fields;  ///< sorted, for completion and `.schema`

  std::vector<Rule> rules;
  Results last;

  Impl(SessionOptions o, std::FILE* o_out, std::FILE* o_err) : options(std::move(o)), out(o_out), err(o_err) {
    std::set<std::string> names;
    for (const auto& table : schema.tables()) {
      for (const auto& [name, info] : table->fields) names.insert(name);
    }
    schema_fields.assign(names.begin(), names.end());
  }

  // ---- output helpers ----
  std::string paint(const std::string& text, const char* code) const {
    return options.color ? std::string("\x1b[") + code + "m" + text + "\x1b[0m" : text;
  }
  void error_line(const std::string& message) const {
    std::fprintf(err, "%s %s\n", paint("error:", "1;31").c_str(), message.c_str());
  }
  void note_line(const std::string& message) const {
    if (!options.quiet) std::fprintf(out, "%s\n", paint(message, "2").c_str());
  }
  void show(const Diagnostic& d, const SourceText& source, const QueryOrigin& origin = {}) const {
    std::fputs(render(d, source, origin, RenderOptions{options.color}).c_str(), err);
  }
  bool cancelled() const { return options.cancelled && options.cancelled(); }

  // ---- events ----
  void add_event(Event&& event) {
    event.ordinal = next_ordinal++;
    for (std::string_view path : event.paths()) {
      auto it = fields.find(path);
      if (it == fields.end()) it = fields.emplace(std::string(path), FieldStats{}).first;
      ++it->second.events;
      for (const Value& v : event.values(path)) it->second.kinds |= 1u << static_cast<unsigned>(v.kind);
    }
    for (const Value& v : event.values(options.category_field)) {
      if (v.kind == ValueKind::String) categories.emplace(v.string);
    }
    // A copy, not a move: Event's move keeps views into a short (inline) storage string
    // that moves with it (events of a few bytes); its copy re-points them.
    events.push_back(std::make_shared<const Event>(static_cast<const Event&>(event)));
  }

  void order_events() {
    auto before = [](const EventRef& a, const EventRef& b) {
      if (a->timestamp.has_value() != b->timestamp.has_value()) return a->timestamp.has_value();
      if (a->timestamp) return sequence_order_before(*a, *b);
      return a->ordinal < b->ordinal;
    };
    std::stable_sort(events.begin(), events.end(), before);
    timed_events.clear();
    for (const EventRef& e : events) {
      if (e->timestamp) timed_events.push_back(e);
    }
  }

  bool load(const std::vector<std::string>& files) {
    bool ok = true;
    for (const std::string& file : files) {
      std::uint64_t before = events.size();
      std::uint64_t problems = 0;
      ReadSummary summary = read_events(
          file, options.read,
          [&](Event&& event) {
            add_event(std::move(event));
            return !cancelled();
          },
          [&](const InputProblem& problem) {
            if (++problems <= 5) std::fprintf(err, "%s\n", problem.to_string().c_str());
          });
      if (summary.io_error) {
        ok = false;
        continue;
      }
      std::string line = "loaded " + with_thousands(events.size() - before) + " " + noun(events.size() - before, "event") + " from " + file;
      if (summary.skipped) line += " (" + with_thousands(summary.skipped) + " malformed " + noun(summary.skipped, "line") + " skipped)";
      note_line(line);
    }
    order_events();
    return ok;
  }

  // ---- showing results ----
  std::string cell(const Event* event, const std::string& column) const {
    if (!event) return "(none)";
    return cell_text(*event, column);
  }

  void print_summary(std::size_t shown, std::size_t total, const char* what_plural, double seconds) const {
    std::string what = what_plural;
    if (total == 1) what.pop_back();  // "1 event", "1 sequence"
    char timing[32];
    std::snprintf(timing, sizeof timing, "%.3f s", seconds);
    if (shown < total) {
      note_line("showing " + with_thousands(shown) + " of " + with_thousands(total) + " " + what +
                " (" + timing + "; .limit N shows more, .output FILE saves all)");
    } else {
      note_line(with_thousands(total) + " " + what + " (" + timing + ")");
    }
  }

  void show_rows(double seconds, const char* what) const {
    std::size_t shown = std::min(last.rows.size(), options.max_rows);
    if (json_mode) {
      for (std::size_t i = 0; i < shown; ++i) std::fprintf(out, "%s\n", last.rows[i]->json().c_str());
    } else if (shown) {
      Table table(last.columns);
      for (std::size_t i = 0; i < shown; ++i) {
        std::vector<std::string> row;
        for (const auto& column : last.columns) row.push_back(cell(last.rows[i].get(), column));
        table.add(std::move(row));
      }
      std::fputs(table.render(options.width, options.color).c_str(), out);
    }
    print_summary(shown, last.rows.size(), what, seconds);
  }

  void show_joins(double seconds, const char* what) const {
    std::size_t shown = std::min(last.joins.size(), options.max_rows);
    if (json_mode) {
      for (std::size_t i = 0; i < shown; ++i) std::fprintf(out, "%s\n", join_json(last.joins[i]).c_str());
    } else if (shown) {
      std::vector<std::string> header{"#", "keys", "stage"};
      header.insert(header.end(), last.columns.begin(), last.columns.end());
      Table table(header);
      for (std::size_t i = 0; i < shown; ++i) {
        const JoinResult& match = last.joins[i];
        for (std::size_t s = 0; s < match.events.size(); ++s) {
          std::vector<std::string> row{s == 0 ? std::to_string(i + 1) : "", s == 0 ? keys_text(match.keys) : "",
                                       std::to_string(s + 1)};
          for (const auto& column : last.columns) row.push_back(cell(match.events[s].get(), column));
          table.add(std::move(row));
        }
      }
      std::fputs(table.render(options.width, options.color).c_str(), out);
    }
    print_summary(shown, last.joins.size(), what, seconds);
  }

  static std::string join_json(const JoinResult& match) {
    std::string line = "{\"join_keys\": " + keys_json(match.keys) + ", \"events\": [";
    for (std::size_t i = 0; i < match.events.size(); ++i) {
      if (i) line += ", ";
      line += match.events[i] ? match.events[i]->json() : "null";
    }
    return line + "]}";
  }

  std::vector<std::string> chosen_columns(std::vector<std::string> automatic) const {
    if (!columns.empty()) return columns;
    std::vector<std::string> unique;
    for (auto& c : automatic) {
      if (!c.empty() && std::find(unique.begin(), unique.end(), c) == unique.end()) unique.push_back(std::move(c));
    }
    return unique;
  }

  // ---- queries ----
  struct Prepared {
    ParseResult parsed;
    bool ok = false;
  };

  /// Parses and type-checks; renders every problem. A checker error becomes a warning (data may
  /// hold fields the schemas lack) unless --check error or it holds for any data.
  Prepared prepare(const std::string& text, const SourceText& source) const {
    Prepared p;
    ParseOptions parse_options;
    parse_options.extension_pipes = true;
    p.parsed = parse_query(text, parse_options);
    for (const Diagnostic& d : p.parsed.diagnostics) show(d, source);
    if (!p.parsed.ok()) return p;
    CheckOptions check_options;
    check_options.category_field = options.category_field;
    check_options.query_text = text;
    Diagnostics findings = options.check == "off" ? Diagnostics{} : check_query(*p.parsed.query, schema, check_options);
    drop_pipe_created_fields(findings, *p.parsed.query, text);
    std::erase_if(findings, [&](const Diagnostic& d) {
      if (d.code != "check.unknown-field" || d.span.end > text.size()) return false;
      std::string_view name = std::string_view(text).substr(d.span.begin, d.span.end - d.span.begin);
      if (!name.empty() && name.front() == '?') name.remove_prefix(1);
      return fields.count(name) > 0;
    });
    p.ok = settle_adhoc_findings(findings, options.check == "error");
    for (const Diagnostic& d : findings) show(d, source);
    return p;
  }

  FilterOptions filter_options() const {
    FilterOptions f;
    f.category_field = options.category_field;
    f.field_types = &field_types;
    return f;
  }

  bool run_query(const std::string& text) {
    SourceText source("<query>", text);
    Prepared prepared = prepare(text, source);
    if (!prepared.ok) return false;
    const ast::Query& query = *prepared.parsed.query;
    auto started = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };
    if (!query.event()) {
      // Sequences and samples: head and tail apply; the hunting pipes work on events only.
      Diagnostics join_pipes = pipes_on_joins(query);
      for (const Diagnostic& d : join_pipes) show(d, source);
      if (!join_pipes.empty()) return false;
    }
    // The loaded events are in order already: the run holds nothing back to sort them.
    Results results;
    QuerySink sink;
    sink.event = [&](const EventRef& row) { results.rows.push_back(row); };
    sink.match = [&](const JoinResult& match) { results.joins.push_back(match); };
    QueryRunOptions run_options;
    run_options.filter = filter_options();
    run_options.order = QueryRunOptions::Order::Given;
    QueryRunCompileResult compiled = QueryRun::compile(query, run_options, std::move(sink));
    for (const Diagnostic& d : compiled.diagnostics) show(d, source);
    if (!compiled.run) return false;
    QueryRun& run = *compiled.run;
    // A sequence orders by time: the events without a timestamp take no part.
    const std::vector<EventRef>& input = run.kind() == QueryRun::Kind::Sequences ? timed_events : events;
    std::size_t seen = 0;
    for (const EventRef& event : input) {
      if ((++seen & 1023) == 0 && cancelled()) return report_cancel(seen);
      run.push(event);
    }
    if (cancelled()) return report_cancel(events.size());
    run.finish();
    if (run.kind() == QueryRun::Kind::Events) {
      results.kind = Results::Kind::Rows;
      results.columns = run.pipe_columns();  // rows a pipe made have their own columns
      if (results.columns.empty()) results.columns = event_columns(query, run.filter_fields());
      last = std::move(results);
      show_rows(elapsed(), run.pipe_columns().empty() ? "events" : "rows");
      return true;
    }
    std::vector<std::string> automatic{options.read.timestamp_field, options.category_field};
    if (const ast::Sequence* sequence = query.sequence()) add_join_columns(automatic, sequence->keys, sequence->terms);
    if (const ast::Sample* sample = query.sample()) add_join_columns(automatic, sample->keys, sample->terms);
    results.kind = Results::Kind::Joins;
    results.columns = chosen_columns(std::move(automatic));
    last = std::move(results);
    show_joins(elapsed(), query.sequence() ? "sequences" : "samples");
    return true;
  }

  // The columns of an event query's table: the timestamp, the category, the fields the
  // filter reads and those its pipes name.
  std::vector<std::string> event_columns(const ast::Query& query, std::vector<std::string> filter_fields) const {
    std::vector<std::string> automatic{options.read.timestamp_field};
    if (!query.event()->any) automatic.push_back(options.category_field);
    for (auto& f : filter_fields) automatic.push_back(std::move(f));
    for (const ast::Pipe& pipe : query.pipes) {
      if (pipe.kind == ast::PipeKind::Filter) continue;
      for (const auto& arg : pipe.args) {
        if (const auto* field = arg->as<ast::Field>()) automatic.push_back(field->name);
      }
      if (pipe.kind == ast::PipeKind::UniqueCount) automatic.push_back("count");
    }
    return chosen_columns(std::move(automatic));
  }

  void add_join_columns(std::vector<std::string>& columns_out, const std::vector<ast::ExprPtr>& keys,
                        const std::vector<ast::Term>& terms) const {
    for (const auto& key : keys) {
      if (const auto* field = key->as<ast::Field>()) columns_out.push_back(field->name);
    }
    for (const ast::Term& term : terms) {
      for (const auto& key : term.keys) {
        if (const auto* field = key->as<ast::Field>()) columns_out.push_back(field->name);
      }
      FilterCompileResult compiled = compile_filter(term.filter, filter_options());
      if (compiled.program) {
        for (auto& f : compiled.program->fields()) columns_out.push_back(f);
      }
    }
  }

  bool report_cancel(std::size_t seen) const {
    error_line("query cancelled after " + with_thousands(seen) + " of " + with_thousands(events.size()) + " events");
    return false;
  }

  // ---- .explain ----
  bool explain(const std::string& text) {
    SourceText source("<query>", text);
    Prepared prepared = prepare(text, source);
    if (!prepared.ok) return false;
    const ast::Query& query = *prepared.parsed.query;
    std::fprintf(out, "%s %s\n", paint("parsed:", "1").c_str(), to_eql(query).c_str());
    std::fprintf(out, "%s   %s\n", paint("tree:", "1").c_str(), dump(query).c_str());
    for (const ast::Pipe& pipe : query.pipes) {
      if (is_extension_pipe(pipe.kind)) {
        std::fprintf(out, "pipe:   %s is an extension of eql (Elasticsearch refuses it)\n", ast::pipe_name(pipe.kind));
      }
    }
    EvalContext context;
    if (const ast::EventFilter* filter = query.event()) {
      FilterCompileResult compiled = compile_filter(*filter, filter_options());
      for (const Diagnostic& d : compiled.diagnostics) show(d, source);
      if (!compiled.program) return false;
      std::size_t matches = 0;
      for (const EventRef& e : events) matches += compiled.program->matches(*e, context);
      std::fprintf(out, "%s %s\n", paint("compiled:", "1").c_str(), compiled.program->describe().c_str());
      std::fprintf(out, "matches %s of %s loaded %s\n", with_thousands(matches).c_str(),
                   with_thousands(events.size()).c_str(), noun(events.size(), "event").c_str());
      return true;
    }
    const std::vector<ast::Term>& terms = query.sequence() ? query.sequence()->terms : query.sample()->terms;
    for (std::size_t i = 0; i < terms.size(); ++i) {
      FilterCompileResult compiled = compile_filter(terms[i].filter, filter_options());
      for (const Diagnostic& d : compiled.diagnostics) show(d, source);
      if (!compiled.program) return false;
      std::size_t matches = 0;
      for (const EventRef& e : events) matches += compiled.program->matches(*e, context);
      std::string term_text = text.substr(terms[i].span.begin, terms[i].span.end - terms[i].span.begin);
      std::fprintf(out, "stage %zu%s: %s %s  %s\n", i + 1, terms[i].missing ? " (missing)" : "",
                   with_thousands(matches).c_str(), matches == 1 ? "event matches" : "events match", term_text.c_str());
    }
    if (!query.sequence()) return true;
    // How far candidates got: the sequence cut after stage k, run over the same events,
    // completes once for every candidate that reached stage k.
    std::size_t stopped_at = 0;
    for (std::size_t k = 2; k <= terms.size(); ++k) {
      ParseOptions parse_options;
      parse_options.extension_pipes = true;
      ParseResult again = parse_query(text, parse_options);
      auto* body = std::get_if<ast::Sequence>(&again.query->body);
      body->terms.resize(k);
      if (k < terms.size()) body->until.reset();
      SequenceOptions sequence_options;
      sequence_options.filter = filter_options();
      auto compiled = SequenceMatcher::compile(*body, sequence_options);
      if (!compiled.matcher) break;
      for (const EventRef& e : timed_events) compiled.matcher->push(e, context);
      compiled.matcher->finish();
      std::size_t reached = compiled.matcher->take_results().size();
      std::fprintf(out, "stages 1-%zu: %s candidate sequence%s reached stage %zu\n", k,
                   with_thousands(reached).c_str(), reached == 1 ? "" : "s", k);
      if (reached == 0 && stopped_at == 0) stopped_at = k;
    }
    if (stopped_at) {
      std::fprintf(out, "candidates stopped before stage %zu\n", stopped_at);
    }
    return true;
  }

  // ---- .fields, .schema ----
  void show_fields(const std::string& prefix) const {
    Table table({"field", "type", "events"});
    std::size_t n = 0;
    for (auto it = fields.lower_bound(prefix); it != fields.end() && it->first.rfind(prefix, 0) == 0; ++it) {
      std::string type = kinds_text(it->second.kinds);
      if (auto found = schema.find(it->first)) type = std::string(mapping_type_name(found->info.type));
      table.add({it->first, type, with_thousands(it->second.events)});
      ++n;
    }
    if (n) std::fputs(table.render(options.width, options.color).c_str(), out);
    note_line(with_thousands(n) + " " + noun(n, "field") + " in " + with_thousands(events.size()) + " " + noun(events.size(), "event") +
              " (type: the schema's where it knows the field, else the JSON types seen)");
  }

  void show_schema(const std::string& prefix) const {
    if (prefix.empty()) {
      std::size_t tables = schema.tables().size();
      std::fprintf(out, "%s tables, %s field names; first the tables that win a conflict:\n",
                   with_thousands(tables).c_str(), with_thousands(schema_fields.size()).c_str());
      for (std::size_t i = 0; i < tables && i < 10; ++i) {
        std::fprintf(out, "  %-40s %s fields\n", schema.tables()[i]->name.c_str(),
                     with_thousands(schema.tables()[i]->fields.size()).c_str());
      }
      note_line(".schema PREFIX lists the fields that start with PREFIX");
      return;
    }
    Table table({"field", "type", "schema"});
    auto it = std::lower_bound(schema_fields.begin(), schema_fields.end(), prefix);
    std::size_t n = 0, shown = 0;
    for (; it != schema_fields.end() && it->rfind(prefix, 0) == 0; ++it, ++n) {
      if (shown >= options.max_rows) continue;
      auto found = schema.find(*it);
      if (!found) continue;
      table.add({*it, std::string(mapping_type_name(found->info.type)), found->table ? found->table->name : ""});
      ++shown;
    }
    if (shown) std::fputs(table.render(options.width, options.color).c_str(), out);
    if (shown < n) note_line("showing " + with_thousands(shown) + " of " + with_thousands(n) + " fields");
    else note_line(with_thousands(n) + " fields");
  }

  // ---- rules ----
  bool load_rules(const std::vector<std::string>& paths) {
    LoadedRules loaded = load_rule_paths(paths);
    for (const auto& e : loaded.io_errors) error_line("cannot read " + e);
    std::size_t added = 0, invalid = 0;
    rules.clear();
    RunnerOptions runner_options;
    runner_options.field_types = &field_types;
    RuleRunner probe(runner_options);
    for (const RuleFile& file : loaded.files) {
      for (const Diagnostic& d : file.diagnostics) show(d, file.source);
      for (const Rule& rule : file.rules) {
        if (!rule.has_query) {
          ++invalid;
          continue;
        }
        Diagnostics problems = probe.add_rule(rule);
        for (const Diagnostic& d : problems) {
          if (d.severity == Severity::Error) show(d, file.source, rule.query_origin);
        }
        if (has_errors(problems)) {
          ++invalid;
          continue;
        }
        rules.push_back(rule);
        ++added;
      }
    }
    std::string line = "loaded " + with_thousands(added) + " " + noun(added, "rule");
    if (invalid) line += " (" + with_thousands(invalid) + " with errors left out)";
    note_line(line + "; .run runs them over the loaded events");
    return loaded.io_errors.empty();
  }

  bool run_rules() {
    if (rules.empty()) {
      error_line("no rules loaded: .rules PATH first");
      return false;
    }
    auto started = std::chrono::steady_clock::now();
    RunnerOptions runner_options;
    runner_options.field_types = &field_types;
    runner_options.ignore_index = true;  // loaded events say nothing reliable about indices
    RuleRunner runner(runner_options);
    for (const Rule& rule : rules) runner.add_rule(rule);
    std::vector<Alert> alerts;
    runner.set_alert_sink([&](Alert&& a) { alerts.push_back(std::move(a)); });
    std::size_t seen = 0;
    for (const EventRef& event : events) {
      if ((++seen & 1023) == 0 && cancelled()) return report_cancel(seen);
      Event copy = *event;
      runner.push(std::move(copy), "");
    }
    runner.finish();
    Results results;
    results.kind = Results::Kind::Rows;
    for (const Alert& alert : alerts) {
      // The alert as `eql run` writes it (one writer: docs/json-format.md, "Alerts").
      const std::string json = report::alert_object(alert, runner.rule(alert.rule));
      std::string problem;
      std::optional<Event> row = parse_event(json, problem);
      if (row) results.rows.push_back(std::make_shared<const Event>(static_cast<const Event&>(*row)));
    }
    results.columns = chosen_columns({"timestamp", "severity", "rule_name", "alert_id"});
    results.alerts = true;
    last = std::move(results);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    show_rows(seconds, "alerts");
    return true;
  }

  // ---- .output ----
  bool write_output(const std::string& path) const {
    if (last.kind == Results::Kind::None) {
      error_line("no results yet: run a query first");
      return false;
    }
    std::FILE* file = std::fopen(path.c_str(), "w");
    if (!file) {
      error_line("cannot write " + path + ": " + std::strerror(errno));
      return false;
    }
    bool csv = path.size() >= 4 && path.compare(path.size() - 4, 4, ".csv") == 0;
    std::size_t count = 0;
    if (last.kind == Results::Kind::Rows) {
      if (csv) std::fprintf(file, "%s\n", csv_line(last.columns).c_str());
      for (const EventRef& row : last.rows) {
        if (csv) {
          std::vector<std::string> cells;
          for (const auto& c : last.columns) cells.push_back(full_text(*row, c));
          std::fprintf(file, "%s\n", csv_line(cells).c_str());
        } else {
          std::fprintf(file, "%s\n", row->json().c_str());
        }
        ++count;
      }
    } else {
      std::vector<std::string> header{"sequence", "join_keys", "stage"};
      header.insert(header.end(), last.columns.begin(), last.columns.end());
      if (csv) std::fprintf(file, "%s\n", csv_line(header).c_str());
      for (std::size_t i = 0; i < last.joins.size(); ++i) {
        const JoinResult& match = last.joins[i];
        if (!csv) {
          std::fprintf(file, "%s\n", join_json(match).c_str());
        } else {
          for (std::size_t s = 0; s < match.events.size(); ++s) {
            std::vector<std::string> cells{std::to_string(i + 1), keys_text(match.keys), std::to_string(s + 1)};
            for (const auto& c : last.columns) cells.push_back(match.events[s] ? full_text(*match.events[s], c) : "");
            std::fprintf(file, "%s\n", csv_line(cells).c_str());
          }
        }
        ++count;
      }
    }
    bool ok = std::fclose(file) == 0;
    if (!ok) {
      error_line("cannot write " + path);
      return false;
    }
    note_line("wrote " + with_thousands(count) + " " + (last.kind == Results::Kind::Rows ? noun(count, "row") : noun(count, "match", "matches")) + " to " +
              path + (csv ? " (CSV)" : " (NDJSON)"));
    return true;
  }

  // ---- commands ----
  bool command(std::string_view input) {
    std::size_t space = input.find_first_of(" \t");
    std::string name(input.substr(0, space));
    std::string rest = space == std::string_view::npos ? "" : std::string(input.substr(space + 1));
    std::vector<std::string> args = split_words(rest);
    if (name == ".help") {
      std::fputs(kHelp, out);
      return true;
    }
    if (name == ".quit" || name == ".exit") {
      quit = true;
      return true;
    }
    if (name == ".load") {
      if (args.empty()) return usage(".load FILE...");
      return load(args);
    }
    if (name == ".clear") {
      events.clear();
      timed_events.clear();
      fields.clear();
      categories.clear();
      last = {};
      note_line("no events loaded");
      return true;
    }
    if (name == ".fields") {
      if (args.size() > 1) return usage(".fields [PREFIX]");
      show_fields(args.empty() ? "" : args[0]);
      return true;
    }
    if (name == ".schema") {
      if (args.size() > 1) return usage(".schema [PREFIX]");
      show_schema(args.empty() ? "" : args[0]);
      return true;
    }
    if (name == ".table") {
      json_mode = false;
      std::vector<std::string> chosen;
      for (const auto& a : args) {
        // `.table a, b` and `.table a b` both work.
        for (const auto& part : split_words(std::string(a.begin(), a.end()))) {
          std::string c = part;
          c.erase(std::remove(c.begin(), c.end(), ','), c.end());
          if (!c.empty()) chosen.push_back(c);
        }
      }
      columns = chosen;
      note_line(columns.empty() ? "table output, columns chosen per query" : "table output: " + rest);
      return true;
    }
    if (name == ".json") {
      json_mode = true;
      note_line("JSON output, one result per line");
      return true;
    }
    if (name == ".limit") {
      if (args.size() != 1 || args[0].empty() || args[0].find_first_not_of("0123456789") != std::string::npos) {
        return usage(".limit N");
      }
      options.max_rows = std::stoull(args[0]);
      note_line("showing at most " + with_thousands(options.max_rows) + " results");
      return true;
    }
    if (name == ".output") {
      if (args.size() != 1) return usage(".output FILE");
      return write_output(args[0]);
    }
    if (name == ".rules") {
      if (args.empty()) return usage(".rules PATH...");
      return load_rules(args);
    }
    if (name == ".run") {
      if (!args.empty()) return usage(".run");
      return run_rules();
    }
    if (name == ".why") {
      std::string text, problem;
      const bool rows = last.kind == Results::Kind::Rows && !last.alerts;
      if (!shell::why(args, {rules, rows ? &last.rows : nullptr, events, &field_types}, text, problem)) {
        error_line(problem);
        return false;
      }
      std::fputs(text.c_str(), out);
      return true;
    }
    if (name == ".explain") {
      if (rest.find_first_not_of(" \t\r\n") == std::string::npos) return usage(".explain QUERY");
      return explain(rest);
    }
    error_line("unknown command " + name + " (.help lists the commands)");
    return false;
  }

  bool usage(const char* text) const {
    error_line(std::string("usage: ") + text);
    return false;
  }

  // ---- completion ----
  Completion complete(std::string_view text) const;
};

Completion Session::Impl::complete(std::string_view text) const {
  std::vector<std::string_view> loaded;
  for (const auto& [name, stats] : fields) loaded.push_back(name);
  std::vector<std::string_view> category_names(categories.begin(), categories.end());
  return complete_input(text, CompletionNames{loaded, schema_fields, category_names});
}

// ---- Session ---------------------------------------------------------------------------

Session::Session(SessionOptions options, std::FILE* out, std::FILE* err)
    : impl_(std::make_unique<Impl>(std::move(options), out, err)) {}
Session::~Session() = default;

bool Session::execute(std::string_view input) {
  std::size_t start = input.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return true;
  std::size_t end = input.find_last_not_of(" \t\r\n") + 1;
  std::string_view trimmed = input.substr(start, end - start);
  bool ok = trimmed.front() == '.' ? impl_->command(trimmed) : impl_->run_query(std::string(trimmed));
  std::fflush(impl_->out);
  std::fflush(impl_->err);
  return ok;
}

bool Session::load(const std::vector<std::string>& files) { return impl_->load(files); }
bool Session::quit_requested() const { return impl_->quit; }
Completion Session::complete(std::string_view before_cursor) const { return impl_->complete(before_cursor); }
SessionOptions& Session::options() { return impl_->options; }
std::size_t Session::event_count() const { return impl_->events.size(); }

}  // namespace eql::shell
