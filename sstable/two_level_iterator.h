// TwoLevelIterator: iterates an index whose values name blocks, opening each
// block's iterator on demand (index -> data blocks of a table). Empty blocks
// are skipped in both directions; an error from either level stops the
// iterator with that status.
//
// Ownership: owns the index iterator and the current block iterator.
// Thread safety: one thread at a time.
#ifndef SYNAPSED_SSTABLE_TWO_LEVEL_ITERATOR_H_
#define SYNAPSED_SSTABLE_TWO_LEVEL_ITERATOR_H_

#include <functional>
#include <memory>
#include <string_view>

#include "util/internal_iterator.h"

namespace synapsed {

// Opens the block named by an index value; on failure returns nullptr and
// sets *status.
using BlockOpener =
    std::function<std::unique_ptr<InternalIterator>(std::string_view index_value, Status* status)>;

std::unique_ptr<InternalIterator> NewTwoLevelIterator(std::unique_ptr<InternalIterator> index,
                                                      BlockOpener open_block);

}  // namespace synapsed

#endif  // SYNAPSED_SSTABLE_TWO_LEVEL_ITERATOR_H_
