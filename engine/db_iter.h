// DBIter: turns an internal iterator (every version of every key, newest
// first per key) into the user-facing Iterator: one entry per live user key
// as of a sequence number, deletions hidden, within optional bounds.
//
// Ownership: owns the internal iterator. Thread safety: as Iterator.
#ifndef SYNAPSED_ENGINE_DB_ITER_H_
#define SYNAPSED_ENGINE_DB_ITER_H_

#include <memory>
#include <optional>
#include <string>

#include "synapsed/iterator.h"
#include "util/internal_iterator.h"
#include "util/internal_key.h"

namespace synapsed {

// Entries with a sequence above `sequence` are invisible. Keys outside
// [lower_bound, upper_bound) are invisible. pin is kept alive until the
// internal iterator is destroyed (what the internal iterator reads from).
std::unique_ptr<Iterator> NewDBIterator(std::unique_ptr<InternalIterator> internal,
                                        SequenceNumber sequence,
                                        std::optional<std::string> lower_bound,
                                        std::optional<std::string> upper_bound,
                                        std::shared_ptr<const void> pin = nullptr);

}  // namespace synapsed

#endif  // SYNAPSED_ENGINE_DB_ITER_H_
