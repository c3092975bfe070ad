// The skim is a strict recogniser of a TOML subset: every construct it accepts is valid
// TOML 1.0 that toml++ parses, and the table/key bookkeeping refuses every redefinition
// toml++ reports. Anything else (including what would be valid TOML outside the subset)
// makes it give up, so a file the skim passes over could not have had a diagnostic.
#include "rules/toml_skim.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace eql::rules_internal {

namespace {

// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF), and no
// CR, DEL or control character but tab and line feed anywhere: the skim then need not
// check characters inside strings and comments one by one.
// A table of the ASCII bytes allowed anywhere: one load per byte, not three comparisons.
struct PlainAscii {
  std::array<bool, 128> allowed{};
  constexpr PlainAscii() {
    for (int c = 0x20; c < 0x7F; ++c) allowed[static_cast<std::size_t>(c)] = true;
    allowed['\t'] = allowed['\n'] = true;
  }
};
constexpr PlainAscii kPlainAscii;

// Whether the 8 bytes of `word` are all ASCII from a space to `~`, tab or line feed: most
// of a rule file is passed 8 bytes at a time (each mask below is exact per byte, as no
// byte's sum carries into the next one once the high bits are known to be clear).
bool plain_word(std::uint64_t word) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  constexpr std::uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
  if ((word & kHigh) != 0) return false;
  auto zero_bytes = [](std::uint64_t x) { return ~(((x & kLow7) + kLow7) | x) & kHigh; };
  const std::uint64_t control = ~(word + 0x60 * kOnes) & kHigh;  // bytes below a space
  const std::uint64_t allowed = zero_bytes(word ^ ('\n' * kOnes)) | zero_bytes(word ^ ('\t' * kOnes));
  return (control & ~allowed) == 0 && zero_bytes(word ^ (0x7F * kOnes)) == 0;
}

bool plain_text(std::string_view text) {
  std::size_t at = 0;
  while (at < text.size()) {
    if (at + 8 <= text.size()) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + at, sizeof word);
      if (plain_word(word)) {
        at += 8;
        continue;
      }
    }
    auto c = static_cast<unsigned char>(text[at]);
    if (c < 0x80) {
      if (!kPlainAscii.allowed[c]) return false;
      ++at;
      continue;
    }
    std::size_t length = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (length == 0 || at + length > text.size()) return false;
    auto second = static_cast<unsigned char>(text[at + 1]);
    if ((c == 0xE0 && second < 0xA0) || (c == 0xED && second > 0x9F) || (c == 0xF0 && second < 0x90) ||
        (c == 0xF4 && second > 0x8F)) {
      return false;
    }
    for (std::size_t i = 1; i < length; ++i) {
      if ((static_cast<unsigned char>(text[at + i]) & 0xC0) != 0x80) return false;
    }
    at += length;
  }
  return true;
}

bool bare_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

class Skimmer {
 public:
  // The tables sized for a typical detection-rules file (about 40 keys, a dozen tables)
  // up front: growing them by rehashing, several times per file, cost more than the
  // larger first allocation.
  explicit Skimmer(std::string_view text) : text_(text) {
    values_.reserve(64);
    explicit_.reserve(16);
    implicit_.reserve(16);
  }

  std::optional<SkimmedRule> run() {
    std::string table;  // the resolved path of the table keys go into ("" is the root)
    bool in_rule = false;
    while (true) {
      skip_blank();
      if (at_end()) break;
      if (peek() == '#') {
        skip_comment();
      } else if (peek() == '[') {
        if (!header(table, in_rule)) return std::nullopt;
      } else if (!key_value(table, in_rule)) {
        return std::nullopt;
      }
      if (!line_end()) return std::nullopt;
    }
    // Checked last: the scan refuses most files outside the subset before their end.
    if (!rule_seen_ || !plain_text(text_)) return std::nullopt;
    rule_.values = std::move(values_);
    rule_.explicit_tables = std::move(explicit_);
    rule_.implicit_tables = std::move(implicit_);
    rule_.table_arrays = std::move(arrays_);
    return std::move(rule_);
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek(std::size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t')) ++pos_;
  }
  void skip_blank() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n')) ++pos_;
  }
  // plain_text has vetted every character a comment may hold.
  void skip_comment() {
    pos_ = std::min(text_.find('\n', pos_), text_.size());
  }
  // After a header or a key/value: spaces, maybe a comment, then a line feed or the end.
  bool line_end() {
    skip_space();
    if (peek() == '#') skip_comment();
    if (at_end()) return true;
    if (peek() != '\n') return false;
    ++pos_;
    return true;
  }

