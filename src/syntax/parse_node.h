// The parser's parse-tree node: PEGTL's node, allocated from a per-thread free list.
#pragma once

#include <cstddef>

#include <tao/pegtl/contrib/parse_tree.hpp>

namespace eql::syntax {

/// Memory for one node: a recycled block when one is free (see parse_node.cpp).
void* allocate_node(std::size_t size);
void free_node(void* pointer, std::size_t size);

struct Node : tao::pegtl::parse_tree::basic_node<Node> {
  static void* operator new(std::size_t size) { return allocate_node(size); }
  static void operator delete(void* pointer, std::size_t size) { free_node(pointer, size); }
};

}  // namespace eql::syntax
