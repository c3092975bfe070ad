#include "cli/query_join.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <queue>

#include "cli/commands.h"
#include "pipes/limits.h"
#include "common/plural.h"
#include "shell/table.h"
#include "eql/eval.h"
#include "eql/sequence.h"
#include "run/lineage.h"

namespace eql::cli {

namespace {

bool earlier(const EventRef& a, const EventRef& b) { return sequence_order_before(*a, *b); }

struct Later {
  bool operator()(const EventRef& a, const EventRef& b) const { return earlier(b, a); }
};

/// Where matches go: printed at once, or the last N kept for `| tail N`.
class Printer {
 public:
  Printer(const JoinQueryOptions& options, ResultLimits limits)
      : options_(options), limits_(std::move(limits)) {
    buffer_all_ = limits_.has_tail();
    if (options_.format == JoinQueryOptions::Format::Csv) {
      // One line per event: the match's number, its join keys, the event's stage.
      std::printf("%s\n", shell::csv_line({"match", "join_keys", "stage", options_.read.timestamp_field,
                                           options_.category_field, "event"})
                              .c_str());
    }
    if (!buffer_all_) {
      // Only heads: print as matches come, and stop reading once the smallest is reached.
      limit_ = limits_.window(SIZE_MAX).second;
    }
  }

  bool full() const { return !buffer_all_ && printed_ >= limit_; }

  void add(const JoinResult& match) {
    ++matched_;
    if (buffer_all_) {
      kept_.push_back(match);  // a tail needs the end of the input
      return;
    }
    if (full()) return;
    print(match);
  }

  void finish() {
    auto [first, last] = limits_.window(kept_.size());
    for (std::size_t i = first; i < last; ++i) print(kept_[i]);
    kept_.clear();
    if (options_.format == JoinQueryOptions::Format::Json) std::printf("%s]\n", printed_ ? "\n" : "[");
  }

  std::uint64_t matched() const { return matched_; }
  std::uint64_t printed() const { return printed_; }

 private:
  void print(const JoinResult& match) {
    std::string keys = "[";
    for (std::size_t i = 0; i < match.keys.size(); ++i) {
      if (i) keys += ", ";
      keys += "\"";
      for (char c : match.keys[i].display()) {
        if (c == '"' || c == '\\') keys += '\\';
        keys += c;
      }
      keys += "\"";
    }
    keys += "]";
    switch (options_.format) {
      case JoinQueryOptions::Format::Ndjson:
      case JoinQueryOptions::Format::Json: {
        std::string line = "{\"join_keys\": " + keys + ", \"events\": [";
        for (std::size_t i = 0; i < match.events.size(); ++i) {
          if (i) line += ", ";
          line += match.events[i] ? match.events[i]->json() : "null";
        }
        line += "]}";
        if (options_.format == JoinQueryOptions::Format::Json) {
          std::printf("%s\n  %s", printed_ ? "," : "[", line.c_str());
        } else {
          std::printf("%s\n", line.c_str());
        }
        break;
      }
      case JoinQueryOptions::Format::Csv:
        for (std::size_t i = 0; i < match.events.size(); ++i) {
          const EventRef& event = match.events[i];
          std::vector<std::string> cells{std::to_string(printed_ + 1), keys, std::to_string(i + 1)};
          if (event) {
            cells.push_back(event->timestamp ? format_date(*event->timestamp, false) : "");
            cells.push_back(shell::full_text(*event, options_.category_field));
            cells.push_back(event->json());
          }
          std::printf("%s\n", shell::csv_line(cells).c_str());
        }
        break;
      case JoinQueryOptions::Format::Table: {
        std::printf("%s#%llu  join keys %s\n", printed_ ? "\n" : "",
                    static_cast<unsigned long long>(printed_ + 1), keys.c_str());
        for (std::size_t i = 0; i < match.events.size(); ++i) {
          const EventRef& event = match.events[i];
          if (!event) {
            std::printf("  [%zu] (missing event: none occurred)\n", i + 1);
            continue;
          }
          std::string stamp = event->timestamp ? format_date(*event->timestamp, false) : "-";
          std::string category = to_display_string(event->first(options_.category_field));
          std::printf("  [%zu] %s  %s  %s\n", i + 1, stamp.c_str(), category.c_str(),
                      event->json().substr(0, 160).c_str());
        }
        break;
      }
    }
    ++printed_;
  }

