// WriteBatch: a group of updates applied atomically, in order.
//
// Either every update of a batch is visible (and recovered after a crash) or
// none is. The serialized form is the WAL record payload; its grammar is in
// docs/format/write_batch.md.
// Thread safety: one thread at a time per batch.
#ifndef SYNAPSED_INCLUDE_WRITE_BATCH_H_
#define SYNAPSED_INCLUDE_WRITE_BATCH_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "synapsed/status.h"

namespace synapsed {

class WriteBatch {
 public:
  // Receives a batch's updates in order (see Iterate).
  class Handler {
   public:
    virtual ~Handler();
    virtual void Put(std::string_view key, std::string_view value) = 0;
    virtual void Delete(std::string_view key) = 0;
    // Every key k with begin <= k < end (bytewise); begin < end.
    virtual void DeleteRange(std::string_view begin, std::string_view end) = 0;
  };

  WriteBatch();
  WriteBatch(const WriteBatch&) = default;
  WriteBatch& operator=(const WriteBatch&) = default;
  WriteBatch(WriteBatch&&) noexcept = default;
  WriteBatch& operator=(WriteBatch&&) noexcept = default;
  ~WriteBatch();

  // Keys and values are copied. Sizes must be below 4 GiB each.
  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  // Deletes every key k with begin <= k < end (bytewise), as of this batch's
  // place in the write order: a later Put of a key in the range (in this
  // batch or a later write) is visible again. InvalidArgument (and the batch
  // unchanged) if begin > end; begin == end is an empty range: OK, and
  // nothing is added. Counts as one update.
  Status DeleteRange(std::string_view begin, std::string_view end);
  void Clear();
  // Number of updates.
  uint32_t Count() const;
  // Bytes of the serialized batch.
  size_t ApproximateSize() const { return rep_.size(); }
  // Replays the updates into handler; Corruption if the batch is malformed.
  Status Iterate(Handler* handler) const;

 private:
  friend class WriteBatchInternal;
  std::string rep_;
};

}  // namespace synapsed

#endif  // SYNAPSED_INCLUDE_WRITE_BATCH_H_
