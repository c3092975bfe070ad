// Samples (docs/sequences.md): per composite key, one event per filter in filter order;
// event time plays no part. Each key keeps only as many candidates per filter as
// max_samples_per_key samples can use, so memory grows with keys, not with events.
#include <algorithm>
#include <map>
#include <unordered_set>

#include "eql/sequence.h"
#include "seq/keys.h"

namespace eql {

struct SampleMatcher::Impl {
  struct Filter {
    FilterProgram program;
    std::vector<seq::KeyField> keys;
  };
  std::vector<Filter> filters;
  SampleOptions options;
  /// key -> per filter, the first matching events in input order.
  std::map<CompositeKey, std::vector<std::vector<EventRef>>, CompositeKeyLess> candidates;

  std::size_t keep_per_filter() const {
    // An event may match several filters but fills one place per sample, so a filter may
    // need to skip as many events as there are other filters in every sample.
    return options.max_samples_per_key * filters.size();
  }

  void push(const EventRef& event, EvalContext& context) {
    for (std::size_t i = 0; i < filters.size(); ++i) {
      if (!filters[i].program.matches(*event, context)) continue;
      bool overflow = false;
      for (CompositeKey& key :
           seq::keys_of(*event, filters[i].keys, options.max_keys_per_event, overflow)) {
        // Elasticsearch reports sample keys of date fields as epoch milliseconds.
        for (JoinValue& value : key) value.epoch_millis = true;
        auto& per_filter = candidates[key];
        per_filter.resize(filters.size());
        if (per_filter[i].size() < keep_per_filter()) per_filter[i].push_back(event);
      }
    }
  }

  std::vector<JoinResult> finish() {
    std::vector<JoinResult> results;
    for (const auto& [key, per_filter] : candidates) {  // ascending key order, null first
      std::unordered_set<const Event*> used;
      std::vector<std::size_t> next(filters.size(), 0);
      for (std::size_t s = 0; s < options.max_samples_per_key; ++s) {
        JoinResult sample;
        sample.keys = key;
        for (std::size_t i = 0; i < filters.size(); ++i) {
          const auto& events = per_filter[i];
          while (next[i] < events.size() && used.count(events[next[i]].get()) != 0) ++next[i];
          if (next[i] == events.size()) break;
          sample.events.push_back(events[next[i]]);
          used.insert(events[next[i]].get());
        }
        if (sample.events.size() != filters.size()) break;
        results.push_back(std::move(sample));
      }
    }
    return results;
  }
};

SampleMatcher::SampleMatcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SampleMatcher::~SampleMatcher() = default;

SampleCompileResult SampleMatcher::compile(const ast::Sample& sample, const SampleOptions& options) {
  SampleCompileResult result;
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  JsonFieldTypes json_types;
  const FieldTypes& types = options.filter.field_types ? *options.filter.field_types : json_types;
  for (const ast::Term& term : sample.terms) {
    FilterCompileResult filter = compile_filter(term.filter, options.filter);
    for (auto& d : filter.diagnostics) result.diagnostics.push_back(std::move(d));
    if (!filter.program) return result;
    std::vector<const ast::Expr*> keys;
    for (const auto& k : sample.keys) keys.push_back(k.get());
    for (const auto& k : term.keys) keys.push_back(k.get());
    impl->filters.push_back({std::move(*filter.program), seq::compile_keys(keys, types, result.diagnostics)});
  }
  if (has_errors(result.diagnostics)) return result;
  result.matcher.reset(new SampleMatcher(std::move(impl)));
  return result;
}

void SampleMatcher::push(const EventRef& event, EvalContext& context) { impl_->push(event, context); }
std::vector<JoinResult> SampleMatcher::finish() { return impl_->finish(); }

std::vector<std::string> SampleMatcher::fields() const {
  std::vector<std::string> paths;
  for (const Impl::Filter& filter : impl_->filters) {
    for (std::string& path : filter.program.fields()) paths.push_back(std::move(path));
    seq::add_key_paths(filter.keys, paths);
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return paths;
}

}  // namespace eql
