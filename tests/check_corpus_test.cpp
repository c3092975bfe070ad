// The checker on Elastic's detection rules: every EQL rule of the corpus checks with 0
// errors against the schema detection-rules would pick for it, and the mutation test: one
// field name altered by a typo, or one literal swapped to the wrong type, gives exactly one
// new error at the altered token. The rule loader lives elsewhere; rules are read with
// toml++ here.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <toml++/toml.h>

#include "eql/checker.h"
#include "eql/parser.h"

using namespace eql;

namespace {

struct CorpusRule {
  std::string path;
  std::string file_text;
  std::string query;
  std::uint32_t query_offset = 0;  ///< byte offset of the query in the file
  std::vector<std::string> index;
  std::vector<std::string> integrations;
  std::string category_field = "event.category";
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::vector<std::string> strings_of(const toml::node* node) {
  std::vector<std::string> out;
  if (!node) return out;
  if (auto text = node->value<std::string>()) {
    out.push_back(*text);  // `integration = "endpoint"` is a single name
  } else if (const auto* array = node->as_array()) {
    for (const auto& item : *array) {
      if (auto item_text = item.value<std::string>()) out.push_back(*item_text);
    }
  }
  return out;
}

const std::vector<CorpusRule>& corpus_rules() {
  static const std::vector<CorpusRule> rules = [] {
    std::vector<CorpusRule> out;
    std::filesystem::path root = std::filesystem::path(EQL_SHARED_DIR) / "corpus" / "detection-rules";
    std::vector<std::filesystem::path> files;
    for (const char* folder : {"rules", "rules_building_block"}) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(root / folder)) {
        if (entry.is_regular_file() && entry.path().extension() == ".toml") files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      std::string text = read_file(file);
      toml::table table;
      try {
        table = toml::parse(text, file.string());
      } catch (const toml::parse_error& error) {
        FAIL_CHECK("cannot read " << file.string() << ": " << error.description());
        continue;
      }
      if (table["rule"]["language"].value_or(std::string()) != "eql") continue;
      CorpusRule rule;
      rule.path = std::filesystem::relative(file, root).string();
      rule.query = table["rule"]["query"].value_or(std::string());
      rule.index = strings_of(table["rule"]["index"].node());
      rule.integrations = strings_of(table["metadata"]["integration"].node());
      rule.category_field = table["rule"]["event_category_override"].value_or(std::string("event.category"));
      // The query is a literal string `'''\n...'''`: its bytes are the file's bytes.
      std::size_t at = text.find(rule.query);
      REQUIRE_MESSAGE(at != std::string::npos, rule.path << ": query not found verbatim in the file");
      rule.query_offset = static_cast<std::uint32_t>(at);
      rule.file_text = std::move(text);
      out.push_back(std::move(rule));
    }
    return out;
  }();
  return rules;
}

struct Checked {
  std::optional<ast::Query> query;
  Schema schema;
  Diagnostics diagnostics;  ///< parser + checker
};

Checked check_rule(const CorpusRule& rule, std::string_view query_text) {
  Checked result;
  ParseResult parsed = parse_query(query_text);
  result.diagnostics = parsed.diagnostics;
  if (!parsed.query) return result;
  SchemaRequest request;
  request.index = rule.index;
  request.integrations = rule.integrations;
  request.datasets = query_datasets(*parsed.query);
  result.schema = select_schema(request);
  CheckOptions options;
  options.category_field = rule.category_field;
  options.query_text = query_text;
  Diagnostics found = check_query(*parsed.query, result.schema, options);
  result.diagnostics.insert(result.diagnostics.end(), found.begin(), found.end());
  result.query = std::move(parsed.query);
  return result;
}

std::string rendered(const CorpusRule& rule, const Diagnostic& diagnostic, std::string_view query_text) {
  if (query_text == rule.query) {
    return render(diagnostic, SourceText(rule.path, rule.file_text), QueryOrigin::shifted(rule.query_offset));
  }
  return render(diagnostic, SourceText(rule.path + " (mutated query)", std::string(query_text)), QueryOrigin());
}

/// Stable across platforms, unlike std::hash: picks which token a mutation alters.
std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 1469598103934665603ull;
  for (char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return hash;
}

// ---- walking the tree ---------------------------------------------------------------------

template <typename Visit>
void walk(const ast::Expr& expr, const Visit& visit) {
  visit(expr);
  std::visit(
      [&](const auto& node) {
        using Node = std::decay_t<decltype(node)>;
        if constexpr (std::is_same_v<Node, ast::Not> || std::is_same_v<Node, ast::Negate>) {
          walk(*node.operand, visit);
        } else if constexpr (std::is_same_v<Node, ast::Logical>) {
          for (const auto& operand : node.operands) walk(*operand, visit);
        } else if constexpr (std::is_same_v<Node, ast::Compare> || std::is_same_v<Node, ast::Arith>) {
          walk(*node.left, visit);
          walk(*node.right, visit);
        } else if constexpr (std::is_same_v<Node, ast::In>) {
          walk(*node.value, visit);
          for (const auto& candidate : node.candidates) walk(*candidate, visit);
        } else if constexpr (std::is_same_v<Node, ast::Match>) {
          walk(*node.value, visit);
        } else if constexpr (std::is_same_v<Node, ast::Call>) {
          for (const auto& arg : node.args) walk(*arg, visit);
        }
      },
      expr.node);
}

template <typename Visit>
void walk_query(const ast::Query& query, const Visit& visit) {
  auto filter = [&](const ast::EventFilter& f) {
    if (f.condition) walk(*f.condition, visit);
  };
  auto terms = [&](const std::vector<ast::ExprPtr>& keys, const std::vector<ast::Term>& list, const ast::Term* until) {
    for (const auto& key : keys) walk(*key, visit);
    for (const auto& term : list) {
      filter(term.filter);
      for (const auto& key : term.keys) walk(*key, visit);
    }
    if (until) {
      filter(until->filter);
      for (const auto& key : until->keys) walk(*key, visit);
    }
  };
  if (const auto* event = query.event()) filter(*event);
  if (const auto* sequence = query.sequence()) terms(sequence->keys, sequence->terms, sequence->until ? &*sequence->until : nullptr);
  if (const auto* sample = query.sample()) terms(sample->keys, sample->terms, nullptr);
}

std::string replace_span(std::string_view text, Span span, std::string_view replacement) {
  return std::string(text.substr(0, span.begin)) + std::string(replacement) + std::string(text.substr(span.end));
}

/// A typo in the last segment of a field name that no schema table knows: two adjacent
/// different letters swapped, else one letter doubled.
std::optional<std::string> typo_of(const std::string& name, const Schema& schema, std::uint64_t seed) {
  std::size_t leaf = name.rfind('.') == std::string::npos ? 0 : name.rfind('.') + 1;
  std::vector<std::string> candidates;
  for (std::size_t i = leaf; i + 1 < name.size(); ++i) {
    if (name[i] != name[i + 1]) {
      std::string swapped = name;
      std::swap(swapped[i], swapped[i + 1]);
      candidates.push_back(swapped);
    }
  }
  for (std::size_t i = leaf; i < name.size(); ++i) candidates.push_back(name.substr(0, i + 1) + name.substr(i));
  if (candidates.empty()) return std::nullopt;
  std::rotate(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(seed % candidates.size()),
              candidates.end());
  for (const auto& candidate : candidates) {
    if (!schema.find(candidate)) return candidate;
  }
  return std::nullopt;
}

bool is_plain_field_token(std::string_view text, Span span, const std::string& name) {
  return text.substr(span.begin, span.end - span.begin) == name;
}

std::vector<const Diagnostic*> errors_of(const Diagnostics& diagnostics) {
  std::vector<const Diagnostic*> out;
  for (const auto& d : diagnostics) {
    if (d.severity == Severity::Error) out.push_back(&d);
  }
  return out;
}

}  // namespace

