#include "seq/keys.h"

#include <algorithm>

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

/// Reads one non-null value as the key field's type.
JoinValue join_value(const Value& value, const KeyField& field) {
  JoinValue out;
  switch (field.type) {
    case FieldType::Date:
    case FieldType::DateNanos:
      if (auto instant = date_of(value, field.date_format)) {
        out.kind = JoinValue::Kind::Date;
        out.integer = *instant;
        out.nanos = field.type == FieldType::DateNanos;
        return out;
      }
      break;
    case FieldType::Ip:
      if (value.kind == ValueKind::String) {
        if (auto address = parse_ip(value.string)) {
          out.kind = JoinValue::Kind::Ip;
          out.ip = *address;
          out.text = std::string(value.string);
          return out;
        }
      }
      break;
    case FieldType::Version:
      out.kind = JoinValue::Kind::Version;
      out.text = to_display_string(value);
      return out;
    case FieldType::String:
    case FieldType::Text:
      // A keyword field indexes every value as text: 1234 and "1234" are one key.
      out.kind = JoinValue::Kind::Text;
      out.text = to_display_string(value);
      return out;
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
      out.text = std::string(value.string);
      break;
    case ValueKind::Null: break;
  }
  return out;
}

}  // namespace

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

std::vector<CompositeKey> keys_of(const Event& event, const std::vector<KeyField>& fields,
                                  std::size_t limit, bool& overflow) {
  overflow = false;
  std::vector<std::vector<JoinValue>> positions;
  positions.reserve(fields.size());
  std::size_t product = 1;
  for (const KeyField& field : fields) {
    std::vector<JoinValue> values;
    if (!field.always_null) {
      for (const Value& raw : event.values(field.path)) {
        if (raw.is_null()) {
          if (field.null_value) values.push_back(join_value(Value::of_string(*field.null_value), field));
          continue;
        }
        values.push_back(join_value(raw, field));
      }
    }
    std::sort(values.begin(), values.end(),
              [](const JoinValue& a, const JoinValue& b) { return compare(a, b) < 0; });
    values.erase(std::unique(values.begin(), values.end(),
                             [](const JoinValue& a, const JoinValue& b) { return compare(a, b) == 0; }),
                 values.end());
    if (values.empty()) {
      if (!field.optional) return {};
      values.emplace_back();  // null
    }
    product *= values.size();
    if (product > limit) {
      overflow = true;
      return {};
    }
    positions.push_back(std::move(values));
  }
  // The cartesian product, in sorted order of the composite keys.
  std::vector<CompositeKey> keys(1);
  for (const auto& values : positions) {
    std::vector<CompositeKey> next;
    next.reserve(keys.size() * values.size());
    for (const auto& prefix : keys) {
      for (const auto& value : values) {
        next.push_back(prefix);
        next.back().push_back(value);
      }
    }
    keys = std::move(next);
  }
  return keys;
}

}  // namespace seq
}  // namespace eql
