// MemTable: the in-memory sorted table that absorbs writes.
//
// Each entry is stored once in the arena:
//   entry := varint32(internal_key_len) internal_key varint32(value_len) value
// and a skiplist of pointers to entries orders them by internal key. Range
// tombstones are entries of a second skiplist in the same arena, keyed
// (start, seq, kRangeDeletion) with the exclusive end as value; iterators
// never see them. Readers get them fragmented (RangeTombstones()): the list
// is built on first use and rebuilt only after tombstones were added, so a
// frozen memtable builds it once.
//
// Ownership: the memtable owns its arena and every entry. It is shared
// (std::shared_ptr) between the DB and any iterator reading it, so it lives
// until the last reader is done.
// Thread safety: Add requires external synchronization (one writer at a time:
// the write-group leader). Get and iterators are lock-free and may run
// concurrently with Add; they see every entry whose Add returned before the
// read started, and possibly some later ones (which the reader's snapshot
// sequence filters out). RangeTombstones() takes range_del_mu_ (a leaf lock,
// docs/design/threading.md) to share the cached list; it contains at least
// every tombstone whose Add returned before the call.
#ifndef SYNAPSED_MEMTABLE_MEMTABLE_H_
#define SYNAPSED_MEMTABLE_MEMTABLE_H_

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "memtable/arena.h"
#include "memtable/skiplist.h"
#include "rangedel/fragmented_range_tombstone_list.h"
#include "synapsed/status.h"
#include "util/internal_iterator.h"
#include "util/internal_key.h"
#include "util/mutex.h"

namespace synapsed {

// The key a point lookup searches for: (user_key, sequence, kValueTypeForSeek),
// kept in memtable-entry form so no copy is needed per lookup. Keys of up to
// kInlineBytes (with their length and tag) live in the object itself: a
// lookup allocates nothing.
class LookupKey {
 public:
  LookupKey(std::string_view user_key, SequenceNumber sequence);
  LookupKey(const LookupKey&) = delete;
  LookupKey& operator=(const LookupKey&) = delete;

  // varint32 length + internal key: what the skiplist compares.
  const char* memtable_key() const { return start_; }
  std::string_view internal_key() const {
    return std::string_view(key_, static_cast<size_t>(end_ - key_));
  }
  std::string_view user_key() const {
    return std::string_view(key_, static_cast<size_t>(end_ - key_) - kTagBytes);
  }

 private:
  static constexpr size_t kInlineBytes = 200;
  std::unique_ptr<char[]> heap_;  // longer keys
  const char* start_;             // the varint32 length
  const char* key_;               // the internal key
  const char* end_;
  char inline_[kInlineBytes];
};

class MemTable {
 public:
  // arena_block_size: see Arena; the DB picks it from write_buffer_size.
  explicit MemTable(size_t arena_block_size = Arena::kBlockSize);
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  // Adds a put, a deletion or, for kRangeDeletion, the range tombstone
  // [key, value) (REQUIRES key < value).
  // REQUIRES: external synchronization; (key, seq) not already present;
  // sequences increase from one Add to the next (the write path's order).
  void Add(SequenceNumber seq, ValueType type, std::string_view key, std::string_view value);

  // Looks up the newest version of key.user_key() with sequence <= the
  // lookup's, with range tombstones applied. *max_covering_seq (may be null:
  // 0) is the highest sequence, at or below the lookup's, of a tombstone
  // covering the key in newer sources; it is raised by this memtable's own.
  // Returns true if the answer is decided: *found_value is true and *value
  // set for a live value newer than *max_covering_seq; false for a deletion,
  // a value older than *max_covering_seq, or no version here while a
  // tombstone covers the key (every version in older sources is older than
  // that tombstone). Returns false when nothing here decides.
  bool Get(const LookupKey& key, std::string* value, bool* found_value,
           SequenceNumber* max_covering_seq = nullptr) const;

  // An iterator over the point entries (internal keys); it keeps this
  // memtable alive. Range tombstones are not among its entries.
  static std::unique_ptr<InternalIterator> NewIterator(std::shared_ptr<const MemTable> mem);

  // The range tombstones, fragmented; null if there are none.
  std::shared_ptr<const FragmentedRangeTombstoneList> RangeTombstones() const
      EXCLUDES(range_del_mu_);

  size_t ApproximateMemoryUsage() const { return arena_.MemoryUsage(); }
  // Every update added: puts, deletions and range deletions.
  uint64_t num_entries() const { return num_entries_.load(std::memory_order_relaxed); }
  uint64_t num_deletes() const { return num_deletes_.load(std::memory_order_relaxed); }
  uint64_t num_range_deletes() const { return num_range_deletes_.load(std::memory_order_relaxed); }

 private:
  struct KeyComparator {
    int operator()(const char* a, const char* b) const;
  };
  using Table = SkipList<const char*, KeyComparator>;
  class Iter;

  // Encodes an entry in the arena.
  const char* EncodeEntry(SequenceNumber seq, ValueType type, std::string_view key,
                          std::string_view value);

  Arena arena_;
  Table table_;            // puts and deletions
  Table range_del_table_;  // range tombstones
  std::atomic<uint64_t> num_entries_{0};
  std::atomic<uint64_t> num_deletes_{0};
  // Incremented (release) after the tombstone is in range_del_table_, so a
  // reader that loads n (acquire) finds at least n tombstones there.
  std::atomic<uint64_t> num_range_deletes_{0};

  mutable Mutex range_del_mu_;
  // Built from at least the first range_del_cache_count_ tombstones added;
  // reused while no more were added.
  mutable std::shared_ptr<const FragmentedRangeTombstoneList> range_del_cache_
      GUARDED_BY(range_del_mu_);
  mutable uint64_t range_del_cache_count_ GUARDED_BY(range_del_mu_) = 0;
};

}  // namespace synapsed

#endif  // SYNAPSED_MEMTABLE_MEMTABLE_H_