TEST_CASE("corpus: every EQL detection rule checks with 0 errors") {
  const auto& rules = corpus_rules();
  CHECK(rules.size() == 1024);
  std::size_t errors = 0, warnings = 0, notes = 0, schema_notes = 0, rules_with_warnings = 0;
  std::map<std::string, std::size_t> by_code;
  std::size_t shown = 0;
  for (const auto& rule : rules) {
    Checked checked = check_rule(rule, rule.query);
    CHECK_MESSAGE(checked.query.has_value(), rule.path << " does not parse");
    schema_notes += checked.schema.notes.size();
    for (const auto& note : checked.schema.notes) {
      std::string package = note.message.substr(note.message.find('`') + 1);
      ++by_code["note " + note.code + " " + package.substr(0, package.find('`'))];
    }
    bool warned = false;
    for (const auto& diagnostic : checked.diagnostics) {
      ++by_code[std::string(severity_name(diagnostic.severity)) + " " + diagnostic.code];
      if (diagnostic.severity == Severity::Error) {
        ++errors;
        if (shown++ < 40) MESSAGE(rendered(rule, diagnostic, rule.query));
      } else if (diagnostic.severity == Severity::Warning) {
        ++warnings;
        warned = true;
        if (std::getenv("EQL_SHOW_WARNINGS")) MESSAGE(rendered(rule, diagnostic, rule.query));
      } else {
        ++notes;
      }
    }
    rules_with_warnings += warned ? 1 : 0;
  }
  std::ostringstream summary;
  summary << rules.size() << " EQL rules: " << errors << " errors, " << warnings << " warnings (in "
          << rules_with_warnings << " rules), " << notes << " checker notes, " << schema_notes
          << " schema-selection notes";
  for (const auto& [code, count] : by_code) summary << "\n  " << code << ": " << count;
  MESSAGE(summary.str());
  CHECK(errors == 0);
}

