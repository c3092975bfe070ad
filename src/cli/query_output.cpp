#include "cli/query_output.h"

#include <algorithm>
#include <cstdio>

#include "eql/source.h"
#include "shell/table.h"

namespace eql::cli {

namespace {

// A table cell of `eql query`: the shell's cell text, cut at 60 characters.
std::string cell_text(const Event& event, const std::string& path) {
  constexpr std::size_t kMaxCell = 60;
  return shell::fit_text(shell::cell_text(event, path), kMaxCell);
}

void print_csv(const std::vector<EventRef>& events, const std::vector<std::string>& columns) {
  std::printf("%s\n", shell::csv_line(columns).c_str());
  std::vector<std::string> cells;
  for (const auto& event : events) {
    cells.clear();
    for (const auto& column : columns) cells.push_back(shell::full_text(*event, column));
    std::printf("%s\n", shell::csv_line(cells).c_str());
  }
}

void print_table(const std::vector<EventRef>& events, const std::vector<std::string>& columns) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> widths;
  for (const auto& column : columns) widths.push_back(count_characters(column));
  for (const auto& event : events) {
    std::vector<std::string> row;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      row.push_back(cell_text(*event, columns[c]));
      widths[c] = std::max<std::size_t>(widths[c], count_characters(row.back()));
    }
    rows.push_back(std::move(row));
  }
  auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      line += cells[c];
      if (c + 1 < cells.size()) line += std::string(widths[c] - count_characters(cells[c]) + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  };
  print_row(columns);
  std::vector<std::string> rule;
  for (auto width : widths) rule.push_back(std::string(width, '-'));
  print_row(rule);
  for (const auto& row : rows) print_row(row);
}

// The join keys as a JSON array of their display strings.
std::string keys_json(const CompositeKey& keys) {
  std::string text = "[";
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i) text += ", ";
    text += "\"";
    for (char c : keys[i].display()) {
      if (c == '"' || c == '\\') text += '\\';
      text += c;
    }
    text += "\"";
  }
  return text + "]";
}

}  // namespace

void print_events(const std::vector<EventRef>& shown, QueryFormat format, const std::vector<std::string>& columns) {
  switch (format) {
    case QueryFormat::Ndjson:
      for (const auto& event : shown) std::printf("%s\n", event->json().c_str());
      break;
    case QueryFormat::Json:
      std::printf("[");
      for (std::size_t i = 0; i < shown.size(); ++i) std::printf("%s\n  %s", i ? "," : "", shown[i]->json().c_str());
      std::printf("%s]\n", shown.empty() ? "" : "\n");
      break;
    case QueryFormat::Table:
      print_table(shown, columns);
      break;
    case QueryFormat::Csv:
      print_csv(shown, columns);
      break;
  }
  std::fflush(stdout);
}

MatchWriter::MatchWriter(QueryFormat format, std::string timestamp_field, std::string category_field)
    : format_(format), timestamp_field_(std::move(timestamp_field)), category_field_(std::move(category_field)) {
  if (format_ == QueryFormat::Csv) {
    // One line per event: the match's number, its join keys, the event's stage.
    std::printf("%s\n",
                shell::csv_line({"match", "join_keys", "stage", timestamp_field_, category_field_, "event"}).c_str());
  }
}

void MatchWriter::write(const JoinResult& match) {
  std::string keys = keys_json(match.keys);
  switch (format_) {
    case QueryFormat::Ndjson:
    case QueryFormat::Json: {
      std::string line = "{\"join_keys\": " + keys + ", \"events\": [";
      for (std::size_t i = 0; i < match.events.size(); ++i) {
        if (i) line += ", ";
        line += match.events[i] ? match.events[i]->json() : "null";
      }
      line += "]}";
      if (format_ == QueryFormat::Json) {
        std::printf("%s\n  %s", printed_ ? "," : "[", line.c_str());
      } else {
        std::printf("%s\n", line.c_str());
      }
      break;
    }
    case QueryFormat::Csv:
      for (std::size_t i = 0; i < match.events.size(); ++i) {
        const EventRef& event = match.events[i];
        std::vector<std::string> cells{std::to_string(printed_ + 1), keys, std::to_string(i + 1)};
        if (event) {
          cells.push_back(event->timestamp ? format_date(*event->timestamp, false) : "");
          cells.push_back(shell::full_text(*event, category_field_));
          cells.push_back(event->json());
        }
        std::printf("%s\n", shell::csv_line(cells).c_str());
      }
      break;
    case QueryFormat::Table: {
      std::printf("%s#%llu  join keys %s\n", printed_ ? "\n" : "", static_cast<unsigned long long>(printed_ + 1),
                  keys.c_str());
      for (std::size_t i = 0; i < match.events.size(); ++i) {
        const EventRef& event = match.events[i];
        if (!event) {
          std::printf("  [%zu] (missing event: none occurred)\n", i + 1);
          continue;
        }
        std::string stamp = event->timestamp ? format_date(*event->timestamp, false) : "-";
        std::string category = to_display_string(event->first(category_field_));
        std::printf("  [%zu] %s  %s  %s\n", i + 1, stamp.c_str(), category.c_str(),
                    event->json().substr(0, 160).c_str());
      }
      break;
    }
  }
  ++printed_;
}

void MatchWriter::close() {
  if (format_ == QueryFormat::Json) std::printf("%s]\n", printed_ ? "\n" : "[");
}

void report_input_problem(const InputProblem& problem) {
  std::fprintf(stderr, "%s%s\n", problem.line > 0 ? "" : "eql query: ", problem.to_string().c_str());
}

}  // namespace eql::cli
