// Internal to `eql validate`: the verdict on each rule and file, the counts of the summary,
// and the writers of each output format (text, json, sarif, github).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "eql/diagnostic.h"
#include "eql/rules.h"

namespace eql::cli::validate_internal {

/// One rule of the report: an EQL rule with its verdict, or a rule in another language.
struct RuleReport {
  const RuleFile* file = nullptr;
  const Rule* rule = nullptr;             ///< set for EQL rules
  const SkippedEntry* skipped = nullptr;  ///< set for rules in other languages
  /// The rule's own problems: fields, metadata, rule_id (file coordinates), after --allow.
  Diagnostics rule_diagnostics;
  /// The query's problems (query coordinates: map them with rule->query_origin).
  Diagnostics query_diagnostics;
  std::uint32_t file_offset = 0;

  bool invalid() const {
    return rule != nullptr && (has_errors(rule_diagnostics) || has_errors(query_diagnostics));
  }
};

/// One file and the reports of its rules, in file order.
struct FileReport {
  const RuleFile* file = nullptr;
  std::vector<RuleReport> rules;
};

/// A rule's diagnostic with the origin that maps its span into the file.
struct PlacedDiagnostic {
  const Diagnostic* diagnostic = nullptr;
  const QueryOrigin* origin = nullptr;
  std::uint32_t file_offset = 0;  ///< where it begins in the file
};

/// A rule's diagnostics (its own and its query's) in the order of the file.
std::vector<PlacedDiagnostic> in_file_order(const RuleReport& report);

/// Calls `visit` for every diagnostic of a file in the order they are shown: the file's
/// own, then each rule's in file order. `origin` maps the span.
void for_each_diagnostic(const FileReport& report,
                         const std::function<void(const Diagnostic&, const QueryOrigin&)>& visit);

using Counts = std::map<std::string, std::size_t>;

struct Tally {
  std::size_t files = 0;
  std::size_t valid = 0;
  std::size_t invalid = 0;
  Counts skipped_languages;
  Counts skipped_objects;
  std::size_t unreadable_files = 0;
  std::size_t files_with_errors = 0;  ///< file-level errors, readable files only
  std::size_t warnings = 0;
  std::size_t notes = 0;

  std::size_t rules() const;  ///< EQL rules and rules in other languages
};

std::size_t total(const Counts& counts);
void count_file(const FileReport& report, Tally& tally);
std::string summary_line(const Tally& tally);

/// Which diagnostics the text and github formats print.
enum class Shown { All, ErrorsOnly, SummaryOnly };

struct TextOptions {
  bool color = false;
  bool notes = false;  ///< notes are printed only on request
  Shown shown = Shown::All;
};

bool is_shown(const Diagnostic& diagnostic, const TextOptions& options);

void write_text(const FileReport& report, const TextOptions& options, std::string& out);
void write_github(const FileReport& report, const TextOptions& options, std::string& out);

/// Whole documents: every diagnostic whatever the level (notes included).
std::string json_document(const std::vector<FileReport>& reports, const Tally& tally,
                          const std::vector<std::string>& io_errors, int exit_code);
std::string sarif_document(const std::vector<FileReport>& reports);

}  // namespace eql::cli::validate_internal
