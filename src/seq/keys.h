// Join key extraction shared by sequences and samples (internal to src/seq/).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "eql/sequence.h"

namespace eql::seq {

/// How one key position reads an event: a field (resolved through aliases) of a known type.
struct KeyField {
  std::string name;     ///< as written
  std::string path;     ///< where the values are read
  FieldType type = FieldType::Unknown;
  std::string date_format;
  std::optional<std::string> null_value;  ///< mapping null_value: what a JSON null counts as
  bool optional = false;  ///< `?field`: no value is the value null
  bool always_null = false;  ///< `?field` unknown to a closed schema: folded to null

  bool operator==(const KeyField&) const = default;
};

/// Adds the paths `keys` read to `paths` (the fields a matcher reads).
void add_key_paths(const std::vector<KeyField>& keys, std::vector<std::string>& paths);

/// Builds the readers for `keys`; reports keys that are not fields.
std::vector<KeyField> compile_keys(const std::vector<const ast::Expr*>& keys,
                                   const FieldTypes& types, Diagnostics& diagnostics);

/// A hash agreeing with compare(): values that compare equal hash alike (integers hash as
/// the doubles they compare as; versions, whose order equates different spellings such as
/// `1.0` and `1.0.0`, hash by kind alone).
std::uint64_t hash_value(const JoinValue& value);
/// The hash of a composite key, as EventKeys::hash gives it.
std::uint64_t hash_key(const CompositeKey& key);

/// The composite keys one event takes: per position the sorted distinct non-null values
/// (an optional key without any takes null); the cartesian product of the positions, in
/// the sorted order of the composite keys. Nothing when a non-optional key has no value
/// (the event takes no part), or when the product would exceed `limit` (`overflow`).
///
/// The keys are not materialized: key `k` is a choice of one value per position. The
/// value buffers live on from event to event, so a matcher that owns one EventKeys reads
/// an event's keys without allocating once the buffers have grown to size.
class EventKeys {
 public:
  void read(const Event& event, const std::vector<KeyField>& fields, std::size_t limit,
            bool& overflow);

  std::size_t size() const { return key_count_; }
  const JoinValue& value(std::size_t key, std::size_t position) const {
    const Position& p = positions_[position];
    return p.values[(key / p.stride) % p.count];
  }
  std::uint64_t hash(std::size_t key) const;
  /// compare(key, other) == 0, without building the key.
  bool equals(std::size_t key, const CompositeKey& other) const;
  /// Overwrites `out` with key `key` (reusing its storage).
  void copy_to(std::size_t key, CompositeKey& out) const;
  CompositeKey materialize(std::size_t key) const {
    CompositeKey out;
    copy_to(key, out);
    return out;
  }

 private:
  struct Position {
    std::vector<JoinValue> values;  ///< the first `count` are this event's; the rest spare
    std::vector<std::uint64_t> hashes;
    std::size_t count = 0;
    std::size_t stride = 1;  ///< keys per step of this position (later positions vary faster)
  };
  std::vector<Position> positions_;
  std::size_t key_count_ = 0;
};

/// The keys of EventKeys::read, materialized (for callers off the hot path).
std::vector<CompositeKey> keys_of(const Event& event, const std::vector<KeyField>& fields,
                                  std::size_t limit, bool& overflow);

}  // namespace eql::seq
