// Canonical EQL and the structural dump. Both walk the AST once; the parser bounds its depth.
#include "eql/printer.h"

#include <cmath>
#include <cstdio>

#include "syntax/strings.h"

namespace eql {

const char* ast::pipe_name(ast::PipeKind kind) {
  switch (kind) {
    case ast::PipeKind::Head: return "head";
    case ast::PipeKind::Tail: return "tail";
    case ast::PipeKind::Count: return "count";
    case ast::PipeKind::Unique: return "unique";
    case ast::PipeKind::UniqueCount: return "unique_count";
    case ast::PipeKind::Sort: return "sort";
    case ast::PipeKind::Filter: return "filter";
  }
  return "head";
}

const char* ast::lineage_relation_name(ast::LineageRelation relation) {
  switch (relation) {
    case ast::LineageRelation::Descendant: return "descendant";
    case ast::LineageRelation::Child: return "child";
    case ast::LineageRelation::Event: return "event";
  }
  return "descendant";
}

namespace {

const char* compare_symbol(ast::CompareOp op) {
  switch (op) {
    case ast::CompareOp::Eq: return "==";
    case ast::CompareOp::NotEq: return "!=";
    case ast::CompareOp::Less: return "<";
    case ast::CompareOp::LessEq: return "<=";
    case ast::CompareOp::Greater: return ">";
    case ast::CompareOp::GreaterEq: return ">=";
  }
  return "==";
}

char arith_symbol(ast::ArithOp op) {
  switch (op) {
    case ast::ArithOp::Add: return '+';
    case ast::ArithOp::Sub: return '-';
    case ast::ArithOp::Mul: return '*';
    case ast::ArithOp::Div: return '/';
    case ast::ArithOp::Mod: return '%';
  }
  return '+';
}

std::string match_symbol(const ast::Match& m) {
  switch (m.op) {
    case ast::MatchOp::Colon: return ":";
    case ast::MatchOp::Like: return m.case_insensitive ? "like~" : "like";
    case ast::MatchOp::Regex: return m.case_insensitive ? "regex~" : "regex";
  }
  return ":";
}

std::string format_decimal(double value) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  std::string text = buffer;
  // Keep the shortest spelling that reads back as the same double.
  for (int precision = 1; precision < 17; ++precision) {
    std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) {
      text = buffer;
      break;
    }
  }
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";  // stay a decimal
  return text;
}

std::string path_text(const ast::Field& field);

// `$entry.name` and `event0.file.name` (endpoint dialect) put their prefix before the path.
std::string field_text(const ast::Field& field) {
  std::string prefix = field.optional ? "?" : "";
  if (!field.variable.empty()) {
    prefix += "$" + field.variable;
    return field.name.empty() ? prefix : prefix + "." + path_text(field);
  }
  if (!field.event_alias.empty()) prefix += field.event_alias + ".";
  return prefix + path_text(field);
}

