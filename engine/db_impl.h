// DBImpl: the DB implementation — open and recovery, the write path with group
// commit, and the read path.
//
// Threading (docs/design/threading.md):
//   - mu_ guards the writer queue, the snapshot list, the WAL file list and the
//     closed flag. It is never held across WAL I/O except in Close.
//   - Writers queue in writers_. The writer at the front is the leader: it
//     takes a group of queued batches, releases mu_, appends one WAL record,
//     syncs once if any member asked for sync, inserts the group into the
//     memtable, then re-takes mu_, publishes the last sequence and wakes the
//     group. Only the leader touches log_ and inserts into mem_, so those need
//     no lock of their own: the queue serializes them.
//   - Readers take no lock: they load last_sequence_ (acquire) and read mem_,
//     whose entries up to that sequence are fully inserted (the leader
//     publishes with a release store after inserting).
//   - After a WAL append or sync fails, bg_error_ is set and every later write
//     fails with it: a failed fsync is never retried and trusted. Reads go on.
#ifndef SYNAPSED_ENGINE_DB_IMPL_H_
#define SYNAPSED_ENGINE_DB_IMPL_H_

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "synapsed/db.h"
#include "synapsed/file_system.h"
#include "util/internal_key.h"
#include "util/mutex.h"

namespace synapsed {

class MemTable;
namespace wal {
class Writer;
}

class DBImpl final : public DB {
 public:
  DBImpl(const Options& options, std::string dbname);
  ~DBImpl() override;

  Status Put(const WriteOptions& options, std::string_view key, std::string_view value) override;
  Status Delete(const WriteOptions& options, std::string_view key) override;
  Status Write(const WriteOptions& options, WriteBatch* batch) override EXCLUDES(mu_);
  Status Get(const ReadOptions& options, std::string_view key, std::string* value) override;
  std::vector<Status> MultiGet(const ReadOptions& options,
                               const std::vector<std::string_view>& keys,
                               std::vector<std::string>* values) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  const Snapshot* GetSnapshot() override EXCLUDES(mu_);
  void ReleaseSnapshot(const Snapshot* snapshot) override EXCLUDES(mu_);
  bool GetProperty(std::string_view name, std::string* value) override EXCLUDES(mu_);
  Status Close() override EXCLUDES(mu_);

  // Open's work after construction: lock, create or recover, start a new log.
  Status OpenImpl() EXCLUDES(mu_);

 private:
  struct Writer;
  class SnapshotImpl;

  Status CreateNew();
  Status Recover() EXCLUDES(mu_);
  // Starts WAL number `number` and makes its directory entry durable.
  Status NewLog(uint64_t number) EXCLUDES(mu_);
  // Moves a file that held damaged or unapplied records to lost/.
  Status Quarantine(const std::string& path);
  // REQUIRES: w is the leader. Gathers the group of writers starting at the
  // front; returns the batch to write and sets *last_writer and *sync.
  WriteBatch* BuildBatchGroup(Writer** last_writer, bool* sync) REQUIRES(mu_);
  SequenceNumber ReadSequence(const ReadOptions& options) const;
  Status CheckOpen() const;

  const Options options_;
  const std::shared_ptr<FileSystem> fs_;
  const std::string dbname_;
  std::unique_ptr<FileLock> lock_;

  Mutex mu_;
  std::deque<Writer*> writers_ GUARDED_BY(mu_);
  Status bg_error_ GUARDED_BY(mu_);
  bool closed_flag_ GUARDED_BY(mu_) = false;
  std::atomic<bool> closed_{false};  // read without mu_ by readers
  std::map<const Snapshot*, std::unique_ptr<SnapshotImpl>> snapshots_ GUARDED_BY(mu_);
  std::vector<uint64_t> live_logs_ GUARDED_BY(mu_);
  std::vector<std::string> recovery_damage_ GUARDED_BY(mu_);

  // Leader-only state (serialized by the writer queue, see above).
  std::unique_ptr<wal::Writer> log_;
  WriteBatch group_batch_;

  std::shared_ptr<MemTable> mem_;  // set in Open, then never replaced
  std::atomic<SequenceNumber> last_sequence_{0};

  // Counters for "synapsed.stats".
  std::atomic<uint64_t> stat_write_groups_{0};
  std::atomic<uint64_t> stat_batches_{0};
  std::atomic<uint64_t> stat_wal_syncs_{0};
  std::atomic<uint64_t> stat_wal_bytes_{0};
};

}  // namespace synapsed

#endif  // SYNAPSED_ENGINE_DB_IMPL_H_
