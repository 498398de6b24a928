// Iterator: ordered traversal of the database's keys, in both directions.
//
// An iterator reads one consistent state: the snapshot of its ReadOptions, or
// the latest state when it was created; later writes are not visible. Keys
// are ordered bytewise. Bounds from ReadOptions hide keys outside them.
//
// key() and value() REQUIRE Valid() and stay valid until the iterator moves.
// Next/Prev REQUIRE Valid(). When Valid() is false, status() tells an
// exhausted iterator (ok) from a failed one.
// Thread safety: one thread at a time per iterator. An iterator must be
// destroyed before its DB.
#ifndef SYNAPSED_INCLUDE_ITERATOR_H_
#define SYNAPSED_INCLUDE_ITERATOR_H_

#include <string_view>

#include "synapsed/status.h"

namespace synapsed {

class Iterator {
 public:
  Iterator() = default;
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;
  virtual ~Iterator();

  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // First key >= target.
  virtual void Seek(std::string_view target) = 0;
  // Last key <= target.
  virtual void SeekForPrev(std::string_view target) = 0;
  virtual void Next() = 0;
  virtual void Prev() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual Status status() const = 0;
};

}  // namespace synapsed

#endif  // SYNAPSED_INCLUDE_ITERATOR_H_
