// Internal to src/syntax/: PEGTL's parse tree without a node per attempt at a rule that is
// not selected. PEGTL 3.2.7's parse_tree::parse allocates a node whenever it tries such a
// rule that has selected rules below it, moves that node's children to its parent when the
// attempt succeeds and frees it when it fails: about 2,500 nodes per corpus query, a third
// of the parse (docs/performance.md, "Loading the rules"). Here such an attempt only notes
// how many children the nearest node had when it began; a failed attempt cuts them back to
// that. The tree is the same: the children of a successful attempt are the ones it added,
// in order, and selected rules go through PEGTL's own handler unchanged.
#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include <tao/pegtl/contrib/parse_tree.hpp>
#include <tao/pegtl/contrib/remove_first_state.hpp>
#include <tao/pegtl/contrib/shuffle_states.hpp>

namespace eql::syntax {

namespace pt_internal = tao::pegtl::parse_tree::internal;

/// The marks of open attempts. Not a std::vector: its push_back, with the reallocation
/// path, is a call GCC does not inline, one per attempt (0.039 G of the 1.41 G instructions
/// of loading the corpus). Here only the growth is out of line. Kept in the state, not in
/// a local of each attempt's match(): that wrapper is one more frame per grammar level,
/// and the sanitizer build then overflowed an 8 MiB stack at --max-depth 500.
class MarkStack {
 public:
  void push(std::size_t mark) {
    if (size_ == marks_.size()) grow();
    marks_[size_++] = mark;
  }
  std::size_t pop() { return marks_[--size_]; }

 private:
  [[gnu::noinline]] void grow() { marks_.resize(marks_.empty() ? 64 : marks_.size() * 2); }

  std::vector<std::size_t> marks_;
  std::size_t size_ = 0;
};

/// PEGTL's parse-tree state (the stack of open nodes) and the marks of open attempts.
template <typename Node>
struct LeanTreeState : pt_internal::state<Node> {
  MarkStack marks;
};

template <typename Node, template <typename...> class Selector, template <typename...> class Control>
struct LeanTreeControl {
  template <typename Rule>
  struct PassThrough : tao::pegtl::remove_first_state<Control<Rule>> {
    static constexpr bool enable = true;

    template <typename ParseInput, typename... States>
    static void start(const ParseInput& /*unused*/, pt_internal::state<Node>& state, States&&... /*unused*/) {
      lean(state).marks.push(state.back()->children.size());
    }
    template <typename ParseInput, typename... States>
    static void success(const ParseInput& /*unused*/, pt_internal::state<Node>& state, States&&... /*unused*/) {
      lean(state).marks.pop();
    }
    template <typename ParseInput, typename... States>
    static void failure(const ParseInput& /*unused*/, pt_internal::state<Node>& state, States&&... /*unused*/) {
      drop(state);
    }
    template <typename ParseInput, typename... States>
    static void unwind(const ParseInput& /*unused*/, pt_internal::state<Node>& state, States&&... /*unused*/) {
      drop(state);
    }

   private:
    // The parse runs over a LeanTreeState (parse_lean_tree below).
    static LeanTreeState<Node>& lean(pt_internal::state<Node>& state) {
      return static_cast<LeanTreeState<Node>&>(state);
    }
    static void drop(pt_internal::state<Node>& state) {
      auto& children = state.back()->children;
      children.erase(children.begin() + static_cast<std::ptrdiff_t>(lean(state).marks.pop()), children.end());
    }
  };

  // A rule that is not selected but has selected rules below it: the only case PEGTL gave
  // a node of its own, here a mark. Every other rule keeps PEGTL's handler.
  template <typename Rule>
  static constexpr bool kPassThrough = !pt_internal::is_selected_node<Rule, Selector> &&
                                       !pt_internal::is_leaf<8, typename Rule::subs_t, Selector>;

  template <typename Rule>
  using type = std::conditional_t<kPassThrough<Rule>, tao::pegtl::rotate_states_right<PassThrough<Rule>>,
                                  typename pt_internal::make_control<Node, Selector, Control>::template type<Rule>>;
};

/// As tao::pegtl::parse_tree::parse: the root of the tree, or null when `Rule` does not match.
template <typename Rule, typename Node, template <typename...> class Selector, template <typename...> class Control,
          typename ParseInput>
std::unique_ptr<Node> parse_lean_tree(ParseInput&& in) {
  LeanTreeState<Node> state;
  if (!tao::pegtl::parse<Rule, tao::pegtl::nothing, LeanTreeControl<Node, Selector, Control>::template type>(in, state)) {
    return nullptr;
  }
  return std::move(state.back());
}

}  // namespace eql::syntax