  bool bare_key(std::string& key) {
    std::size_t start = pos_;
    while (!at_end() && bare_key_char(peek())) ++pos_;
    if (pos_ == start) return false;
    key.assign(text_.substr(start, pos_ - start));
    return true;
  }

  // `[a.b]` or `[[a.b]]`, bare keys only, no spaces inside.
  bool header(std::string& table, bool& in_rule) {
    const std::size_t start = pos_;
    const bool array = peek(1) == '[';
    pos_ += array ? 2 : 1;
    std::vector<std::string> keys;
    do {
      if (!keys.empty()) ++pos_;  // the dot
      if (!bare_key(keys.emplace_back())) return false;
    } while (peek() == '.');
    if (array ? !(peek() == ']' && peek(1) == ']') : peek() != ']') return false;
    pos_ += array ? 2 : 1;
    // Every table above the last key, through the last element of an array of tables.
    std::string path;
    for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
      path += '.';
      path += keys[i];
      if (values_.count(path) != 0) return false;
      if (auto found = arrays_.find(path); found != arrays_.end()) {
        // The last element so far: its index is the count less one.
        path += '#' + std::to_string(found->second - 1);
      } else {
        implicit_.insert(path);
      }
    }
    path += '.';
    path += keys.back();
    if (values_.count(path) != 0 || explicit_.count(path) != 0) return false;
    if (array) {
      if (implicit_.count(path) != 0) return false;
      std::size_t index = arrays_[path]++;
      table = path + '#' + std::to_string(index);
    } else {
      if (arrays_.count(path) != 0) return false;
      explicit_.insert(path);
      table = path;
    }
    in_rule = !array && table == ".rule";
    if (in_rule) {
      rule_seen_ = true;
      rule_.rule_offset = static_cast<std::uint32_t>(start);
      // Lines and columns as toml++ counts them: the text is plain, columns in characters.
      std::string_view before = text_.substr(0, start);
      rule_.rule_line = static_cast<std::uint32_t>(std::count(before.begin(), before.end(), '\n')) + 1;
      std::size_t line_start = before.rfind('\n');
      line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
      std::uint32_t column = 1;
      for (std::size_t i = line_start; i < start; ++i) {
        if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++column;
      }
      rule_.rule_column = column;
    }
    return true;
  }

  // `key = value` with a bare key; the keys of [rule] the loader needs are kept.
  bool key_value(const std::string& table, bool in_rule) {
    std::string key;
    if (!bare_key(key)) return false;
    skip_space();
    if (peek() != '=') return false;
    ++pos_;
    skip_space();
    std::string path = table + '.' + key;
    if (values_.count(path) != 0 || explicit_.count(path) != 0 || implicit_.count(path) != 0 ||
        arrays_.count(path) != 0) {
      return false;
    }
    SkimValue& recorded = values_[std::move(path)];
    std::string* kept = nullptr;
    if (in_rule) {
      if (key == "language") kept = &rule_.language;
      else if (key == "type") kept = &rule_.type;
      else if (key == "rule_id") kept = &rule_.rule_id, rule_.has_rule_id = true;
      else if (key == "name") kept = &rule_.name;
      else if (key == "id") rule_.has_id = true;
    }
    if (kept != nullptr) {
      // These must be one-line strings: any other value is the full loader's to judge.
      bool read = false;
      recorded.begin = static_cast<std::uint32_t>(pos_);
      if (peek() == '"' && !(peek(1) == '"' && peek(2) == '"')) read = basic_string(kept);
      else if (peek() == '\'' && !(peek(1) == '\'' && peek(2) == '\'')) read = literal_string(kept);
      recorded.end = static_cast<std::uint32_t>(pos_);
      return read;
    }
    if (in_rule && (key == "note" || key == "setup") &&
        (text_.substr(pos_, 3) == "\"\"\"" || text_.substr(pos_, 3) == "'''")) {
      const std::size_t begin = pos_ + 3;
      if (!value(0, recorded)) return false;
      rule_.unread_strings.emplace_back(begin, pos_ - 3);
      return true;
    }
    return value(0, recorded);
  }

  // Records the kind and bytes of the value in `out` (and an array's elements).
  bool value(int depth, SkimValue& out) {
    out.begin = static_cast<std::uint32_t>(pos_);
    out.kind = classify(peek());
    const bool ok = any_value(depth, out);
    out.end = static_cast<std::uint32_t>(pos_);
    return ok;
  }
  static SkimValue::Kind classify(char c) {
    if (c == '"' || c == '\'') return SkimValue::Kind::String;
    if (c == '[') return SkimValue::Kind::Array;
    if (c == '{') return SkimValue::Kind::Table;
    if (c == 't' || c == 'f') return SkimValue::Kind::Boolean;
    return SkimValue::Kind::Integer;
  }

  bool any_value(int depth, SkimValue& out) {
    char c = peek();
    if (c == '"') {
      if (peek(1) == '"' && peek(2) == '"') return multiline_basic();
      return basic_string(nullptr);
    }
    if (c == '\'') {
      if (peek(1) == '\'' && peek(2) == '\'') return multiline_literal();
      return literal_string(nullptr);
    }
    if (c == '[') return array(depth, out);
    if (c == '{') return inline_table(depth);
    if (text_.substr(pos_, 4) == "true") return word(4);
    if (text_.substr(pos_, 5) == "false") return word(5);
    return integer();
  }

  // A keyword must end where a value ends: `truex` is not `true`.
  bool word(std::size_t length) {
    pos_ += length;
    return value_end();
  }
  bool value_end() const {
    char c = peek();
    return at_end() || c == ' ' || c == '\t' || c == '\n' || c == '#' || c == ',' || c == ']' || c == '}';
  }

  // `{ a = 1, b = "x" }` on one line: bare keys, each once, no trailing comma. Its keys
  // are not recorded: an inline table is complete, so to the bookkeeping its path is a
  // value, to which no header or key can add.
  bool inline_table(int depth) {
    if (depth > 8) return false;
    const std::size_t start = pos_++;
    skip_space();
    std::vector<std::string> keys;
    while (peek() != '}') {
      if (!keys.empty()) {
        if (peek() != ',') return false;
        ++pos_;
        skip_space();
      }
      std::string key;
      if (!bare_key(key) || std::find(keys.begin(), keys.end(), key) != keys.end()) return false;
      keys.push_back(std::move(key));
      skip_space();
      if (peek() != '=') return false;
      ++pos_;
      skip_space();
      SkimValue ignored;
      if (!value(depth + 1, ignored)) return false;
      skip_space();
    }
    ++pos_;  // }
    // TOML 1.0 lets a value inside span lines; toml++'s reading of that is not vouched for.
    return text_.substr(start, pos_ - start).find('\n') == std::string_view::npos;
  }

  // Decimal, no sign but `-`, no leading zero, no underscores: what the corpus writes.
  bool integer() {
    if (peek() == '-') ++pos_;
    std::size_t start = pos_;
    while (!at_end() && peek() >= '0' && peek() <= '9') ++pos_;
    std::size_t digits = pos_ - start;
    if (digits == 0 || digits > 18 || (digits > 1 && text_[start] == '0')) return false;
    return value_end();
  }

  bool array(int depth, SkimValue& out) {
    if (depth > 8) return false;
    ++pos_;  // [
    while (true) {
      skip_array_blank();
      if (peek() == ']') break;
      if (!value(depth + 1, out.elements.emplace_back())) return false;
      skip_array_blank();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != ']') return false;
      break;
    }
    ++pos_;  // ]
    return true;
  }
  // Inside an array, line feeds and comments are blank.
  void skip_array_blank() {
    while (true) {
      skip_blank();
      if (peek() != '#') return;
      skip_comment();
    }
  }

  // Escapes the skim decodes; \u, \U and anything else make it refuse.
  static char escaped(char c) {
    switch (c) {
      case 'b': return '\b';
      case 't': return '\t';
      case 'n': return '\n';
      case 'f': return '\f';
      case 'r': return '\r';
      case '"': return '"';
      case '\\': return '\\';
      default: return '\0';
    }
  }

  bool basic_string(std::string* out) {
    ++pos_;
    while (!at_end() && peek() != '"') {
      char c = peek();
      if (c == '\n') return false;
      if (c == '\\') {
        char decoded = escaped(peek(1));
        if (decoded == '\0') return false;
        if (out != nullptr) out->push_back(decoded);
        pos_ += 2;
        continue;
      }
      if (out != nullptr) out->push_back(c);
      ++pos_;
    }
    if (at_end()) return false;
    ++pos_;
    return true;
  }

  bool literal_string(std::string* out) {
    std::size_t start = ++pos_;
    std::size_t end = text_.find_first_of("'\n", start);
    if (end == std::string_view::npos || text_[end] != '\'') return false;
    if (out != nullptr) out->assign(text_.substr(start, end - start));
    pos_ = end + 1;
    return true;
  }

  // '''...''': the content is anything up to the first ''' (plain_text vetted it); a
  // quote right after the closing one (content ending in quotes) is left to toml++.
  bool multiline_literal() {
    std::size_t end = text_.find("'''", pos_ + 3);
    if (end == std::string_view::npos || (end + 3 < text_.size() && text_[end + 3] == '\'')) return false;
    pos_ = end + 3;
    return true;
  }

  // """...""": escapes as in a basic string, and a backslash ending a line.
  bool multiline_basic() {
    pos_ += 3;
    // Only quotes and backslashes matter (plain_text vetted the rest): each is found with
    // memchr, the next backslash kept until it is reached (find_first_of is a byte loop).
    std::size_t backslash = text_.find('\\', pos_);
    while (!at_end()) {
      if (backslash < pos_) backslash = text_.find('\\', pos_);
      pos_ = std::min({text_.find('"', pos_), backslash, text_.size()});
      if (at_end()) break;
      char c = peek();
      if (c == '"' && peek(1) == '"' && peek(2) == '"') {
        pos_ += 3;
        return peek() != '"';
      }
      if (c == '\\') {
        if (escaped(peek(1)) != '\0') {
          pos_ += 2;
          continue;
        }
        // A line-ending backslash: spaces, then a line feed.
        ++pos_;
        skip_space();
        if (peek() != '\n') return false;
        continue;
      }
      ++pos_;
    }
    return false;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  SkimmedRule rule_;
  bool rule_seen_ = false;
  // Resolved paths (".a.b", an array element ".a#0"): tables defined by a header, tables
  // only implied by one, arrays of tables with their length, and keys holding a value.
  // Hashed: ordered sets compared long shared prefixes (".rule.threat#0.technique#1"),
  // 0.06 G instructions more over the corpus, and nothing reads them in order.
  std::unordered_set<std::string> explicit_, implicit_;
  std::unordered_map<std::string, SkimValue> values_;
  std::unordered_map<std::string, std::size_t> arrays_;
};

}  // namespace

std::optional<SkimmedRule> skim_toml_rule(std::string_view text) { return Skimmer(text).run(); }

std::string without_unread_strings(std::string_view text, const SkimmedRule& skimmed) {
  std::string lighter;
  lighter.reserve(text.size());
  std::size_t copied = 0;
  for (const auto& [begin, end] : skimmed.unread_strings) {
    lighter.append(text.substr(copied, begin - copied));
    lighter.append(static_cast<std::size_t>(std::count(text.begin() + static_cast<std::ptrdiff_t>(begin),
                                                       text.begin() + static_cast<std::ptrdiff_t>(end), '\n')),
                   '\n');
    copied = end;
  }
  lighter.append(text.substr(copied));
  return lighter;
}

}  // namespace eql::rules_internal
