// Block: a decoded-in-place, immutable block (docs/format/sstable.md) and
// its iterator.
//
// Ownership: a Block owns its bytes; iterators from NewIterator share the
// Block (shared_ptr), so a block stays alive while any iterator over it does
// (the block cache relies on this). A Block::Iter made on the stack over a
// borrowed block (point lookups, which allocate nothing) needs the caller to
// keep the block alive. Thread safety: a Block is immutable; each iterator
// is used by one thread at a time.
// Corrupt bytes make the block or its iterator report Corruption (never read
// out of bounds, never crash).
#ifndef SYNAPSED_SSTABLE_BLOCK_H_
#define SYNAPSED_SSTABLE_BLOCK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sstable/block_buffer.h"
#include "util/internal_iterator.h"

namespace synapsed {

// How a block's keys are ordered: internal keys (data and index blocks) or
// plain bytes (properties and metaindex blocks).
using KeyCompare = int (*)(std::string_view a, std::string_view b);
int CompareBytes(std::string_view a, std::string_view b);

class Block {
 public:
  explicit Block(std::string contents);
  // The same from a pooled buffer (data blocks read from a file).
  explicit Block(BlockBuffer contents);
  // A block of internal keys searched on every lookup (a table's index
  // block), with a restart-key prefix index: Seek then finds its restart
  // point in a dense array of 8-byte key prefixes, a few cache lines, where
  // the plain binary search decodes a key from a scattered entry at every
  // step. Costs 8 bytes per restart point. Only iterators that compare with
  // CompareInternalKeys use it (others search as in a plain block); Seek
  // lands exactly where a plain block's does. A block whose restart keys
  // are unreadable, shorter than an internal key or not strictly increasing
  // gets no prefix index; its iterators then search (and report damage) as
  // a plain block's do.
  static std::shared_ptr<const Block> NewIndexBlock(std::string contents);
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  // False if the restart array is malformed; such a block yields an iterator
  // with a Corruption status.
  bool ok() const { return num_restarts_ > 0; }
  size_t size() const { return data_.size(); }
  // The bytes allocated for the contents (a pooled buffer's size class).
  size_t allocated_bytes() const {
    return buffer_.data() != nullptr ? buffer_.capacity() : owned_.capacity();
  }
  bool has_prefix_index() const { return prefix_index_ != nullptr; }

  static std::unique_ptr<InternalIterator> NewIterator(std::shared_ptr<const Block> block,
                                                       KeyCompare compare);

  class Iter;

 private:
  // Restart keys' user keys all begin with `common`; prefixes[i] is the
  // next 8 bytes of restart key i's user key (zero-padded), big-endian, so
  // integer order is key order: prefixes are non-decreasing, and a smaller
  // prefix means a smaller key. samples[j] = prefixes[j * kSampleStride]
  // narrows a search to one stretch of prefixes.
  struct PrefixIndex {
    static constexpr size_t kSampleStride = 64;
    std::string common;
    std::vector<uint64_t> prefixes;
    std::vector<uint64_t> samples;
    size_t Bound(uint64_t t, bool upper) const;
  };
  bool RestartKey(uint32_t index, std::string_view* key) const;
  // Builds prefix_index_, or leaves it null (see NewIndexBlock).
  void BuildPrefixIndex();

  // Parses the restart array of data_.
  void Init();

  std::string owned_;            // the contents, when given as a string
  BlockBuffer buffer_;           // or as a buffer
  std::string_view data_;        // the contents, in one of them
  uint32_t restart_offset_ = 0;  // where the restart array starts
  uint32_t num_restarts_ = 0;    // 0: malformed
  std::unique_ptr<const PrefixIndex> prefix_index_;
};

// The iterator over a block. Positioned entries are decoded one at a time
// from their offset: a key stored whole (a restart point's) is read in
// place, a key sharing a prefix with the one before it is rebuilt in an
// inline buffer (on the heap only past kInlineKeyBytes); values point into
// the block.
class Block::Iter final : public InternalIterator {
 public:
  // Over a borrowed block. REQUIRES: block outlives the iterator.
  Iter(const Block* block, KeyCompare compare);
  // Over a shared block, kept alive by the iterator.
  Iter(std::shared_ptr<const Block> block, KeyCompare compare);
  Iter(const Iter&) = delete;
  Iter& operator=(const Iter&) = delete;

  bool Valid() const override { return current_ < limit_ && status_.ok(); }
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }
  Status status() const override { return status_; }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Next() override { ParseNextEntry(); }
  void Prev() override;
  void Seek(std::string_view target) override;
  void SeekForPrev(std::string_view target) override;

 private:
  static constexpr size_t kInlineKeyBytes = 64;

  void NarrowByPrefix(std::string_view user_key, uint32_t* left, uint32_t* right) const;
  uint32_t RestartPoint(uint32_t index) const;
  void SeekToRestart(uint32_t index);
  void Corrupt(const char* what);
  bool KeyAtRestart(uint32_t index, std::string_view* key);
  // Moves to the entry at next_; false at the end of the block or on damage.
  bool ParseNextEntry();
  // key_ becomes its first `shared` bytes followed by `delta`, in the buffer.
  void BuildKey(uint32_t shared, std::string_view delta);

  std::shared_ptr<const Block> owner_;  // empty for a borrowed block
  const Block* const block_;
  const KeyCompare compare_;
  const char* const data_;
  const uint32_t limit_;  // entries end here (the restart array starts)
  uint32_t current_;      // offset of the current entry; limit_ = not valid
  uint32_t next_ = 0;     // offset of the entry after it
  uint32_t restart_index_ = 0;
  std::string_view key_;  // in the block, or in key_buf_
  std::string_view value_;
  Status status_;
  std::unique_ptr<char[]> heap_key_;  // keys longer than kInlineKeyBytes
  size_t key_capacity_ = kInlineKeyBytes;
  char* key_buf_ = inline_key_;
  char inline_key_[kInlineKeyBytes];
};

}  // namespace synapsed

#endif  // SYNAPSED_SSTABLE_BLOCK_H_
