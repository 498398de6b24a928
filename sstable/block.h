// Block: a decoded-in-place, immutable block (docs/format/sstable.md) and
// its iterator.
//
// Ownership: a Block owns its bytes; iterators share the Block (shared_ptr),
// so a block stays alive while any iterator over it does (the block cache
// relies on this). Thread safety: a Block is immutable; each iterator is used
// by one thread at a time.
// Corrupt bytes make the block or its iterator report Corruption (never read
// out of bounds, never crash).
#ifndef SYNAPSED_SSTABLE_BLOCK_H_
#define SYNAPSED_SSTABLE_BLOCK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/internal_iterator.h"

namespace synapsed {

// How a block's keys are ordered: internal keys (data and index blocks) or
// plain bytes (properties and metaindex blocks).
using KeyCompare = int (*)(std::string_view a, std::string_view b);
int CompareBytes(std::string_view a, std::string_view b);

class Block {
 public:
  explicit Block(std::string contents);
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  // False if the restart array is malformed; such a block yields an iterator
  // with a Corruption status.
  bool ok() const { return num_restarts_ > 0; }
  size_t size() const { return data_.size(); }

  static std::unique_ptr<InternalIterator> NewIterator(std::shared_ptr<const Block> block,
                                                       KeyCompare compare);

 private:
  class Iter;
  std::string data_;
  uint32_t restart_offset_ = 0;  // where the restart array starts
  uint32_t num_restarts_ = 0;    // 0: malformed
};

}  // namespace synapsed

#endif  // SYNAPSED_SSTABLE_BLOCK_H_
