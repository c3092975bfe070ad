// How `eql query` shows results (eql/query.h hands them over as data): events as NDJSON,
// one JSON array, a table or CSV; sequences and samples one match per line or block.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "eql/event.h"
#include "eql/sequence.h"

namespace eql::cli {

enum class QueryFormat { Ndjson, Json, Table, Csv };

/// Prints the events shown by an event query; `columns` for table and CSV.
void print_events(const std::vector<EventRef>& shown, QueryFormat format, const std::vector<std::string>& columns);

/// Prints the matches of a sequence or sample as they come: a CSV header first, JSON's
/// brackets around them.
class MatchWriter {
 public:
  MatchWriter(QueryFormat format, std::string timestamp_field, std::string category_field);
  void write(const JoinResult& match);
  /// After the last match: closes the JSON array.
  void close();
  std::uint64_t printed() const { return printed_; }

 private:
  QueryFormat format_;
  std::string timestamp_field_;
  std::string category_field_;
  std::uint64_t printed_ = 0;
};

/// Prints a problem of the input on stderr: `file:line:column: message` for a place in a file,
/// else (a file that cannot be read) `eql query: file: message`.
void report_input_problem(const InputProblem& problem);

}  // namespace eql::cli