  const JoinQueryOptions& options_;
  ResultLimits limits_;
  bool buffer_all_ = false;
  std::size_t limit_ = SIZE_MAX;
  std::vector<JoinResult> kept_;
  std::uint64_t matched_ = 0;
  std::uint64_t printed_ = 0;
};

}  // namespace

void report_input_problem(const InputProblem& problem) {
  std::fprintf(stderr, "%s%s\n", problem.line > 0 ? "" : "eql query: ", problem.to_string().c_str());
}

int run_join_query(const ast::Query& query, const JoinQueryOptions& options) {
  std::string unsupported;
  std::optional<ResultLimits> limits = ResultLimits::of(query, options.size, unsupported);
  if (!limits) {
    // A hunting pipe (eql/pipes.h) works on the rows of an event query only.
    std::fprintf(stderr, "eql query: the pipe `%s` applies to event queries only; "
                         "sequences and samples take head and tail\n", unsupported.c_str());
    return kExitFindings;
  }

  FilterOptions filter_options;
  filter_options.category_field = options.category_field;
  filter_options.field_types = options.field_types;
  ProcessTree lineage;  // fed each event as it is read, before the matchers see it
  filter_options.lineage = &lineage;
  std::unique_ptr<SequenceMatcher> sequence;
  std::unique_ptr<SampleMatcher> sample;
  Diagnostics problems;
  if (const ast::Sequence* sequence_query = query.sequence()) {
    SequenceOptions sequence_options;
    sequence_options.filter = filter_options;
    sequence_options.max_pending = options.max_pending;
    auto compiled = SequenceMatcher::compile(*sequence_query, sequence_options);
    sequence = std::move(compiled.matcher);
    problems = std::move(compiled.diagnostics);
  } else if (const ast::Sample* sample_query = query.sample()) {
    SampleOptions sample_options;
    sample_options.filter = filter_options;
    sample_options.max_samples_per_key = options.max_samples_per_key;
    auto compiled = SampleMatcher::compile(*sample_query, sample_options);
    sample = std::move(compiled.matcher);
    problems = std::move(compiled.diagnostics);
  }
  if (!sequence && !sample) {
    for (const Diagnostic& d : problems) {
      if (options.source) std::fputs(render(d, *options.source, QueryOrigin{}, options.render).c_str(), stderr);
      else std::fprintf(stderr, "eql query: %s\n", d.message.c_str());
    }
    return kExitFindings;
  }

  bool stream = options.order == JoinQueryOptions::Order::Stream ||
                (options.order == JoinQueryOptions::Order::Auto &&
                 std::all_of(options.files.begin(), options.files.end(),
                             [](const std::string& f) { return f == "-"; }));
  auto started = std::chrono::steady_clock::now();
  EvalContext context;
  Printer printer(options, *limits);
  std::vector<EventRef> held;  // exact mode and samples: everything, sorted at the end
  std::priority_queue<EventRef, std::vector<EventRef>, Later> window;  // stream mode
  std::optional<EpochNanos> newest;
  std::optional<EventRef> last_released;
  std::uint64_t read = 0, skipped = 0, late = 0, untimed = 0, ordinal = 0;
  bool io_error = false, strict_failure = false;
  const std::int64_t lateness = options.max_lateness_ms * 1'000'000;

  auto drain = [&] {
    for (const JoinResult& match : sequence->take_results()) printer.add(match);
  };
  auto release = [&](const EventRef& event) {
    sequence->push(event, context);
    last_released = event;
  };

  for (const std::string& file : options.files) {
    ReadSummary summary = read_events(
        file, options.read,
        [&](Event&& parsed) {
          parsed.ordinal = ordinal++;
          auto event = std::make_shared<const Event>(std::move(parsed));
          if (lineage.condition_count() != 0) lineage.observe(*event);
          if (sample) {
            sample->push(event, context);
            return true;
          }
          if (!event->timestamp) {
            ++untimed;  // a sequence orders by time: an event without one cannot take part
            return true;
          }
          if (!stream) {
            held.push_back(std::move(event));
            return true;
          }
          if (last_released && earlier(event, *last_released)) {
            ++late;  // older than what the window already let through
            return true;
          }
          newest = newest ? std::max(*newest, *event->timestamp) : *event->timestamp;
          window.push(std::move(event));
          while (!window.empty() && *window.top()->timestamp <= *newest - lateness) {
            release(window.top());
            window.pop();
          }
          drain();
          return !printer.full();
        },
        [&](const InputProblem& problem) {
          report_input_problem(problem);
          if (options.strict && problem.line > 0) strict_failure = true;  // the reader stops
        });
    read += summary.events;
    skipped += summary.skipped;
    io_error = io_error || summary.io_error;
    if (strict_failure || printer.full()) break;
  }
  if (strict_failure) {
    std::fputs("eql query: stopped at a malformed line (--strict)\n", stderr);
    return kExitUsage;
  }

  if (sample) {
    for (const JoinResult& match : sample->finish()) printer.add(match);
  } else {
    if (!stream) {
      std::stable_sort(held.begin(), held.end(), earlier);
      for (const EventRef& event : held) {
        sequence->push(event, context);
        drain();
        if (printer.full()) break;
      }
      held.clear();
    }
    while (!window.empty()) {
      release(window.top());
      window.pop();
    }
    sequence->finish();
    drain();
  }
  printer.finish();
  std::fflush(stdout);

  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!options.quiet) {
    std::fprintf(stderr, "eql query: %s read, %s matched, %llu shown, %s skipped, %.3f s\n",
                 count_of(read, "event").c_str(), count_of(printer.matched(), sequence ? "sequence" : "sample").c_str(),
                 static_cast<unsigned long long>(printer.printed()), count_of(skipped, "line").c_str(), seconds);
    if (sequence) {
      const SequenceStats& stats = sequence->stats();
      std::fprintf(stderr,
                   "eql query: %s mode; pending %llu (peak %llu), expired %llu, evicted %llu (--max-pending %zu)",
                   stream ? "stream" : "exact", static_cast<unsigned long long>(stats.pending),
                   static_cast<unsigned long long>(stats.peak_pending),
                   static_cast<unsigned long long>(stats.expired),
                   static_cast<unsigned long long>(stats.evicted), options.max_pending);
      if (stats.key_overflow) {
        std::fprintf(stderr, ", %s with more than 10000 join keys dropped",
                     count_of(stats.key_overflow, "event").c_str());
      }
      if (untimed) std::fprintf(stderr, ", %s without a timestamp ignored", count_of(untimed, "event").c_str());
      if (late) std::fprintf(stderr, ", %s later than --max-lateness dropped", count_of(late, "event").c_str());
      std::fputs("\n", stderr);
    }
    if (lineage.stats().evicted != 0) {
      std::fprintf(stderr, "eql query: process lineage: %s evicted (at most %zu held)\n",
                   count_of(lineage.stats().evicted, "process", "processes").c_str(), lineage.options().max_processes);
    }
  }
  return io_error ? kExitUsage : kExitOk;
}

}  // namespace eql::cli
