// InternalIterator: the one iterator contract every internal layer implements
// (memtable today; blocks, tables, levels and the merging iterator later).
//
// Keys are internal keys (util/internal_key.h) in CompareInternalKeys order.
// An iterator is either positioned at an entry (Valid()) or not. key() and
// value() REQUIRE Valid() and stay valid until the iterator moves. Next/Prev
// REQUIRE Valid(). After an error Valid() is false and status() says why; an
// exhausted iterator has an ok status.
//
// Thread safety: one thread at a time per iterator; distinct iterators over
// the same data may run concurrently.
#ifndef SYNAPSED_UTIL_INTERNAL_ITERATOR_H_
#define SYNAPSED_UTIL_INTERNAL_ITERATOR_H_

#include <string_view>

#include "synapsed/status.h"

namespace synapsed {

class InternalIterator {
 public:
  virtual ~InternalIterator() = default;
  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // Positions at the first entry >= target (an internal key).
  virtual void Seek(std::string_view target) = 0;
  // Positions at the last entry <= target (an internal key).
  virtual void SeekForPrev(std::string_view target) = 0;
  virtual void Next() = 0;
  virtual void Prev() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual Status status() const = 0;
};

}  // namespace synapsed

#endif  // SYNAPSED_UTIL_INTERNAL_ITERATOR_H_