std::string path_text(const ast::Field& field) {
  bool plain = true;
  std::size_t start = 0;
  while (plain) {
    std::size_t dot = field.name.find('.', start);
    std::string_view segment(field.name.data() + start,
                             (dot == std::string::npos ? field.name.size() : dot) - start);
    plain = syntax::is_plain_identifier(segment);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (plain) return field.name;
  std::string text = "`";
  for (char c : field.name) {
    text += c;
    if (c == '`') text += '`';
  }
  return text + '`';
}

std::string string_text(const ast::StringLiteral& s) {
  std::size_t trailing_quotes = 0;
  while (trailing_quotes < s.value.size() &&
         s.value[s.value.size() - 1 - trailing_quotes] == '"') {
    ++trailing_quotes;
  }
  if (s.raw && s.value.find("\"\"\"") == std::string::npos && trailing_quotes <= 2) {
    return "\"\"\"" + s.value + "\"\"\"";
  }
  return quote_string(s.value);
}

// Binding strength, loosest first; used to decide where parentheses are needed.
enum Precedence { kOr = 1, kAnd, kNot, kPredicate, kAdditive, kMultiplicative, kUnary, kPrimary };

int precedence(const ast::Expr& e) {
  if (auto* l = e.as<ast::Logical>()) return l->op == ast::LogicOp::Or ? kOr : kAnd;
  if (e.as<ast::Not>() || e.as<ast::Lineage>()) return kNot;
  if (e.as<ast::Compare>() || e.as<ast::In>() || e.as<ast::Match>()) return kPredicate;
  if (auto* a = e.as<ast::Arith>()) {
    return a->op == ast::ArithOp::Add || a->op == ast::ArithOp::Sub ? kAdditive : kMultiplicative;
  }
  if (e.as<ast::Negate>()) return kUnary;
  // A negative number prints as `-5`, which reads back through the unary rule.
  if (auto* i = e.as<ast::IntLiteral>(); i && i->value < 0) return kUnary;
  if (auto* d = e.as<ast::DecimalLiteral>(); d && std::signbit(d->value)) return kUnary;
  return kPrimary;
}

class EqlPrinter {
 public:
  std::string out;

  void expr(const ast::Expr& e) { std::visit([&](const auto& node) { print(node); }, e.node); }

  void operand(const ast::Expr& e, int minimum) {
    if (precedence(e) < minimum) {
      out += '(';
      expr(e);
      out += ')';
    } else {
      expr(e);
    }
  }

  void print(const ast::NullLiteral&) { out += "null"; }
  void print(const ast::BoolLiteral& b) { out += b.value ? "true" : "false"; }
  void print(const ast::IntLiteral& i) { out += std::to_string(i.value); }
  void print(const ast::DecimalLiteral& d) { out += format_decimal(d.value); }
  void print(const ast::StringLiteral& s) { out += string_text(s); }
  void print(const ast::Field& f) { out += field_text(f); }
  void print(const ast::Not& n) {
    out += "not ";
    operand(*n.operand, kNot);
  }
  void print(const ast::Logical& l) {
    int level = l.op == ast::LogicOp::Or ? kOr : kAnd;
    for (std::size_t i = 0; i < l.operands.size(); ++i) {
      if (i > 0) out += l.op == ast::LogicOp::Or ? " or " : " and ";
      // A nested chain of the same operator is its own node: keep its parentheses.
      operand(*l.operands[i], level + 1);
    }
  }
  void print(const ast::Compare& c) {
    operand(*c.left, kAdditive);
    out += ' ';
    out += compare_symbol(c.op);
    out += ' ';
    operand(*c.right, kAdditive);
  }
  void print(const ast::Arith& a) {
    int level = a.op == ast::ArithOp::Add || a.op == ast::ArithOp::Sub ? kAdditive : kMultiplicative;
    operand(*a.left, level);
    out += ' ';
    out += arith_symbol(a.op);
    out += ' ';
    operand(*a.right, level + 1);
  }
  void print(const ast::Negate& n) {
    out += '-';
    operand(*n.operand, kUnary);
  }
  void print(const ast::In& in) {
    operand(*in.value, kPrimary);
    out += in.negated ? " not in" : " in";
    if (in.case_insensitive) out += '~';
    out += " (";
    for (std::size_t i = 0; i < in.candidates.size(); ++i) {
      if (i > 0) out += ", ";
      expr(*in.candidates[i]);
    }
    out += ')';
  }
  void print(const ast::Match& m) {
    operand(*m.value, kPrimary);
    std::string symbol = match_symbol(m);
    out += symbol == ":" ? " : " : " " + symbol + " ";
    if (m.list) out += '(';
    for (std::size_t i = 0; i < m.patterns.size(); ++i) {
      if (i > 0) out += ", ";
      out += string_text(m.patterns[i]);
    }
    if (m.list) out += ')';
  }
  void print(const ast::Call& c) {
    out += c.name;
    if (c.case_insensitive) out += '~';
    out += '(';
    for (std::size_t i = 0; i < c.args.size(); ++i) {
      if (i > 0) out += ", ";
      expr(*c.args[i]);
    }
    out += ')';
  }
  void print(const ast::Lineage& l) {
    out += ast::lineage_relation_name(l.relation);
    out += " of [";
    filter(l.filter);
    out += ']';
  }

  void keys(const std::vector<ast::ExprPtr>& list) {
    if (list.empty()) return;
    out += " by ";
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (i > 0) out += ", ";
      expr(*list[i]);
    }
  }
  void filter(const ast::EventFilter& f) {
    if (f.any) {
      out += "any";
    } else if (syntax::is_plain_identifier(f.category)) {
      out += f.category;
    } else {
      out += quote_string(f.category);
    }
    out += " where ";
    expr(*f.condition);
  }
  void term(const ast::Term& t) {
    out += t.missing ? "![" : "[";
    filter(t.filter);
    out += ']';
    keys(t.keys);
    if (t.runs != 1) out += " with runs=" + std::to_string(t.runs);
    if (!t.alias.empty()) out += " as " + t.alias;
  }
  void body(const ast::EventFilter& f) { filter(f); }
  void body(const ast::Sequence& s) {
    out += "sequence";
    keys(s.keys);
    if (s.maxspan) out += " with maxspan=" + std::to_string(s.maxspan->value) + s.maxspan->unit;
    for (const auto& t : s.terms) {
      out += ' ';
      term(t);
    }
    if (s.until) {
      out += " until ";
      term(*s.until);
    }
  }
  void body(const ast::Sample& s) {
    out += "sample";
    keys(s.keys);
    for (const auto& t : s.terms) {
      out += ' ';
      term(t);
    }
  }
  void pipe(const ast::Pipe& p) {
    out += " | ";
    out += ast::pipe_name(p.kind);
    for (std::size_t i = 0; i < p.args.size(); ++i) {
      out += i == 0 ? " " : ", ";
      expr(*p.args[i]);
      if (i < p.descending.size() && p.descending[i]) out += " desc";
    }
  }
};

