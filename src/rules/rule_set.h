// A loaded rule set as the commands that name one rule use it (`eql test`, `eql explain`):
// the rules of --rules by rule_id, rule files named by path (loaded once), and the exception
// items of every file loaded, by list. One place to find "the rule a user named".
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "eql/rules.h"

namespace eql {

/// A rule with the file it came from (for its diagnostics).
struct RuleRef {
  const Rule* rule = nullptr;
  const RuleFile* file = nullptr;
};

/// What exception_items_of counts (`eql run`'s load report).
struct ExceptionCounts {
  std::size_t applied = 0;
  std::size_t unsupported = 0;    ///< items with an entry eql run cannot apply
  std::size_t lists_missing = 0;  ///< lists a rule refers to that no loaded file holds
};

/// The exception list items of loaded rule files, by list_id: a rule of a Kibana export
/// refers to its lists by list_id, and the export holds their items.
class ExceptionItems {
 public:
  /// Adds a file's items, in file order. With `skip_known`, an item whose list and item id
  /// are already held is left out (the same file reached by two paths).
  void add(const RuleFile& file, bool skip_known = false);
  /// The items of the lists `rule` refers to that eql run can apply, in list then file order.
  std::vector<ExceptionListItem> of(const Rule& rule, ExceptionCounts* counts = nullptr) const;

 private:
  std::map<std::string, std::vector<const ExceptionListItem*>> by_list_;
  std::set<std::pair<std::string, std::string>> known_;  // (list_id, item_id)
};

/// Why a rule lookup found no rule that can run.
struct RuleLookup {
  enum class Problem { None, Unreadable, NoEqlRule, OtherLanguage, Ambiguous, NoSuchId };
  Problem problem = Problem::None;
  std::optional<RuleRef> found;
  /// Unreadable: the I/O error; OtherLanguage: the rule's language.
  std::string detail;
  std::size_t candidates = 0;  ///< Ambiguous: how many EQL rules the file holds
  /// When a file was named: what loading it gave (its diagnostics are the caller's to show).
  const LoadedRules* file = nullptr;
};

class RuleSet {
 public:
  /// The rules of --rules.
  explicit RuleSet(LoadedRules loaded);

  const LoadedRules& loaded() const { return loaded_; }

  /// The rule a user names: with `path`, the one EQL rule of that file (or the one with
  /// `rule_id` there); without, the rule of --rules with `rule_id`.
  RuleLookup find(const std::string& path, const std::string& rule_id);

  /// The rule files at `path` (loaded once; their exception items join the set's); nullptr
  /// with `error` set when unreadable.
  const LoadedRules* file(const std::string& path, std::string& error);

  /// The exception items `rule` refers to, from --rules and every file loaded by file().
  std::vector<ExceptionListItem> exceptions_of(const Rule& rule) const { return items_.of(rule); }

 private:
  void add_file(const RuleFile& file);

  LoadedRules loaded_;
  std::map<std::string, RuleRef> by_id_;
  std::map<std::string, std::string> other_languages_;  // rule_id -> language
  std::map<std::string, std::unique_ptr<LoadedRules>> files_;
  ExceptionItems items_;
};

}  // namespace eql
