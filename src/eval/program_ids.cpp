// What identifies and describes a compiled program's parts: the readable dump of its nodes
// (FilterProgram::describe, tracing), the keys that make two leaves one (the leaf memo), the
// process-wide interning of field paths and leaves, and the long-list index built at compile
// time. Split from compile.cpp, which builds the programs.
#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>

#include "eval/program.h"

namespace eql::detail {

namespace {

// ---- describe ----------------------------------------------------------------------------

const char* op_text(Op op) {
  switch (op) {
    case Op::Eq: return "==";
    case Op::NotEq: return "!=";
    case Op::Less: return "<";
    case Op::LessEq: return "<=";
    case Op::Greater: return ">";
    case Op::GreaterEq: return ">=";
    case Op::Add: return "+";
    case Op::Sub: return "-";
    case Op::Mul: return "*";
    case Op::Div: return "/";
    case Op::Mod: return "%";
    case Op::Negate: return "neg";
    case Op::In: return "in";
    case Op::Match: return "match";
    case Op::IsNull: return "null?";
    case Op::And: return "and3";
    case Op::Or: return "or3";
    case Op::Not: return "not3";
    case Op::Lineage: return "lineage";
    case Op::ArraySearch: return "arraysearch";
    default: return "?";
  }
}

void describe_node(const Program& program, std::uint32_t index, std::string& out) {
  const Node& node = program.nodes[index];
  switch (node.op) {
    case Op::Constant: append_json(out, node.constant); return;
    case Op::Slot: out += "$" + program.slots[node.slot].path; return;
    case Op::Lineage:
      out += node.relation == LineageSource::Relation::Child   ? "(child-of #"
             : node.relation == LineageSource::Relation::Event ? "(event-of #"
                                                               : "(descendant-of #";
      out += std::to_string(node.lineage_condition) + ")";
      return;
    case Op::ArraySearch:
      out += "(arraysearch $" + node.array_search->path + " ";
      describe_bool(*node.array_search->condition, node.array_search->condition->root, out);
      out += ")";
      return;
    default: break;
  }
  out += "(";
  if (node.op == Op::Call) {
    out += function_name(node.function);
    if (node.case_insensitive) out += "~";
  } else {
    out += op_text(node.op);
    if (node.op == Op::In && node.case_insensitive) out += "~";
  }
  if (node.domain == Domain::Date) out += "@date";
  if (node.domain == Domain::Ip) out += "@ip";
  if (node.domain == Domain::Version) out += "@version";
  for (auto arg : node.args) {
    out += " ";
    describe_node(program, arg, out);
  }
  for (const auto& matcher : node.matchers) {
    out += matcher.kind == Matcher::Kind::Regex ? " regex" : matcher.kind == Matcher::Kind::Wildcard ? " like" : " eq";
    if (matcher.case_insensitive) out += "~";
    out += " ";
    append_json(out, Value::of_string(matcher.source));
  }
  for (std::size_t i = 0; i < node.cidrs.size(); ++i) out += " <cidr>";
  out += ")";
}

}  // namespace

void describe_bool(const Program& program, std::uint32_t index, std::string& out) {
  const BoolNode& node = program.bools[index];
  switch (node.op) {
    case BoolOp::True: out += "true"; return;
    case BoolOp::False: out += "false"; return;
    case BoolOp::Leaf: describe_node(program, program.leaves[node.leaf].root, out); return;
    case BoolOp::Not: out += "(not "; break;
    case BoolOp::And: out += "(and"; break;
    case BoolOp::Or: out += "(or"; break;
  }
  for (std::size_t i = 0; i < node.children.size(); ++i) {
    if (node.op != BoolOp::Not || i > 0) out += " ";
    describe_bool(program, node.children[i], out);
  }
  out += ")";
}

namespace {

// ---- shared ids ----------------------------------------------------------------------------

// Appends a length-prefixed string, so that no two different sequences of parts spell the
// same key.
}  // namespace

void key_text(std::string& key, std::string_view text) {
  key += std::to_string(text.size());
  key += ':';
  key += text;
}

namespace {

void key_value(std::string& key, const Value& value) {
  key += static_cast<char>('0' + static_cast<int>(value.kind));
  switch (value.kind) {
    case ValueKind::Null: break;
    case ValueKind::Bool: key += value.boolean ? 't' : 'f'; break;
    case ValueKind::Int: key += std::to_string(value.integer); key += ';'; break;
    case ValueKind::Double: {
      std::uint64_t bits = 0;
      std::memcpy(&bits, &value.number, sizeof bits);
      key += std::to_string(bits);
      key += ';';
      break;
    }
    case ValueKind::String: key_text(key, value.string); break;
  }
}

void key_node(const Program& program, const Leaf& leaf, std::uint32_t index, std::string& key) {
  const Node& node = program.nodes[index];
  key += '(';
  key += std::to_string(static_cast<int>(node.op));
  key += ',';
  key += std::to_string(static_cast<int>(node.domain));
  key += ',';
  key += std::to_string(static_cast<int>(node.function));
  key += node.case_insensitive ? "~" : "=";
  switch (node.op) {
    case Op::Constant: key_value(key, node.constant); break;
    case Op::Lineage:
      // The answer depends on the source (one per runner) and the condition it registered.
      key += std::to_string(reinterpret_cast<std::uintptr_t>(node.lineage));
      key += ':';
      key += std::to_string(static_cast<int>(node.relation));
      key += ':';
      key += std::to_string(node.lineage_condition);
      break;
    case Op::ArraySearch: key_text(key, node.array_search->key); break;
    case Op::Slot: {
      // By position in the leaf: the slots themselves are spelled out by leaf_key.
      auto at = std::find(leaf.slots.begin(), leaf.slots.end(), node.slot);
      key += '$';
      key += std::to_string(at - leaf.slots.begin());
      break;
    }
    default: break;
  }
  key_text(key, node.date_format);
  for (const Matcher& matcher : node.matchers) {
    key += 'm';
    key += std::to_string(static_cast<int>(matcher.kind));
    key += matcher.case_insensitive ? "~" : "=";
    key_text(key, matcher.source);
    key_text(key, matcher.literal);
  }
  for (const CidrBlock& block : node.cidrs) {
    key += 'c';
    key.append(reinterpret_cast<const char*>(block.network.bytes.data()), block.network.bytes.size());
    key += std::to_string(block.prefix_bits);
  }
  for (std::uint32_t arg : node.args) key_node(program, leaf, arg, key);
  key += ')';
}

// Everything a leaf's result depends on: each field occurrence (in odometer order, which
// bounds the work on pathological events) and the node tree.
}  // namespace

std::string leaf_key(const Program& program, const Leaf& leaf) {
  std::string key;
  // Most keys are a few hundred bytes: one allocation instead of the doublings from empty
  // (the corpus's 10,700 leaves).
  key.reserve(256);
  for (std::uint32_t slot_index : leaf.slots) {
    const Slot& slot = program.slots[slot_index];
    key += slot.of_event ? 'e' : 's';
    if (slot.alias >= 0) {  // another event's field: the leaf is not the same as one on the event's own
      key += 'a';
      key_text(key, program.aliases[static_cast<std::size_t>(slot.alias)]);
    }
    key_text(key, slot.path);
    key += std::to_string(static_cast<int>(slot.type));
    if (slot.has_null_value) {
      key += 'n';
      key_value(key, slot.null_value);
    }
  }
  key_node(program, leaf, leaf.root, key);
  return key;
}

namespace {

class Interner {
 public:
  std::uint32_t id(std::string_view text) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = ids_.find(text);
    if (found != ids_.end()) return found->second;
    auto id = static_cast<std::uint32_t>(ids_.size());
    ids_.emplace(std::string(text), id);
    return id;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::uint32_t, std::less<>> ids_;
};

}  // namespace

std::string describe_leaf(const Program& program, const Leaf& leaf) {
  std::string out;
  describe_node(program, leaf.root, out);
  return out;
}

void index_long_lists(Program& program) {
  constexpr std::size_t kLong = 4;  // shorter lists are as fast to scan
  auto ascii = [](std::string_view text) { return text::is_ascii(text); };
  auto lower = [](std::string text) {
    for (char& c : text) c = ascii_lower(c);
    return text;
  };
  for (Node& node : program.nodes) {
    node.folds_ascii_value = std::any_of(node.matchers.begin(), node.matchers.end(), [](const Matcher& m) {
      return m.kind == Matcher::Kind::Wildcard && m.case_insensitive;
    });
    std::vector<std::string> set;
    std::vector<std::uint32_t> unlisted;
    bool case_insensitive = node.case_insensitive;
    if (node.op == Op::In && node.domain == Domain::Generic) {
      for (std::uint32_t i = 1; i < node.args.size(); ++i) {
        const Node& candidate = program.nodes[node.args[i]];
        if (candidate.op == Op::Constant && candidate.constant.kind == ValueKind::String &&
            ascii(candidate.constant.string)) {
          std::string text(candidate.constant.string);
          set.push_back(case_insensitive ? lower(std::move(text)) : std::move(text));
        } else {
          unlisted.push_back(i);
        }
      }
    } else if (node.op == Op::Match) {
      auto first_equal = std::find_if(node.matchers.begin(), node.matchers.end(),
                                      [](const Matcher& m) { return m.kind == Matcher::Kind::Equal; });
      if (first_equal == node.matchers.end()) continue;
      case_insensitive = first_equal->case_insensitive;
      for (std::uint32_t i = 0; i < node.matchers.size(); ++i) {
        const Matcher& matcher = node.matchers[i];
        if (matcher.kind == Matcher::Kind::Equal && matcher.case_insensitive == case_insensitive &&
            ascii(matcher.literal)) {
          set.push_back(case_insensitive ? lower(matcher.literal) : matcher.literal);
        } else {
          unlisted.push_back(i);
        }
      }
    } else {
      continue;
    }
    if (set.size() < kLong) continue;
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
    node.ascii_set = std::move(set);
    node.ascii_set_case_insensitive = case_insensitive;
    node.unlisted = std::move(unlisted);
  }
}

std::uint32_t intern_field_path(std::string_view path) {
  static Interner fields;
  return fields.id(path);
}

std::uint32_t intern_leaf(const std::string& key) {
  static Interner leaves;
  return leaves.id(key);
}

}  // namespace eql::detail