class Dumper {
 public:
  std::string out;

  void expr(const ast::Expr& e) { std::visit([&](const auto& node) { print(node); }, e.node); }

  void print(const ast::NullLiteral&) { out += "null"; }
  void print(const ast::BoolLiteral& b) { out += b.value ? "true" : "false"; }
  void print(const ast::IntLiteral& i) { out += std::to_string(i.value); }
  void print(const ast::DecimalLiteral& d) { out += format_decimal(d.value); }
  void print(const ast::StringLiteral& s) { out += quote_string(s.value); }
  void print(const ast::Field& f) { out += field_text(f); }
  void print(const ast::Not& n) { node("not", {n.operand.get()}); }
  void print(const ast::Logical& l) {
    out += l.op == ast::LogicOp::Or ? "(or" : "(and";
    for (const auto& o : l.operands) {
      out += ' ';
      expr(*o);
    }
    out += ')';
  }
  void print(const ast::Compare& c) { node(compare_symbol(c.op), {c.left.get(), c.right.get()}); }
  void print(const ast::Arith& a) {
    node(std::string(1, arith_symbol(a.op)), {a.left.get(), a.right.get()});
  }
  void print(const ast::Negate& n) { node("neg", {n.operand.get()}); }
  void print(const ast::In& in) {
    out += in.negated ? "(not-in" : "(in";
    if (in.case_insensitive) out += '~';
    out += ' ';
    expr(*in.value);
    out += " [";
    for (std::size_t i = 0; i < in.candidates.size(); ++i) {
      if (i > 0) out += ' ';
      expr(*in.candidates[i]);
    }
    out += "])";
  }
  void print(const ast::Match& m) {
    out += "(" + match_symbol(m) + " ";
    expr(*m.value);
    out += " [";
    for (std::size_t i = 0; i < m.patterns.size(); ++i) {
      if (i > 0) out += ' ';
      out += quote_string(m.patterns[i].value);
    }
    out += "])";
  }
  void print(const ast::Call& c) {
    out += "(call " + c.name + (c.case_insensitive ? "~" : "");
    for (const auto& a : c.args) {
      out += ' ';
      expr(*a);
    }
    out += ')';
  }
  void print(const ast::Lineage& l) {
    out += std::string("(") + ast::lineage_relation_name(l.relation) + "-of ";
    filter(l.filter);
    out += ')';
  }

