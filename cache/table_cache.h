// TableCache: the open TableReaders of one database's table files, keyed by
// file number, so a read does not reopen a table (and re-read its footer,
// index, filter and properties) every time.
//
// Owns: an LRU cache (include/synapsed/cache.h) of at most max_open_files
// readers, each charged 1, whose values are std::shared_ptr<const TableReader>.
// A reader keeps its table's range tombstones decoded (TableReader::
// range_tombstones()), so reads through this cache never decode them again.
// Callers get their own shared_ptr, so a reader (and its open file) stays
// valid while they use it, even if the cache evicts it meanwhile; it is closed
// when the last user lets go. The block cache is not owned: every reader this
// cache opens puts its data blocks there.
//
// Opening. Table `number` is the file dbname/NNNNNN.sst (6+ digits), read
// with expected_file_number = number and expected_db_id = db_id, so a table
// copied from another database, or renamed, is refused as Corruption. A
// failed open is not cached: the next call tries again (the failure may have
// been transient). The file size comes from the caller (the MANIFEST), not
// from the file system, so a hit costs no system call.
//
// Thread safety: every method may be called concurrently. Two threads missing
// the same table at once may both open it; the later insert replaces the
// earlier, and both readers are correct (the duplicate is closed when its
// users let go). No lock of this class is held during file I/O.
//
// Lifetime. REQUIRES: the file system and the block cache outlive the
// TableCache, every reader it hands out, and every iterator from them.
#ifndef SYNAPSED_CACHE_TABLE_CACHE_H_
#define SYNAPSED_CACHE_TABLE_CACHE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cache/table_slot.h"
#include "sstable/format.h"
#include "sstable/table_reader.h"
#include "synapsed/cache.h"
#include "synapsed/file_system.h"
#include "synapsed/status.h"
#include "util/internal_iterator.h"

namespace synapsed {

class TableCache {
 public:
  static constexpr int kDefaultMaxOpenFiles = 1000;

  // block_cache may be null (data blocks are then read from the file every
  // time). max_open_files < 0 keeps every table open, each reader also in
  // the TableSlot callers pass; 0 means 1. Tables are opened with
  // file_options (use_direct_io: the block cache is the only cache of table
  // data).
  TableCache(std::shared_ptr<FileSystem> fs, std::string dbname, std::string db_id,
             Cache* block_cache, int max_open_files = kDefaultMaxOpenFiles,
             FileOptions file_options = FileOptions());
  ~TableCache();
  TableCache(const TableCache&) = delete;
  TableCache& operator=(const TableCache&) = delete;

  // The reader of table `number`, `file_size` bytes long: cached, or opened
  // and cached. On failure *reader is unchanged and nothing is cached.
  // `slot` (may be null) is the table's TableSlot: when every table is kept
  // open, the reader is taken from it, or put in it. REQUIRES: the slot is
  // table `number`'s, and outlives the call.
  Status FindTable(uint64_t number, uint64_t file_size, std::shared_ptr<const TableReader>* reader,
                   const TableSlot* slot = nullptr);

  // TableReader::Get on table `number` (opening it if needed).
  Status Get(const ReadBlockOptions& options, uint64_t number, uint64_t file_size,
             std::string_view internal_key, TableGet* result, std::string* value,
             SequenceNumber* max_covering_seq = nullptr, const TableSlot* slot = nullptr);

  // An iterator over table `number`. If the table cannot be opened, an empty
  // iterator whose status() is the error. The iterator keeps what it needs
  // alive: it stays valid if the table is evicted or the TableCache destroyed.
  std::unique_ptr<InternalIterator> NewIterator(const ReadBlockOptions& options, uint64_t number,
                                                uint64_t file_size,
                                                const TableSlot* slot = nullptr);

  // Drops table `number`, for when its file is deleted: the reader closes
  // once its current users let go. Its blocks in the block cache are not
  // erased (their keys are not enumerable); unreachable, they age out.
  // REQUIRES: no FindTable/Get/NewIterator of `number` runs concurrently or
  // later (true once no version names the file), else a reader opened by a
  // racing miss could be cached after the Evict.
  void Evict(uint64_t number);

  // Tables open in the cache now (for tests and properties).
  uint64_t open_tables() const;

 private:
  const std::shared_ptr<FileSystem> fs_;
  const FileOptions file_options_;
  const std::string dbname_;
  const std::string db_id_;
  Cache* const block_cache_;            // not owned; may be null
  const bool keep_all_open_;            // max_open_files < 0: fill TableSlots
  const std::shared_ptr<Cache> cache_;  // fixed64(number) -> shared_ptr<const TableReader>
};

}  // namespace synapsed

#endif  // SYNAPSED_CACHE_TABLE_CACHE_H_
