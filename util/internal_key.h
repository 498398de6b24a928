// Internal keys: how the engine versions user keys.
//
//   internal_key := user_key | tag (8 bytes, little-endian)
//   tag          := (sequence << 8) | type        sequence < 2^56
//
// Internal keys order by user key ascending (bytewise), then by tag
// descending, so the newest version of a key comes first and a seek to
// (key, snapshot_sequence) lands on the newest version visible at that snapshot.
// The same encoding is used in memtables and (later) in tables; see
// docs/design/architecture.md.
#ifndef SYNAPSED_UTIL_INTERNAL_KEY_H_
#define SYNAPSED_UTIL_INTERNAL_KEY_H_

#include <cassert>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "util/coding.h"

namespace synapsed {

using SequenceNumber = uint64_t;
constexpr SequenceNumber kMaxSequenceNumber = (uint64_t{1} << 56) - 1;
constexpr size_t kTagBytes = 8;

// Stored in the low byte of the tag. Values are part of the on-disk format
// (WAL write batches, tables): never renumber.
enum class ValueType : uint8_t {
  kDeletion = 0,
  kValue = 1,
};
// The largest type: a seek key built with it sorts before every entry of the
// same user key and sequence.
constexpr ValueType kValueTypeForSeek = ValueType::kValue;

inline bool IsKnownValueType(uint8_t t) { return t <= static_cast<uint8_t>(ValueType::kValue); }

inline uint64_t PackTag(SequenceNumber seq, ValueType type) {
  assert(seq <= kMaxSequenceNumber);
  return (seq << 8) | static_cast<uint8_t>(type);
}

struct ParsedInternalKey {
  std::string_view user_key;
  SequenceNumber sequence = 0;
  ValueType type = ValueType::kValue;
};

inline void AppendInternalKey(std::string* dst, std::string_view user_key, SequenceNumber seq,
                              ValueType type) {
  dst->append(user_key);
  PutFixed64(dst, PackTag(seq, type));
}

// REQUIRES: ikey.size() >= 8.
inline std::string_view ExtractUserKey(std::string_view ikey) {
  assert(ikey.size() >= kTagBytes);
  return ikey.substr(0, ikey.size() - kTagBytes);
}
inline uint64_t ExtractTag(std::string_view ikey) {
  return DecodeFixed64(ikey.data() + ikey.size() - kTagBytes);
}

// False if ikey is too short or has an unknown type.
inline bool ParseInternalKey(std::string_view ikey, ParsedInternalKey* out) {
  if (ikey.size() < kTagBytes) return false;
  uint64_t tag = ExtractTag(ikey);
  uint8_t type = static_cast<uint8_t>(tag & 0xff);
  if (!IsKnownValueType(type)) return false;
  out->user_key = ExtractUserKey(ikey);
  out->sequence = tag >> 8;
  out->type = static_cast<ValueType>(type);
  return true;
}

inline int CompareUserKeys(std::string_view a, std::string_view b) { return a.compare(b); }

// The total order on internal keys described above. A key too short to hold
// a tag can only come from damaged data (e.g. a block read without checksum
// verification): it is compared bytewise rather than read out of bounds.
inline int CompareInternalKeys(std::string_view a, std::string_view b) {
  if (a.size() < kTagBytes || b.size() < kTagBytes) [[unlikely]] {
    return a.compare(b);
  }
  int r = CompareUserKeys(ExtractUserKey(a), ExtractUserKey(b));
  if (r != 0) return r;
  uint64_t ta = ExtractTag(a), tb = ExtractTag(b);
  return ta > tb ? -1 : (ta < tb ? 1 : 0);
}

}  // namespace synapsed

#endif  // SYNAPSED_UTIL_INTERNAL_KEY_H_