TEST_CASE("mutation (a): a typo in one field name gives exactly one new error at that token") {
  const auto& rules = corpus_rules();
  std::size_t mutated = 0, detected = 0, shown = 0, without_field = 0;
  for (const auto& rule : rules) {
    Checked original = check_rule(rule, rule.query);
    if (!original.query || has_errors(original.diagnostics)) continue;  // the corpus test reports these
    // Fields whose typo the schema can reveal: not `?optional`, written plainly, and not
    // below a flattened field (auditd.data.*), whose keys are free-form.
    std::uint64_t seed = fnv1a(rule.path);
    std::vector<std::pair<const ast::Expr*, std::string>> fields;
    walk_query(*original.query, [&](const ast::Expr& expr) {
      const auto* field = expr.as<ast::Field>();
      if (!field || field->optional || !is_plain_field_token(rule.query, expr.span, field->name)) return;
      if (!original.schema.find(field->name)) return;
      if (auto typo = typo_of(field->name, original.schema, seed / 7)) fields.emplace_back(&expr, *typo);
    });
    if (fields.empty()) {
      ++without_field;
      continue;
    }
    const ast::Expr& target = *fields[seed % fields.size()].first;
    const std::string* typo = &fields[seed % fields.size()].second;
    ++mutated;
    std::string text = replace_span(rule.query, target.span, *typo);
    Checked altered = check_rule(rule, text);
    auto errors = errors_of(altered.diagnostics);
    bool ok = errors.size() == 1 && errors[0]->span.begin == target.span.begin &&
              errors[0]->code == "check.unknown-field";
    if (ok) {
      ++detected;
    } else if (shown++ < 20) {
      std::ostringstream why;
      why << rule.path << ": `" << target.as<ast::Field>()->name << "` -> `" << *typo << "` gave " << errors.size()
          << " errors";
      for (const auto* e : errors) why << "\n" << rendered(rule, *e, text);
      MESSAGE(why.str());
    }
  }
  MESSAGE("mutation (a) field typos: " << detected << "/" << mutated << " detected ("
                                       << (mutated ? 100.0 * static_cast<double>(detected) / static_cast<double>(mutated) : 0.0)
                                       << "%); " << without_field
                                       << " rules name no field whose typo is detectable (only `?` fields or keys of flattened fields)");
  CHECK(mutated >= 1000);
  CHECK(detected == mutated);
}

