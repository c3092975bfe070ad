// Reading Elasticsearch's EQL spec files (see spec_file.h).
#define TOML_HEADER_ONLY 0
#define TOML_SHARED_LIB 1
#include "conformance/spec_file.h"

#include <cctype>
#include <cstring>
#include <set>
#include <sstream>

#include <toml++/toml.h>

namespace eql::conformance {

namespace {

// Elasticsearch trims the strings it reads from a spec (EqlSpecLoader.getTrimmedString).
std::string trimmed(std::string_view text) {
  const char* space = " \t\r\n";
  std::size_t begin = text.find_first_not_of(space);
  if (begin == std::string_view::npos) return {};
  return std::string(text.substr(begin, text.find_last_not_of(space) + 1 - begin));
}

std::optional<std::vector<std::int64_t>> int_array(const toml::array& array) {
  std::vector<std::int64_t> out;
  for (const auto& element : array) {
    auto value = element.value_exact<std::int64_t>();
    if (!value) return std::nullopt;
    out.push_back(*value);
  }
  return out;
}

// expected_event_ids as Elasticsearch's loader reads it: `[]` (nothing returned), a list of
// ids, or a list of such lists (any one alternative passes); anything else is refused.
bool read_expected(const toml::array& ids, Spec& spec) {
  if (ids.empty()) {
    spec.expected.emplace_back();
    return true;
  }
  if (auto flat = int_array(ids)) {
    spec.expected.push_back(std::move(*flat));
    return true;
  }
  for (const auto& alternative : ids) {
    const toml::array* inner = alternative.as_array();
    std::optional<std::vector<std::int64_t>> list = inner ? int_array(*inner) : std::nullopt;
    if (!list) return false;
    spec.expected.push_back(std::move(*list));
  }
  return true;
}

// One [[queries]] entry, refused as Elasticsearch's loader refuses it: without a name, a
// query or expected_event_ids, or with expected_event_ids of another shape.
std::optional<Spec> read_spec(const toml::table& table, std::string& problem) {
  Spec spec;
  spec.line = table.source().begin.line;
  spec.name = trimmed(table["name"].value_or(std::string_view()));
  spec.query = trimmed(table["query"].value_or(std::string_view()));
  if (spec.name.empty()) problem = "has no name";
  else if (spec.query.empty()) problem = "has no query";
  else if (const toml::array* ids = table["expected_event_ids"].as_array(); !ids) problem = "has no expected_event_ids";
  else if (!read_expected(*ids, spec)) problem = "has expected_event_ids that are neither ids nor lists of ids";
  if (!problem.empty()) return std::nullopt;
  if (const toml::array* keys = table["join_keys"].as_array()) {
    for (const auto& key : *keys) {
      if (auto s = key.value<std::string>()) spec.join_keys.push_back(*s);
      else if (auto i = key.value<std::int64_t>()) spec.join_keys.push_back(std::to_string(*i));
    }
  }
  // Request parameters beside the query, which the harness passes to the search.
  if (auto size = table["size"].value<std::int64_t>()) spec.size = *size;
  if (auto samples = table["max_samples_per_key"].value<std::int64_t>()) spec.max_samples_per_key = *samples;
  return spec;
}

// toml++ is built with exceptions here: parse errors arrive as toml::parse_error.
std::optional<toml::table> parse_toml(const std::string& text, const std::string& name, std::string& error) {
  try {
    return toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    error = name + ":" + std::to_string(e.source().begin.line) + ":" + std::to_string(e.source().begin.column) +
            ": " + std::string(e.description());
    return std::nullopt;
  }
}

}  // namespace

// Elasticsearch's test_extra.toml writes bare `null` inside arrays (join_keys), which
// strict TOML rejects: outside strings and comments, `null` becomes "null".
std::string quote_bare_nulls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  auto starts = [&](const char* token) { return text.compare(i, std::strlen(token), token) == 0; };
  while (i < text.size()) {
    if (starts("'''") || starts("\"\"\"")) {
      std::string delimiter(text.substr(i, 3));
      std::size_t end = text.find(delimiter, i + 3);
      end = end == std::string::npos ? text.size() : end + 3;
      out.append(text, i, end - i);
      i = end;
    } else if (text[i] == '\'' || text[i] == '"') {
      char quote = text[i];
      std::size_t j = i + 1;
      while (j < text.size() && text[j] != quote && text[j] != '\n') {
        if (quote == '"' && text[j] == '\\') ++j;
        ++j;
      }
      out.append(text, i, j + 1 - i);
      i = j + 1;
    } else if (text[i] == '#') {
      std::size_t end = text.find('\n', i);
      end = end == std::string::npos ? text.size() : end;
      out.append(text, i, end - i);
      i = end;
    } else if (starts("null") && (i == 0 || !std::isalnum(static_cast<unsigned char>(text[i - 1]))) &&
               (i + 4 >= text.size() || !std::isalnum(static_cast<unsigned char>(text[i + 4])))) {
      out += "\"null\"";
      i += 4;
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::optional<SpecFile> read_spec_file(const std::string& text, const std::string& name, std::string& error) {
  auto parsed = parse_toml(quote_bare_nulls(text), name, error);
  if (!parsed) return std::nullopt;
  SpecFile file;
  if (const toml::array* queries = (*parsed)["queries"].as_array()) {
    std::set<std::string, std::less<>> names;  // Elasticsearch refuses a name given twice
    for (std::size_t i = 0; i < queries->size(); ++i) {
      const toml::table* table = (*queries)[i].as_table();
      std::string problem = table ? "" : "is not a table";
      std::optional<Spec> spec = table ? read_spec(*table, problem) : std::nullopt;
      if (spec && !names.insert(spec->name).second) problem = "repeats the name \"" + spec->name + "\"";
      if (!problem.empty()) {
        std::string where = table ? ":" + std::to_string(table->source().begin.line) : "";
        error = name + where + ": entry " + std::to_string(i + 1) + " of [[queries]] " + problem;
        return std::nullopt;
      }
      file.specs.push_back(std::move(*spec));
    }
  }
  // The `#[[queries]]` blocks: the commented lines that follow, without their `#`.
  std::istringstream in(text);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind("#[[queries]]", 0) != 0) continue;
    std::string block = "[[queries]]\n";
    std::size_t j = i + 1;
    for (; j < lines.size() && !lines[j].empty() && lines[j][0] == '#' && lines[j].rfind("#[[queries]]", 0) != 0; ++j) {
      block += lines[j].substr(1) + "\n";
    }
    CommentedSpec commented;
    commented.line = static_cast<std::uint32_t>(i + 1);
    std::string ignored;
    if (auto block_table = parse_toml(quote_bare_nulls(block), name, ignored)) {
      if (const toml::array* queries = (*block_table)["queries"].as_array(); queries && !queries->empty()) {
        if (const auto* first = (*queries)[0].as_table()) {
          commented.query = (*first)["query"].value_or(std::string());
          commented.name = (*first)["name"].value_or(std::string());
        }
      }
    }
    file.commented.push_back(std::move(commented));
    i = j - 1;
  }
  return file;
}


std::string blank_json_comments(std::string_view text) {
  std::string out(text);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '"') {  // a string: skip to its closing quote, over escapes
      for (++i; i < out.size() && out[i] != '"'; ++i) {
        if (out[i] == '\\') ++i;
      }
    } else if (out.compare(i, 2, "//") == 0) {
      for (; i < out.size() && out[i] != '\n'; ++i) out[i] = ' ';
    } else if (out.compare(i, 2, "/*") == 0) {
      std::size_t end = out.find("*/", i + 2);
      end = end == std::string::npos ? out.size() : end + 2;
      for (; i < end; ++i) {
        if (out[i] != '\n') out[i] = ' ';
      }
      --i;
    }
  }
  return out;
}

}  // namespace eql::conformance
