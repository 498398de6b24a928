// WriteBatchInternal: the engine's access to a WriteBatch's serialized form.
//
//   batch  := sequence (fixed64) count (fixed32) update*
//   update := kValue         varint32-prefixed key, varint32-prefixed value
//           | kDeletion      varint32-prefixed key
//           | kRangeDeletion varint32-prefixed begin, varint32-prefixed end
//                            (begin < end bytewise)
// (docs/format/write_batch.md). The header's sequence is the sequence of the
// first update; update i gets sequence + i.
#ifndef SYNAPSED_ENGINE_WRITE_BATCH_INTERNAL_H_
#define SYNAPSED_ENGINE_WRITE_BATCH_INTERNAL_H_

#include <string_view>

#include "synapsed/write_batch.h"
#include "util/internal_key.h"

namespace synapsed {

class MemTable;

class WriteBatchInternal {
 public:
  static constexpr size_t kHeaderBytes = 12;

  static uint32_t Count(const WriteBatch& b);
  static void SetCount(WriteBatch* b, uint32_t n);
  static SequenceNumber Sequence(const WriteBatch& b);
  static void SetSequence(WriteBatch* b, SequenceNumber seq);

  static std::string_view Contents(const WriteBatch& b) { return b.rep_; }
  // Replaces the batch with a serialized one (e.g. read from the WAL).
  // Corruption if it is shorter than the header.
  static Status SetContents(WriteBatch* b, std::string_view contents);
  // Appends src's updates to dst.
  static void Append(WriteBatch* dst, const WriteBatch& src);

  // Inserts every update into mem with consecutive sequences starting at the
  // batch's (a range deletion goes to mem's range tombstones).
  // REQUIRES: the caller is mem's single writer; b is well formed (built by
  // Put/Delete/DeleteRange, or passed Validate: a batch read from disk must be validated
  // first, or a malformed one could be half applied).
  static Status InsertInto(const WriteBatch& b, MemTable* mem);
  // Checks the batch's structure without applying it.
  static Status Validate(const WriteBatch& b);
};

}  // namespace synapsed

#endif  // SYNAPSED_ENGINE_WRITE_BATCH_INTERNAL_H_