TEST_CASE("mutation (b): a literal of the wrong type gives exactly one new error at that literal") {
  const auto& rules = corpus_rules();
  std::size_t applicable = 0, detected = 0, not_applicable = 0, shown = 0;
  for (const auto& rule : rules) {
    Checked original = check_rule(rule, rule.query);
    if (!original.query || has_errors(original.diagnostics)) continue;
    // Literals compared (==, !=, <, ..., in) with a field whose schema type makes a literal
    // of another type wrong: string fields (keyword...), numbers, booleans, ips.
    struct Candidate {
      const ast::Expr* literal;
      std::string replacement;
    };
    std::vector<Candidate> candidates;
    auto consider = [&](const ast::Expr& field_side, const ast::Expr& literal) {
      const auto* field = field_side.as<ast::Field>();
      if (!field || !literal.is_literal() || literal.as<ast::NullLiteral>()) return;
      auto found = original.schema.find(field->name);
      if (!found) return;
      TypeFamily family = type_family(found->info.type);
      bool is_string = literal.as<ast::StringLiteral>() != nullptr;
      bool is_number = literal.as<ast::IntLiteral>() || literal.as<ast::DecimalLiteral>();
      if ((family == TypeFamily::String || family == TypeFamily::Ip) && is_string) {
        candidates.push_back({&literal, "12345"});
      } else if (family == TypeFamily::Number && is_number) {
        candidates.push_back({&literal, "\"12345\""});
      } else if (family == TypeFamily::Boolean && literal.as<ast::BoolLiteral>()) {
        candidates.push_back({&literal, "\"true\""});
      }
    };
    walk_query(*original.query, [&](const ast::Expr& expr) {
      if (const auto* compare = expr.as<ast::Compare>()) {
        consider(*compare->left, *compare->right);
        consider(*compare->right, *compare->left);
      } else if (const auto* in = expr.as<ast::In>()) {
        for (const auto& candidate : in->candidates) consider(*in->value, *candidate);
      }
    });
    if (candidates.empty()) {
      ++not_applicable;
      continue;
    }
    ++applicable;
    const Candidate& chosen = candidates[fnv1a(rule.path) % candidates.size()];
    std::string text = replace_span(rule.query, chosen.literal->span, chosen.replacement);
    Checked altered = check_rule(rule, text);
    auto errors = errors_of(altered.diagnostics);
    bool ok = errors.size() == 1 && errors[0]->span.begin == chosen.literal->span.begin;
    if (ok) {
      ++detected;
    } else if (shown++ < 20) {
      std::ostringstream why;
      why << rule.path << ": literal at byte " << chosen.literal->span.begin << " -> " << chosen.replacement << " gave "
          << errors.size() << " errors";
      for (const auto* e : errors) why << "\n" << rendered(rule, *e, text);
      MESSAGE(why.str());
    }
  }
  MESSAGE("mutation (b) literal type swaps: " << detected << "/" << applicable << " detected ("
                                              << (applicable ? 100.0 * static_cast<double>(detected) / static_cast<double>(applicable) : 0.0)
                                              << "%); " << not_applicable
                                              << " rules have no literal whose type the schema fixes");
  CHECK(applicable >= 500);
  CHECK(detected == applicable);
}

TEST_CASE("robustness: checking byte-mutated corpus queries never crashes and spans stay in the query") {
  // Deterministic mutations (a byte replaced by one of a few EQL-significant characters)
  // reach odd trees the parser accepts: every diagnostic must still point inside the text.
  const auto& rules = corpus_rules();
  const char replacements[] = {'"', '.', '(', ')', '1', 'x', ' ', '~', '*', '?', ',', '['};
  std::size_t checked = 0, with_diagnostics = 0;
  for (const auto& rule : rules) {
    std::uint64_t seed = fnv1a(rule.path);
    for (int round = 0; round < 4 && !rule.query.empty(); ++round) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      std::string text = rule.query;
      text[(seed >> 33) % text.size()] = replacements[(seed >> 17) % sizeof replacements];
      Checked result = check_rule(rule, text);
      if (!result.query) continue;
      ++checked;
      with_diagnostics += result.diagnostics.empty() ? 0 : 1;
      for (const auto& diagnostic : result.diagnostics) {
        bool inside = diagnostic.span.begin <= diagnostic.span.end && diagnostic.span.end <= text.size();
        if (diagnostic.code.rfind("schema.", 0) == 0) continue;  // rule-level notes carry no span
        CHECK_MESSAGE(inside, rule.path << ": " << diagnostic.code << " span [" << diagnostic.span.begin << ","
                                        << diagnostic.span.end << ") outside a query of " << text.size() << " bytes");
      }
    }
  }
  MESSAGE(checked << " mutated queries parsed and checked, " << with_diagnostics << " with findings");
  CHECK(checked > 1000);
}
