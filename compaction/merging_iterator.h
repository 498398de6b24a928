// MergingIterator: merges n sorted internal iterators (memtables, tables,
// levels) into one, in CompareInternalKeys order. It is the layer between the
// per-source iterators and DBIter (engine/db_iter.h) on every read.
//
// Entries with equal keys from different children are all returned (the
// caller — DBIter — resolves versions); ties are broken by child index (lower
// index first) so the result is deterministic: the merged sequence is the
// children's entries sorted by (internal key, child index), and Prev walks the
// same sequence backwards.
//
// Errors: an error in any child stops the iterator (Valid() false) and
// status() returns it; a child's error is never skipped over. Every Seek*
// repositions all children, so status() then reflects the new position (the
// first child, by index, that reports an error).
//
// A Seek target must not point into this iterator's own key(): the children
// move one after another while reading it.
//
// Ownership: owns its children. key() and value() stay valid until the
// iterator moves. Thread safety: one thread at a time (as InternalIterator).
#ifndef SYNAPSED_COMPACTION_MERGING_ITERATOR_H_
#define SYNAPSED_COMPACTION_MERGING_ITERATOR_H_

#include <memory>
#include <vector>

#include "util/internal_iterator.h"

namespace synapsed {

// With no children the result is empty; with one it is that child.
std::unique_ptr<InternalIterator> NewMergingIterator(
    std::vector<std::unique_ptr<InternalIterator>> children);

}  // namespace synapsed

#endif  // SYNAPSED_COMPACTION_MERGING_ITERATOR_H_
