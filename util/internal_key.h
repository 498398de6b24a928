// Internal keys: how the engine versions user keys.
//
//   internal_key := user_key | tag (8 bytes, little-endian)
//   tag          := (sequence << 8) | type        sequence < 2^56
//
// Internal keys order by user key ascending (bytewise), then by tag
// descending, so the newest version of a key comes first and a seek to
// (key, snapshot_sequence) lands on the newest version visible at that snapshot.
// The same encoding is used in memtables and in tables; see
// docs/design/architecture.md. Range tombstones use the same encoding with
// type kRangeDeletion, but only in their own storage (see ValueType).
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
// (WAL write batches, tables, MANIFEST file boundaries): never renumber.
enum class ValueType : uint8_t {
  kDeletion = 0,
  kValue = 1,
  // A range tombstone (docs/format/sstable.md, "Range deletion block"): its
  // key is (start, sequence), its value the exclusive end. It lives only in
  // range-tombstone storage (a memtable's tombstone list, a table's range
  // deletion block) and in file boundary keys; never in a point stream
  // (data blocks, a memtable's entries, any InternalIterator).
  kRangeDeletion = 2,
};
// The largest point type: a seek key built with it sorts before every point
// entry of the same user key and sequence.
constexpr ValueType kValueTypeForSeek = ValueType::kValue;

// Types a point entry may carry.
inline bool IsPointValueType(uint8_t t) { return t <= static_cast<uint8_t>(ValueType::kValue); }
// Every type of the format: the point types and kRangeDeletion.
inline bool IsKnownValueType(uint8_t t) {
  return t <= static_cast<uint8_t>(ValueType::kRangeDeletion);
}

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

// Parses the key of a point entry. False if ikey is too short or its type is
// not a point type: a range tombstone's key where a point entry belongs is
// damage, and every reader of point streams uses this parser, so such a key
// is reported as Corruption rather than read as a put or delete.
inline bool ParseInternalKey(std::string_view ikey, ParsedInternalKey* out) {
  if (ikey.size() < kTagBytes) return false;
  uint64_t tag = ExtractTag(ikey);
  uint8_t type = static_cast<uint8_t>(tag & 0xff);
  if (!IsPointValueType(type)) return false;
  out->user_key = ExtractUserKey(ikey);
  out->sequence = tag >> 8;
  out->type = static_cast<ValueType>(type);
  return true;
}

// Parses a key of any known type, kRangeDeletion included: for range
// tombstone storage and file boundary keys (FileMetaData, table properties).
inline bool ParseInternalKeyAnyType(std::string_view ikey, ParsedInternalKey* out) {
  if (ikey.size() < kTagBytes) return false;
  uint64_t tag = ExtractTag(ikey);
  uint8_t type = static_cast<uint8_t>(tag & 0xff);
  if (!IsKnownValueType(type)) return false;
  out->user_key = ExtractUserKey(ikey);
  out->sequence = tag >> 8;
  out->type = static_cast<ValueType>(type);
  return true;
}

// The largest key of a file whose range tombstones end at `end` (exclusive):
// (end, kMaxSequenceNumber, kRangeDeletion). Its tag is above every real
// entry's (sequences stay below kMaxSequenceNumber, and kRangeDeletion is the
// largest type), so it sorts before every entry of `end`, before every lookup
// key of `end` (kValueTypeForSeek < kRangeDeletion), and after every key
// below `end`: a search by internal key never picks the file for `end`.
inline void AppendRangeTombstoneSentinel(std::string* dst, std::string_view end) {
  AppendInternalKey(dst, end, kMaxSequenceNumber, ValueType::kRangeDeletion);
}
inline bool IsRangeTombstoneSentinel(std::string_view ikey) {
  return ikey.size() >= kTagBytes &&
         ExtractTag(ikey) == PackTag(kMaxSequenceNumber, ValueType::kRangeDeletion);
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
