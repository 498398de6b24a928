// LevelIterator: one sorted level (levels >= 1) as a single InternalIterator,
// the concatenation of its tables' iterators in key order.
//
// Tables are opened through the TableCache only when the iteration reaches
// them, and the previous table's iterator is released before the next is
// opened, so a level scan pins at most one table (and its current block) at a
// time however many files the level has. Tables that yield no entry are
// skipped in both directions.
//
// Errors: an error opening or reading a table stops the iterator with that
// status; it is sticky (every later move leaves the iterator invalid with the
// same status), because silently moving on to the next file would hide keys
// and could surface older versions of them from lower levels.
//
// Ownership: keeps its own copy of the file list, so the FileMetaData stay
// alive whatever happens to the Version. Thread safety: one thread at a time.
// Lifetime. REQUIRES: table_cache outlives the iterator.
#ifndef SYNAPSED_ENGINE_LEVEL_ITERATOR_H_
#define SYNAPSED_ENGINE_LEVEL_ITERATOR_H_

#include <memory>
#include <string_view>

#include "cache/table_cache.h"
#include "engine/version_set.h"
#include "rangedel/fragmented_range_tombstone_list.h"
#include "sstable/format.h"
#include "util/internal_iterator.h"

namespace synapsed {

// The index of the first file whose largest key is >= internal_key
// (CompareInternalKeys), or files.size() if there is none: the only file of
// a sorted level that can hold internal_key or the first entry after it.
// Point lookups use it to pick the one table to probe; the key may still be
// absent (it can fall before that file's smallest key).
// REQUIRES: files are sorted by smallest key with disjoint ranges (a level >= 1).
int FindFile(const Version::FileList& files, std::string_view internal_key);

// REQUIRES: files are sorted by smallest key with disjoint ranges.
std::unique_ptr<InternalIterator> NewLevelIterator(TableCache* table_cache,
                                                   const ReadBlockOptions& options,
                                                   Version::FileList files);

// The range tombstones of one sorted level, for a DB iterator at read_seq.
// A user key is answered by the one table whose range holds it (as
// FindFile picks it: a table whose largest key is a range tombstone sentinel
// at the key does not hold it), from that table's fragmented tombstones,
// which the table cache keeps decoded with the open table. Tables are opened
// on first need; keys that stay within a table or a gap cost O(1), a move
// to another table a binary search over the files. A table that cannot be
// opened answers 0 and status() reports the error (sticky).
// Ownership: keeps its own copy of the file list. Thread safety: one thread
// at a time. REQUIRES: files as NewLevelIterator's; table_cache outlives the
// cursor.
std::unique_ptr<RangeDelCursor> NewLevelRangeDelCursor(TableCache* table_cache,
                                                       Version::FileList files,
                                                       SequenceNumber read_seq);

}  // namespace synapsed

#endif  // SYNAPSED_ENGINE_LEVEL_ITERATOR_H_
