// TableSlot: a table's reader kept with the table's metadata, for
// TableCache (cache/table_cache.h) when every table is kept open.
//
// Thread safety: get() and filling (by TableCache) may race from any number
// of threads; copying, assigning and destroying need the slot unshared.
#ifndef SYNAPSED_CACHE_TABLE_SLOT_H_
#define SYNAPSED_CACHE_TABLE_SLOT_H_

#include <atomic>
#include <memory>

namespace synapsed {

class TableCache;
class TableReader;

// Where a table's reader is kept when the cache keeps every table open
// (max_open_files < 0): with the file's metadata (FileMetaData::table), so
// a read finds the reader with one load instead of a cache lookup, a lock
// and a reference count, as RocksDB does with max_open_files = -1. Empty
// until the first read through TableCache opens the table (any thread may
// fill it, once); a copy starts empty, so it is not part of what a file
// is (== ignores it). It holds the reader until it is destroyed, which is
// when no version names the file, before the file is deleted (Evict).
class TableSlot {
 public:
  TableSlot() = default;
  TableSlot(const TableSlot& /*other*/) noexcept {}
  TableSlot& operator=(const TableSlot& other) noexcept {
    if (this != &other) Reset();
    return *this;
  }
  ~TableSlot() { Reset(); }
  bool operator==(const TableSlot& /*other*/) const { return true; }

  // The reader, or null before the first read.
  const TableReader* get() const {
    const std::shared_ptr<const TableReader>* p = reader_.load(std::memory_order_acquire);
    return p == nullptr ? nullptr : p->get();
  }

 private:
  friend class TableCache;
  // Keeps reader unless the slot already holds one (then the two readers
  // are of the same file, and the other one is kept).
  void Fill(const std::shared_ptr<const TableReader>& reader) const {
    auto mine = std::make_unique<const std::shared_ptr<const TableReader>>(reader);
    const std::shared_ptr<const TableReader>* expected = nullptr;
    if (reader_.compare_exchange_strong(expected, mine.get(), std::memory_order_acq_rel)) {
      mine.release();
    }
  }
  void Reset() noexcept { delete reader_.exchange(nullptr, std::memory_order_acq_rel); }

  mutable std::atomic<const std::shared_ptr<const TableReader>*> reader_{nullptr};
};

}  // namespace synapsed

#endif  // SYNAPSED_CACHE_TABLE_SLOT_H_
