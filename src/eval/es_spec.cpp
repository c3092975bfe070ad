// Reading Elasticsearch's EQL spec files (see es_spec.h).
#define TOML_HEADER_ONLY 0
#define TOML_SHARED_LIB 1
#include "eval/es_spec.h"

#include <cctype>
#include <cstring>
#include <sstream>

#include <toml++/toml.h>

namespace eql::conformance {

namespace {

std::vector<std::int64_t> int_array(const toml::array& array) {
  std::vector<std::int64_t> out;
  for (const auto& element : array) {
    if (auto value = element.value<std::int64_t>()) out.push_back(*value);
  }
  return out;
}

Spec read_spec(const toml::table& table, std::size_t index) {
  Spec spec;
  spec.line = table.source().begin.line;
  spec.name = table["name"].value_or(std::string("query #") + std::to_string(index + 1));
  spec.query = table["query"].value_or(std::string());
  if (const toml::array* ids = table["expected_event_ids"].as_array()) {
    bool nested = !ids->empty() && (*ids)[0].is_array();
    if (nested) {
      for (const auto& alternative : *ids) {
        if (const auto* inner = alternative.as_array()) spec.expected.push_back(int_array(*inner));
      }
    } else {
      spec.expected.push_back(int_array(*ids));
    }
  }
  if (const toml::array* keys = table["join_keys"].as_array()) {
    for (const auto& key : *keys) {
      if (auto s = key.value<std::string>()) spec.join_keys.push_back(*s);
      else if (auto i = key.value<std::int64_t>()) spec.join_keys.push_back(std::to_string(*i));
    }
  }
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
    for (std::size_t i = 0; i < queries->size(); ++i) {
      const toml::table* table = (*queries)[i].as_table();
      if (!table || !(*table)["query"].is_string()) {
        error = name + ": entry " + std::to_string(i + 1) + " of [[queries]] has no query";
        return std::nullopt;
      }
      file.specs.push_back(read_spec(*table, i));
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

}  // namespace eql::conformance
