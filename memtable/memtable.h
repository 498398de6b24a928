// MemTable: the in-memory sorted table that absorbs writes.
//
// Each entry is stored once in the arena:
//   entry := varint32(internal_key_len) internal_key varint32(value_len) value
// and a skiplist of pointers to entries orders them by internal key.
//
// Ownership: the memtable owns its arena and every entry. It is shared
// (std::shared_ptr) between the DB and any iterator reading it, so it lives
// until the last reader is done.
// Thread safety: Add requires external synchronization (one writer at a time:
// the write-group leader). Get and iterators are lock-free and may run
// concurrently with Add; they see every entry whose Add returned before the
// read started, and possibly some later ones (which the reader's snapshot
// sequence filters out).
#ifndef SYNAPSED_MEMTABLE_MEMTABLE_H_
#define SYNAPSED_MEMTABLE_MEMTABLE_H_

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "memtable/arena.h"
#include "memtable/skiplist.h"
#include "synapsed/status.h"
#include "util/internal_iterator.h"
#include "util/internal_key.h"

namespace synapsed {

// The key a point lookup searches for: (user_key, sequence, kValueTypeForSeek),
// kept in memtable-entry form so no copy is needed per lookup.
class LookupKey {
 public:
  LookupKey(std::string_view user_key, SequenceNumber sequence);
  LookupKey(const LookupKey&) = delete;
  LookupKey& operator=(const LookupKey&) = delete;

  // varint32 length + internal key: what the skiplist compares.
  const char* memtable_key() const { return buf_.data(); }
  std::string_view internal_key() const {
    return std::string_view(buf_).substr(internal_key_offset_);
  }
  std::string_view user_key() const {
    return std::string_view(buf_).substr(internal_key_offset_, buf_.size() -
                                                                   internal_key_offset_ -
                                                                   kTagBytes);
  }

 private:
  std::string buf_;
  size_t internal_key_offset_;
};

class MemTable {
 public:
  // arena_block_size: see Arena; the DB picks it from write_buffer_size.
  explicit MemTable(size_t arena_block_size = Arena::kBlockSize);
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  // REQUIRES: external synchronization; (key, seq) not already present.
  void Add(SequenceNumber seq, ValueType type, std::string_view key, std::string_view value);

  // Looks up the newest version of key.user_key() with sequence <= the
  // lookup's. Returns true if this memtable decides the answer: *found_value
  // is true and *value set for a live value, false for a deletion. Returns
  // false when the memtable holds no visible version.
  bool Get(const LookupKey& key, std::string* value, bool* found_value) const;

  // An iterator over internal keys; it keeps this memtable alive.
  static std::unique_ptr<InternalIterator> NewIterator(std::shared_ptr<const MemTable> mem);

  size_t ApproximateMemoryUsage() const { return arena_.MemoryUsage(); }
  uint64_t num_entries() const { return num_entries_.load(std::memory_order_relaxed); }
  uint64_t num_deletes() const { return num_deletes_.load(std::memory_order_relaxed); }

 private:
  struct KeyComparator {
    int operator()(const char* a, const char* b) const;
  };
  using Table = SkipList<const char*, KeyComparator>;
  class Iter;

  Arena arena_;
  Table table_;
  std::atomic<uint64_t> num_entries_{0};
  std::atomic<uint64_t> num_deletes_{0};
};

}  // namespace synapsed

#endif  // SYNAPSED_MEMTABLE_MEMTABLE_H_