  void node(const std::string& head, std::initializer_list<const ast::Expr*> children) {
    out += "(" + head;
    for (const ast::Expr* child : children) {
      out += ' ';
      expr(*child);
    }
    out += ')';
  }
  void keys(const std::vector<ast::ExprPtr>& list) {
    if (list.empty()) return;
    out += " (by";
    for (const auto& k : list) {
      out += ' ';
      expr(*k);
    }
    out += ')';
  }
  void filter(const ast::EventFilter& f) {
    out += f.any ? std::string("any") : quote_string(f.category);
    out += ' ';
    expr(*f.condition);
  }
  void term(const char* head, const ast::Term& t) {
    out += std::string(" (") + head + " ";
    filter(t.filter);
    keys(t.keys);
    if (t.runs != 1) out += " (runs " + std::to_string(t.runs) + ")";
    if (!t.alias.empty()) out += " (as " + t.alias + ")";
    out += ')';
  }
  void body(const ast::EventFilter& f) {
    out += "(event ";
    filter(f);
    out += ')';
  }
  void body(const ast::Sequence& s) {
    out += "(sequence";
    keys(s.keys);
    if (s.maxspan) {
      out += " (maxspan " + std::to_string(s.maxspan->value) + s.maxspan->unit + ")";
    }
    for (const auto& t : s.terms) term(t.missing ? "missing" : "term", t);
    if (s.until) term("until", *s.until);
    out += ')';
  }
  void body(const ast::Sample& s) {
    out += "(sample";
    keys(s.keys);
    for (const auto& t : s.terms) term("term", t);
    out += ')';
  }
  void pipe(const ast::Pipe& p) {
    out += std::string(" (| ") + ast::pipe_name(p.kind);
    for (std::size_t i = 0; i < p.args.size(); ++i) {
      out += ' ';
      expr(*p.args[i]);
      if (i < p.descending.size() && p.descending[i]) out += " desc";
    }
    out += ')';
  }
};

}  // namespace

std::string quote_string(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        // NUL stays a raw byte: Elasticsearch refuses \u{00}, so no escape reads back as it.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\0') {
          char buffer[12];
          std::snprintf(buffer, sizeof buffer, "\\u{%02x}", static_cast<unsigned>(c));
          out += buffer;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string to_eql(const ast::Expr& expr) {
  EqlPrinter printer;
  printer.expr(expr);
  return printer.out;
}

std::string to_eql(const ast::Query& query) {
  EqlPrinter printer;
  std::visit([&](const auto& body) { printer.body(body); }, query.body);
  for (const auto& p : query.pipes) printer.pipe(p);
  return printer.out;
}

std::string dump(const ast::Expr& expr) {
  Dumper dumper;
  dumper.expr(expr);
  return dumper.out;
}

std::string dump(const ast::Query& query) {
  Dumper dumper;
  std::visit([&](const auto& body) { dumper.body(body); }, query.body);
  if (!query.pipes.empty()) {
    std::string with_pipes = "(pipes " + dumper.out;
    dumper.out.clear();
    for (const auto& p : query.pipes) dumper.pipe(p);
    return with_pipes + dumper.out + ")";
  }
  return dumper.out;
}

}  // namespace eql
