// DBIter: turns an internal iterator (every version of every key, newest
// first per key) into the user-facing Iterator: one entry per live user key
// as of a sequence number, deletions hidden, within optional bounds.
//
// Range deletions: a version with sequence v is hidden when the range
// tombstones cursor (built for the same sequence) answers a covering
// sequence above v for its key; it is then treated as a deletion (and, the
// versions being newest first, so is every older version of the key). The
// cursor is asked once per key the walk stops at, in the walk's direction,
// so its cost is amortized O(1) per key. A cursor error ends the iteration
// with that status.
//
// Ownership: owns the internal iterator and the cursor. Thread safety: as
// Iterator.
#ifndef SYNAPSED_ENGINE_DB_ITER_H_
#define SYNAPSED_ENGINE_DB_ITER_H_

#include <memory>
#include <optional>
#include <string>

#include "rangedel/fragmented_range_tombstone_list.h"
#include "synapsed/iterator.h"
#include "util/internal_iterator.h"
#include "util/internal_key.h"

namespace synapsed {

// Entries with a sequence above `sequence` are invisible. Keys outside
// [lower_bound, upper_bound) are invisible. pin is kept alive until the
// internal iterator is destroyed (what the internal iterator reads from).
// range_dels (null: none) answers covering tombstones at `sequence`.
std::unique_ptr<Iterator> NewDBIterator(std::unique_ptr<InternalIterator> internal,
                                        SequenceNumber sequence,
                                        std::optional<std::string> lower_bound,
                                        std::optional<std::string> upper_bound,
                                        std::shared_ptr<const void> pin = nullptr,
                                        std::unique_ptr<RangeDelCursor> range_dels = nullptr);

}  // namespace synapsed

#endif  // SYNAPSED_ENGINE_DB_ITER_H_
