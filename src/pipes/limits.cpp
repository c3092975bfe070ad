#include "pipes/limits.h"

#include <algorithm>

namespace eql {

std::optional<ResultLimits> ResultLimits::of(const ast::Query& query, std::optional<std::size_t> size,
                                             std::string& unsupported) {
  ResultLimits limits;
  limits.size = size;
  for (const auto& pipe : query.pipes) {
    const auto* count = pipe.args.empty() ? nullptr : pipe.args[0]->as<ast::IntLiteral>();
    if ((pipe.kind != ast::PipeKind::Head && pipe.kind != ast::PipeKind::Tail) || !count) {
      unsupported = ast::pipe_name(pipe.kind);
      return std::nullopt;
    }
    limits.pipes.push_back({pipe.kind == ast::PipeKind::Tail,
                            static_cast<std::size_t>(std::max<std::int64_t>(count->value, 0))});
  }
  return limits;
}

bool ResultLimits::has_tail() const {
  return std::any_of(pipes.begin(), pipes.end(), [](const Pipe& p) { return p.tail; });
}

std::pair<std::size_t, std::size_t> ResultLimits::window(std::size_t count) const {
  std::size_t first = 0, last = count;
  bool from_end = false;
  for (const Pipe& pipe : pipes) {
    if (last - first > pipe.count) {
      if (pipe.tail) first = last - pipe.count;
      else last = first + pipe.count;
    }
    from_end = pipe.tail;
  }
  if (size && last - first > *size) {
    if (from_end) first = last - *size;
    else last = first + *size;
  }
  return {first, last};
}

}  // namespace eql
