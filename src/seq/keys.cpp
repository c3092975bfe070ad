#include "seq/keys.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <string_view>

namespace eql {

namespace {

template <typename T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace

std::string JoinValue::display() const {
  switch (kind) {
    case Kind::Null: return "null";
    case Kind::Bool: return boolean ? "true" : "false";
    case Kind::Number:
      return is_integer ? std::to_string(integer) : to_display_string(Value::of_double(number));
    case Kind::Date:
      return epoch_millis ? std::to_string(integer / 1'000'000) : format_date(integer, nanos);
    case Kind::Text:
    case Kind::Ip:
    case Kind::Version: return text;
  }
  return "null";
}

int compare(const JoinValue& a, const JoinValue& b) {
  if (a.kind != b.kind) return three_way(static_cast<int>(a.kind), static_cast<int>(b.kind));
  switch (a.kind) {
    case JoinValue::Kind::Null: return 0;
    case JoinValue::Kind::Bool: return three_way(a.boolean, b.boolean);
    case JoinValue::Kind::Number:
      if (a.is_integer && b.is_integer) return three_way(a.integer, b.integer);
      return three_way(a.is_integer ? static_cast<double>(a.integer) : a.number,
                       b.is_integer ? static_cast<double>(b.integer) : b.number);
    case JoinValue::Kind::Date: return three_way(a.integer, b.integer);
    case JoinValue::Kind::Ip: return three_way(a.ip, b.ip);
    case JoinValue::Kind::Version: {
      int c = compare_versions(a.text, b.text);
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case JoinValue::Kind::Text: {
      int c = a.text.compare(b.text);
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
  }
  return 0;
}

int compare(const CompositeKey& a, const CompositeKey& b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (int c = compare(a[i], b[i]); c != 0) return c;
  }
  return three_way(a.size(), b.size());
}

namespace seq {

namespace {

/// Makes `out` the null value, keeping its text buffer.
void reset_join_value(JoinValue& out) {
  out.kind = JoinValue::Kind::Null;
  out.boolean = false;
  out.is_integer = false;
  out.integer = 0;
  out.number = 0;
  out.text.clear();
  out.ip = IpAddress{};
  out.nanos = false;
  out.epoch_millis = false;
}

/// Reads one non-null value as the key field's type into `out`, whatever `out` held
/// before (its text buffer is reused: key text is mostly ids longer than the inline
/// buffer of std::string).
void read_join_value(const Value& value, const KeyField& field, JoinValue& out) {
  reset_join_value(out);
  auto set_display_text = [&] {
    if (value.kind == ValueKind::String) {
      out.text.assign(value.string);  // what to_display_string gives, without a temporary
    } else {
      out.text = to_display_string(value);
    }
  };
  switch (field.type) {
    case FieldType::Date:
    case FieldType::DateNanos:
      if (auto instant = date_of(value, field.date_format)) {
        out.kind = JoinValue::Kind::Date;
        out.integer = *instant;
        out.nanos = field.type == FieldType::DateNanos;
        return;
      }
      break;
    case FieldType::Ip:
      if (value.kind == ValueKind::String) {
        if (auto address = parse_ip(value.string)) {
          out.kind = JoinValue::Kind::Ip;
          out.ip = *address;
          out.text.assign(value.string);
          return;
        }
      }
      break;
    case FieldType::Version:
      out.kind = JoinValue::Kind::Version;
      set_display_text();
      return;
    case FieldType::String:
    case FieldType::Text:
      // A keyword field indexes every value as text: 1234 and "1234" are one key.
      out.kind = JoinValue::Kind::Text;
      set_display_text();
      return;
    default: break;
  }
  switch (value.kind) {
    case ValueKind::Bool:
      out.kind = JoinValue::Kind::Bool;
      out.boolean = value.boolean;
      break;
    case ValueKind::Int:
      out.kind = JoinValue::Kind::Number;
      out.is_integer = true;
      out.integer = value.integer;
      break;
    case ValueKind::Double:
      out.kind = JoinValue::Kind::Number;
      out.number = value.number;
      break;
    case ValueKind::String:
      out.kind = JoinValue::Kind::Text;
      out.text.assign(value.string);
      break;
    case ValueKind::Null: break;
  }
}

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

std::uint64_t combine(std::uint64_t seed, std::uint64_t value_hash) {
  return mix(seed ^ (value_hash + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2)));
}

constexpr std::uint64_t kKeySeed = 0x51afd7ed558ccd1dULL;

}  // namespace

void add_key_paths(const std::vector<KeyField>& keys, std::vector<std::string>& paths) {
  for (const KeyField& key : keys) {
    if (!key.always_null && !key.path.empty()) paths.push_back(key.path);
  }
}

std::vector<KeyField> compile_keys(const std::vector<const ast::Expr*>& keys,
                                   const FieldTypes& types, Diagnostics& diagnostics) {
  std::vector<KeyField> fields;
  for (const ast::Expr* key : keys) {
    KeyField field;
    const auto* reference = key->as<ast::Field>();
    if (!reference) {
      diagnostics.push_back({Severity::Error, "eval.join-key",
                             "a join key must be a field", key->span,
                             "write `by process.entity_id`, not an expression"});
      fields.push_back(field);
      continue;
    }
    field.name = reference->name;
    field.path = reference->name;
    field.optional = reference->optional;
    if (auto info = types.lookup(reference->name)) {
      field.type = info->type;
      if (!info->path.empty()) field.path = info->path;
      field.date_format = info->date_format;
      field.null_value = info->null_value;
    } else if (types.closed()) {
      if (reference->optional) {
        field.always_null = true;
      } else {
        diagnostics.push_back({Severity::Error, "eval.unknown-field",
                               "unknown join key field `" + reference->name + "`", key->span,
                               "mark it optional (`?" + reference->name + "`) if it may be absent"});
      }
    }
    fields.push_back(std::move(field));
  }
  return fields;
}

std::uint64_t hash_value(const JoinValue& value) {
  auto kind = static_cast<std::uint64_t>(value.kind) << 56;
  switch (value.kind) {
    case JoinValue::Kind::Null: return mix(kind);
    case JoinValue::Kind::Bool: return mix(kind | (value.boolean ? 1 : 0));
    case JoinValue::Kind::Number: {
      // compare() meets an integer and a double as doubles, so both hash as the double.
      double number = value.is_integer ? static_cast<double>(value.integer) : value.number;
      if (number == 0) number = 0;  // -0 equals 0
      std::uint64_t bits = 0;
      std::memcpy(&bits, &number, sizeof bits);
      return mix(kind ^ bits);
    }
    case JoinValue::Kind::Date: return mix(kind ^ static_cast<std::uint64_t>(value.integer));
    case JoinValue::Kind::Ip: {
      std::string_view bytes(reinterpret_cast<const char*>(value.ip.bytes.data()), value.ip.bytes.size());
      return mix(kind ^ std::hash<std::string_view>{}(bytes));
    }
    case JoinValue::Kind::Version: return mix(kind);
    case JoinValue::Kind::Text: return mix(kind ^ std::hash<std::string_view>{}(value.text));
  }
  return mix(kind);
}

std::uint64_t hash_key(const CompositeKey& key) {
  std::uint64_t hash = kKeySeed;
  for (const JoinValue& value : key) hash = combine(hash, hash_value(value));
  return hash;
}

void EventKeys::read(const Event& event, const std::vector<KeyField>& fields, std::size_t limit,
                     bool& overflow) {
  overflow = false;
  key_count_ = 0;
  positions_.resize(fields.size());
  std::size_t product = 1;
  for (std::size_t p = 0; p < fields.size(); ++p) {
    const KeyField& field = fields[p];
    Position& position = positions_[p];
    position.count = 0;
    auto append = [&](const Value& raw) {
      if (position.count == position.values.size()) position.values.emplace_back();
      read_join_value(raw, field, position.values[position.count++]);
    };
    if (!field.always_null) {
      for (const Value& raw : event.values(field.path)) {
        if (raw.is_null()) {
          if (field.null_value) append(Value::of_string(*field.null_value));
          continue;
        }
        append(raw);
      }
    }
    if (position.count > 1) {
      auto begin = position.values.begin();
      auto end = begin + static_cast<std::ptrdiff_t>(position.count);
      std::sort(begin, end, [](const JoinValue& a, const JoinValue& b) { return compare(a, b) < 0; });
      end = std::unique(begin, end, [](const JoinValue& a, const JoinValue& b) { return compare(a, b) == 0; });
      position.count = static_cast<std::size_t>(end - begin);
    }
    if (position.count == 0) {
      if (!field.optional) return;
      if (position.values.empty()) position.values.emplace_back();
      reset_join_value(position.values[0]);  // an optional key without a value joins as null
      position.count = 1;
    }
    product *= position.count;
    if (product > limit) {
      overflow = true;
      return;
    }
    position.hashes.resize(position.count);
    for (std::size_t v = 0; v < position.count; ++v) position.hashes[v] = hash_value(position.values[v]);
  }
  // Key k picks value (k / stride) % count at each position: the last position varies
  // fastest, which lists the product in sorted order.
  std::size_t stride = 1;
  for (std::size_t p = fields.size(); p-- > 0;) {
    positions_[p].stride = stride;
    stride *= positions_[p].count;
  }
  key_count_ = product;
}

std::uint64_t EventKeys::hash(std::size_t key) const {
  std::uint64_t hash = kKeySeed;
  for (const Position& p : positions_) hash = combine(hash, p.hashes[(key / p.stride) % p.count]);
  return hash;
}

bool EventKeys::equals(std::size_t key, const CompositeKey& other) const {
  if (other.size() != positions_.size()) return false;
  for (std::size_t p = 0; p < positions_.size(); ++p) {
    if (compare(value(key, p), other[p]) != 0) return false;
  }
  return true;
}

void EventKeys::copy_to(std::size_t key, CompositeKey& out) const {
  out.resize(positions_.size());
  for (std::size_t p = 0; p < positions_.size(); ++p) out[p] = value(key, p);
}

std::vector<CompositeKey> keys_of(const Event& event, const std::vector<KeyField>& fields,
                                  std::size_t limit, bool& overflow) {
  EventKeys keys;
  keys.read(event, fields, limit, overflow);
  std::vector<CompositeKey> out(keys.size());
  for (std::size_t k = 0; k < keys.size(); ++k) keys.copy_to(k, out[k]);
  return out;
}

}  // namespace seq
}  // namespace eql
