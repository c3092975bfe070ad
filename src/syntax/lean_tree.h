// Internal to src/syntax/: PEGTL's parse tree without a node per attempt at a rule that is
// not selected. PEGTL 3.2.7's parse_tree::parse allocates a node whenever it tries such a
// rule that has selected rules below it, moves that node's children to its parent when the
// attempt succeeds and frees it when it fails: about 2,500 nodes per corpus query, a third
// of the parse (docs/performance.md, "Loading the rules"). Here such an attempt only notes
// how many children the nearest node had when it began; a failed attempt cuts them back to
// that. The tree is the same: the children of a successful attempt are the ones it added,
// in order. Selected rules go through PEGTL's handler but for one change: the node of a
// failed attempt is emptied and kept for the next attempt instead of freed.
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

/// PEGTL's parse-tree state (the stack of open nodes) and the emptied nodes of failed
/// attempts at selected rules, for the next attempts.
template <typename Node>
struct LeanTreeState : pt_internal::state<Node> {
  std::vector<std::unique_ptr<Node>> spare;
};

template <typename Node, template <typename...> class Selector, template <typename...> class Control>
struct LeanTreeControl {
  template <typename Rule>
  struct PassThrough : tao::pegtl::remove_first_state<Control<Rule>> {
    using Base = tao::pegtl::remove_first_state<Control<Rule>>;
    static constexpr bool enable = true;

    // The mark is a local of the attempt's own match(), not an entry pushed on and popped
    // off a stack in start() and success() or failure(): that stack, one push per attempt
    // through a call that was not inlined, was 3% of loading the corpus. An exception
    // (a `must` failing, the depth limit) abandons the whole parse and its tree
    // (parse_lean_tree), so no mark has to be honoured on the way out.
    template <tao::pegtl::apply_mode A, tao::pegtl::rewind_mode M, template <typename...> class Action,
              template <typename...> class Control2, typename ParseInput>
    [[nodiscard]] static bool match(ParseInput& in, pt_internal::state<Node>& state) {
      auto& children = state.back()->children;
      const std::size_t mark = children.size();
      const bool matched = Base::template match<A, M, Action, Control2>(in, state);
      // `children` still refers to the nearest node: the nodes opened below were closed
      if (!matched) children.erase(children.begin() + static_cast<std::ptrdiff_t>(mark), children.end());
      return matched;
    }
  };

  // A selected rule: PEGTL's handler, but the node of a failed attempt is kept, emptied,
  // for the next attempt instead of destroyed and allocated again (most attempts at a
  // selected rule fail: an operand tried as a pattern, a string, a number...).
  template <typename Rule>
  struct Selected : tao::pegtl::remove_first_state<Control<Rule>> {
    template <typename ParseInput, typename... States>
    static void start(const ParseInput& in, pt_internal::state<Node>& state, States&&... st) {
      Control<Rule>::start(in, st...);
      auto& spare = lean(state).spare;
      if (spare.empty()) {
        state.emplace_back();
      } else {
        state.stack.push_back(std::move(spare.back()));
        spare.pop_back();
      }
      state.back()->template start<Rule>(in, st...);
    }
    template <typename ParseInput, typename... States>
    static void success(const ParseInput& in, pt_internal::state<Node>& state, States&&... st) {
      auto n = std::move(state.back());
      state.pop_back();
      n->template success<Rule>(in, st...);
      pt_internal::transform<Selector<Rule>>(in, n, st...);
      if (n) state.back()->emplace_back(std::move(n), st...);
      Control<Rule>::success(in, st...);
    }
    template <typename ParseInput, typename... States>
    static void failure(const ParseInput& in, pt_internal::state<Node>& state, States&&... st) {
      state.back()->template failure<Rule>(in, st...);
      std::unique_ptr<Node> n = std::move(state.back());
      state.pop_back();
      // As a new node: no children, no end (start() sets the type, source and beginning).
      n->children.clear();
      n->remove_content();
      lean(state).spare.push_back(std::move(n));
      Control<Rule>::failure(in, st...);
    }
    template <typename ParseInput, typename... States>
    static void unwind(const ParseInput& in, pt_internal::state<Node>& state, States&&... st) {
      state.pop_back();  // the whole parse is abandoned (see PassThrough::match)
      if constexpr (pt_internal::control_has_unwind<Control<Rule>, const ParseInput&, States...>) {
        Control<Rule>::unwind(in, st...);
      }
    }
  };

  // A rule that is not selected but has selected rules below it: the only case PEGTL gave
  // a node of its own, here a mark. Every other rule keeps PEGTL's handler.
  template <typename Rule>
  static constexpr bool kPassThrough = !pt_internal::is_selected_node<Rule, Selector> &&
                                       !pt_internal::is_leaf<8, typename Rule::subs_t, Selector>;

  template <typename Rule>
  using type = std::conditional_t<
      pt_internal::is_selected_node<Rule, Selector>, tao::pegtl::rotate_states_right<Selected<Rule>>,
      std::conditional_t<kPassThrough<Rule>, tao::pegtl::rotate_states_right<PassThrough<Rule>>,
                         typename pt_internal::make_control<Node, Selector, Control>::template type<Rule>>>;

 private:
  // The parse runs over a LeanTreeState (parse_lean_tree below).
  static LeanTreeState<Node>& lean(pt_internal::state<Node>& state) { return static_cast<LeanTreeState<Node>&>(state); }
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
