// Internal to src/syntax/: PEGTL's parse tree without a node per attempt at a rule that is
// not selected. PEGTL 3.2.7's parse_tree::parse allocates a node whenever it tries such a
// rule that has selected rules below it, moves that node's children to its parent when the
// attempt succeeds and frees it when it fails: about 2,500 nodes per corpus query, a third
// of the parse (docs/performance.md, "Loading the rules"). Here such an attempt only notes
// how many children the nearest node had when it began; a failed attempt cuts them back to
// that. The tree is the same: the children of a successful attempt are the ones it added,
// in order. Selected rules do what PEGTL's handler does, over a stack of open nodes that
// keeps a failed attempt's node for the next attempt (OpenNodes). No handler wraps an
// attempt's match(): a frame per grammar level overflowed the sanitizer build's stack at
// --max-depth 500 (tests/hostile_parser_test.cpp).
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

/// The open nodes: the root, then one per selected rule being attempted. PEGTL's stack
/// pushes a new node per attempt through a std::vector call GCC does not inline and frees
/// it when the attempt fails. Here a slot above the top keeps the node of a failed attempt,
/// emptied, for the next one; a successful attempt's node leaves its slot for its parent.
template <typename Node>
class OpenNodes {
 public:
  OpenNodes() { push(); }

  Node& push() {
    if (size_ == slots_.size()) grow();
    std::unique_ptr<Node>& slot = slots_[size_++];
    if (!slot) slot = std::make_unique<Node>();
    return *slot;
  }
  std::unique_ptr<Node>& back() { return slots_[size_ - 1]; }
  // The top node handed to whoever takes it (its parent, the caller of the parse).
  std::unique_ptr<Node> take() { return std::move(slots_[--size_]); }
  // The top node of a failed attempt, emptied and kept for the next push. Only its
  // children and its end say anything: start() sets the rest again.
  void drop() {
    Node& node = *slots_[--size_];
    node.children.clear();
    node.remove_content();
  }

 private:
  [[gnu::noinline]] void grow() { slots_.resize(slots_.empty() ? 64 : slots_.size() * 2); }

  std::vector<std::unique_ptr<Node>> slots_;
  std::size_t size_ = 0;
};

/// The parse's state: the open nodes and the marks of open attempts.
template <typename Node>
struct LeanTreeState {
  OpenNodes<Node> nodes;
  MarkStack marks;
};

template <typename Node, template <typename...> class Selector, template <typename...> class Control>
struct LeanTreeControl {
  template <typename Rule>
  struct PassThrough : tao::pegtl::remove_first_state<Control<Rule>> {
    static constexpr bool enable = true;

    template <typename ParseInput, typename... States>
    static void start(const ParseInput& /*unused*/, LeanTreeState<Node>& state, States&&... /*unused*/) {
      state.marks.push(state.nodes.back()->children.size());
    }
    template <typename ParseInput, typename... States>
    static void success(const ParseInput& /*unused*/, LeanTreeState<Node>& state, States&&... /*unused*/) {
      state.marks.pop();
    }
    template <typename ParseInput, typename... States>
    static void failure(const ParseInput& /*unused*/, LeanTreeState<Node>& state, States&&... /*unused*/) {
      drop(state);
    }
    template <typename ParseInput, typename... States>
    static void unwind(const ParseInput& /*unused*/, LeanTreeState<Node>& state, States&&... /*unused*/) {
      drop(state);
    }

   private:
    static void drop(LeanTreeState<Node>& state) {
      auto& children = state.nodes.back()->children;
      children.erase(children.begin() + static_cast<std::ptrdiff_t>(state.marks.pop()), children.end());
    }
  };

  // A selected rule: PEGTL's handler (node started, transformed and handed to its parent
  // on success), over OpenNodes. Start, success and failure only, as PEGTL's: no frame is
  // added around the attempt.
  template <typename Rule>
  struct Selected : tao::pegtl::remove_first_state<Control<Rule>> {
    template <typename ParseInput, typename... States>
    static void start(const ParseInput& in, LeanTreeState<Node>& state, States&&... st) {
      Control<Rule>::start(in, st...);
      state.nodes.push().template start<Rule>(in, st...);
    }
    template <typename ParseInput, typename... States>
    static void success(const ParseInput& in, LeanTreeState<Node>& state, States&&... st) {
      std::unique_ptr<Node> node = state.nodes.take();
      node->template success<Rule>(in, st...);
      pt_internal::transform<Selector<Rule>>(in, node, st...);
      if (node) state.nodes.back()->emplace_back(std::move(node), st...);
      Control<Rule>::success(in, st...);
    }
    template <typename ParseInput, typename... States>
    static void failure(const ParseInput& in, LeanTreeState<Node>& state, States&&... st) {
      state.nodes.drop();
      Control<Rule>::failure(in, st...);
    }
    template <typename ParseInput, typename... States>
    static void unwind(const ParseInput& in, LeanTreeState<Node>& state, States&&... st) {
      state.nodes.drop();
      if constexpr (pt_internal::control_has_unwind<Control<Rule>, const ParseInput&, States...>) {
        Control<Rule>::unwind(in, st...);
      }
    }
  };

  template <typename Rule>
  static constexpr bool kSelected = pt_internal::is_selected_node<Rule, Selector>;

  // A rule that is not selected but has selected rules below it: the only case PEGTL gave
  // a node of its own, here a mark. A rule with no selected rule below keeps the control.
  template <typename Rule>
  static constexpr bool kPassThrough = !kSelected<Rule> && !pt_internal::is_leaf<8, typename Rule::subs_t, Selector>;

  template <typename Rule>
  using type = tao::pegtl::rotate_states_right<
      std::conditional_t<kSelected<Rule>, Selected<Rule>,
                         std::conditional_t<kPassThrough<Rule>, PassThrough<Rule>,
                                            tao::pegtl::remove_first_state<Control<Rule>>>>>;
};

/// As tao::pegtl::parse_tree::parse: the root of the tree, or null when `Rule` does not match.
template <typename Rule, typename Node, template <typename...> class Selector, template <typename...> class Control,
          typename ParseInput>
std::unique_ptr<Node> parse_lean_tree(ParseInput&& in) {
  LeanTreeState<Node> state;
  if (!tao::pegtl::parse<Rule, tao::pegtl::nothing, LeanTreeControl<Node, Selector, Control>::template type>(in, state)) {
    return nullptr;
  }
  return state.nodes.take();
}

}  // namespace eql::syntax
