// DB: an embedded, persistent, ordered key-value store.
//
// Keys and values are arbitrary byte strings; keys are ordered bytewise.
// Every write goes to the write-ahead log and then to the memtable; a write
// is acknowledged only after it is durable to the level WriteOptions asks for.
//
// Thread safety: every method may be called concurrently from any number of
// threads, Close included: writes queued before Close finish first; calls
// that start after it fail with Aborted. Iterators and snapshots must be
// released before the DB is destroyed.
//
// Writes fill a memtable; a full memtable is flushed in the background to a
// level-0 table file, and the MANIFEST records which tables make up the
// database (docs/design/architecture.md); leveled compaction merges tables
// down the levels in the background.
#ifndef SYNAPSED_INCLUDE_DB_H_
#define SYNAPSED_INCLUDE_DB_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "synapsed/iterator.h"
#include "synapsed/options.h"
#include "synapsed/snapshot.h"
#include "synapsed/status.h"
#include "synapsed/write_batch.h"

namespace synapsed {

class DB {
 public:
  // Opens (recovering from the WAL) or creates the database at path.
  // A database is used by one DB object at a time: a second Open of the same
  // path, from this or another process, fails with IOError naming the LOCK file.
  static Status Open(const Options& options, const std::string& path, std::unique_ptr<DB>* db);

  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  // Closes the database if Close was not called (ignoring its status).
  virtual ~DB();

  virtual Status Put(const WriteOptions& options, std::string_view key,
                     std::string_view value) = 0;
  virtual Status Delete(const WriteOptions& options, std::string_view key) = 0;
  // Deletes every key k with begin <= k < end (bytewise) as of this write:
  // reads at a snapshot taken before it still see the keys, and a later Put
  // of a key in the range is visible. InvalidArgument if begin > end;
  // begin == end deletes nothing and writes nothing. Durable and atomic like
  // Put (it is a one-update WriteBatch, see WriteBatch::DeleteRange).
  virtual Status DeleteRange(const WriteOptions& options, std::string_view begin,
                             std::string_view end) = 0;
  // Applies the batch atomically. An empty batch is a no-op.
  virtual Status Write(const WriteOptions& options, WriteBatch* batch) = 0;

  // NotFound if key has no value at the read's snapshot.
  virtual Status Get(const ReadOptions& options, std::string_view key, std::string* value) = 0;
  // Looks up every key at one consistent snapshot. values is resized to
  // keys.size(); result i is the status of key i.
  virtual std::vector<Status> MultiGet(const ReadOptions& options,
                                       const std::vector<std::string_view>& keys,
                                       std::vector<std::string>* values) = 0;
  virtual std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) = 0;

  virtual const Snapshot* GetSnapshot() = 0;
  virtual void ReleaseSnapshot(const Snapshot* snapshot) = 0;

  // Properties (false for an unknown name):
  //   "synapsed.stats"                          human-readable summary
  //   "synapsed.num-entries-active-mem-table"   entries (puts, deletes, range deletes)
  //   "synapsed.num-deletes-active-mem-table"
  //   "synapsed.num-range-deletes-active-mem-table"
  //   "synapsed.cur-size-active-mem-table"      bytes
  //   "synapsed.last-sequence"                  sequence of the newest write
  //   "synapsed.num-snapshots"
  //   "synapsed.wal-files"                      live WAL files, oldest first
  //   "synapsed.num-immutable-mem-table"        frozen memtables awaiting flush
  //   "synapsed.num-files-at-level<N>"          table files at level N
  //   "synapsed.total-sst-files-size"           bytes of the live table files
  //   "synapsed.compaction-pending"             1 while a compaction runs or is due
  //   "synapsed.block-cache-capacity"           bytes (0: no block cache)
  //   "synapsed.block-cache-usage"              bytes held
  //   "synapsed.block-cache-entries"
  //   "synapsed.block-cache-hits", "...-misses", "...-inserts", "...-evictions"
  virtual bool GetProperty(std::string_view name, std::string* value) = 0;

  // Freezes the memtable (if it holds anything) and waits until it, and every
  // memtable frozen before it, is flushed to a table file and recorded in the
  // MANIFEST. Afterwards every write acknowledged before the call is in table
  // files, and the WAL files that held only those writes are deleted.
  virtual Status Flush() = 0;

  // Flushes, then compacts every table holding keys in [*begin, *end] (a
  // null bound is open) down to the last level, dropping every version and
  // deletion no snapshot needs. Synchronous; one at a time (a second call
  // waits for the first). After deleting every key, CompactRange(nullptr,
  // nullptr) with no snapshot held leaves no table.
  virtual Status CompactRange(const std::string_view* begin, const std::string_view* end) = 0;

  // Waits for queued writes, syncs the WAL and releases the database (and its
  // LOCK). Later calls on this object fail with Aborted. Returns the error
  // that stopped writes, if one did, else the first error seen while closing.
  // Closing twice returns OK.
  virtual Status Close() = 0;
};

// Removes the database's files and its directory (if then empty).
Status DestroyDB(const std::string& path, const Options& options);

}  // namespace synapsed

#endif  // SYNAPSED_INCLUDE_DB_H_
