// DBImpl: the DB implementation -- open and recovery, the write path with
// group commit, memtable switches and background flushes, and the read path.
//
// Threading (docs/design/threading.md):
//   - mu_ guards the writer queue, the frozen memtables, the version set, the
//     snapshot list, the WAL file list and the flags. It is held across
//     MANIFEST appends (LogAndApply syncs), never across WAL or table I/O.
//   - Writers queue in writers_. The writer at the front is the leader: it
//     makes room (freezing a full memtable and starting a new WAL, or waiting
//     while max_write_buffer_number memtables exist), takes a group of queued
//     batches, releases mu_, appends one WAL record, syncs once if any member
//     asked for sync, inserts the group into the memtable, then re-takes mu_,
//     publishes the last sequence and wakes the group. Only the leader touches
//     log_ and mem_, so those need no lock of their own: the queue serializes
//     them. DB::Flush and Close queue like writers to get the same exclusion.
//   - The background threads start with their first work (a frozen memtable;
//     a compaction due or requested), so a database that is opened, read
//     and closed starts none.
//   - One background thread flushes frozen memtables, oldest first: it writes
//     the table without mu_, then (under mu_) records it in the MANIFEST with
//     the log number of the oldest WAL still needed, installs the new view,
//     and deletes the WALs that edit made obsolete. It never waits behind a
//     compaction.
//   - max_background_jobs - 1 compaction threads run what the picker
//     (compaction/) chooses around the compactions already running
//     (running_), the same way: merge without mu_, then one MANIFEST edit.
//     A CompactRange request runs on one of them once no other compaction
//     runs, and none starts while it is pending.
//   - Readers take the current ReadView (memtable, frozen memtables, version;
//     ref-counted) under view_mu_ for a moment, then load the sequence, and
//     read without any lock. View first: a later sequence may name writes in
//     a newer memtable, but those are newer than everything in the view, so
//     the read still sees a prefix of the writes; and the sequence is then
//     never below what a compaction that built the view assumed readers use.
//   - After a WAL append or sync, a flush or a MANIFEST write fails, bg_error_
//     is set and every later write fails with it: a failed fsync is never
//     retried and trusted. Reads go on. A compaction that fails before its
//     MANIFEST edit with an I/O error (reading its inputs, writing or
//     syncing its outputs) changed nothing: its outputs are removed, the
//     error goes to the CompactRange caller and synapsed.stats, writes go
//     on, and no automatic compaction is picked again until the version
//     changes. A compaction that finds a corrupt input sets bg_error_.
#ifndef SYNAPSED_ENGINE_DB_IMPL_H_
#define SYNAPSED_ENGINE_DB_IMPL_H_

#include <array>
#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "compaction/compaction_picker.h"
#include "engine/info_log.h"
#include "io/read_queue_pool.h"
#include "sstable/table_builder.h"
#include "synapsed/cache.h"
#include "synapsed/db.h"
#include "synapsed/file_system.h"
#include "util/internal_key.h"
#include "util/mutex.h"

namespace synapsed {

class MemTable;
class TableCache;
class Version;
class VersionSet;
namespace wal {
class Writer;
}

class DBImpl final : public DB {
 public:
  DBImpl(const Options& options, std::string dbname);
  ~DBImpl() override;

  Status Put(const WriteOptions& options, std::string_view key, std::string_view value) override;
  Status Delete(const WriteOptions& options, std::string_view key) override;
  Status DeleteRange(const WriteOptions& options, std::string_view begin,
                     std::string_view end) override;
  Status Write(const WriteOptions& options, WriteBatch* batch) override EXCLUDES(mu_);
  Status Get(const ReadOptions& options, std::string_view key, std::string* value) override;
  std::vector<Status> MultiGet(const ReadOptions& options,
                               const std::vector<std::string_view>& keys,
                               std::vector<std::string>* values) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  const Snapshot* GetSnapshot() override EXCLUDES(mu_);
  void ReleaseSnapshot(const Snapshot* snapshot) override EXCLUDES(mu_);
  bool GetProperty(std::string_view name, std::string* value) override EXCLUDES(mu_);
  Status Flush() override EXCLUDES(mu_);
  Status CompactRange(const std::string_view* begin, const std::string_view* end) override
      EXCLUDES(mu_);
  Status Close() override EXCLUDES(mu_);

  // Open's work after construction: lock, create or recover, start a new log.
  Status OpenImpl() EXCLUDES(mu_);

 private:
  struct Writer;
  class SnapshotImpl;
  // What a read sees: immutable once published, shared by every reader that
  // took it, so memtables and table files stay alive while in use.
  struct ReadView {
    std::shared_ptr<const MemTable> mem;
    std::vector<std::shared_ptr<const MemTable>> imm;  // newest first
    std::shared_ptr<const Version> version;
  };
  // A frozen memtable waiting for its flush.
  struct Frozen {
    std::shared_ptr<const MemTable> mem;
    uint64_t log_number;           // the WAL that holds its writes
    SequenceNumber last_sequence;  // its newest entry's sequence
  };

  Status ReadIdentity();
  // Corruption if the directory holds logs, tables, a MANIFEST or CURRENT
  // (its IDENTITY is missing); else its children.
  Status DatabaseFilesWithoutIdentity(std::vector<std::string>* children) EXCLUDES(mu_);
  // children: the directory's entries, from DatabaseFilesWithoutIdentity.
  Status CreateNew(const std::vector<std::string>& children) EXCLUDES(mu_);
  Status FinishCrashedCreation(const std::vector<std::string>& children);
  Status Recover() EXCLUDES(mu_);
  // Creates WAL `number` and makes its directory entry durable.
  Status CreateLog(uint64_t number, std::unique_ptr<wal::Writer>* writer);
  // Moves (or, with copy, copies) a file to lost/ for salvage, durably.
  Status Quarantine(const std::string& path, bool copy);
  Status CopyFile(const std::string& from, const std::string& to);

  // REQUIRES: the caller is at the front of the writer queue. Freezes mem_
  // when it is full (or, with force, when it holds anything), after waiting
  // while max_write_buffer_number memtables exist.
  Status MakeRoomForWrite(bool force) REQUIRES(mu_);
  // REQUIRES: w is the leader. Gathers the group of writers starting at the
  // front; returns the batch to write and sets *last_writer and *sync.
  WriteBatch* BuildBatchGroup(Writer** last_writer, bool* sync) REQUIRES(mu_);
  // Pops writers from the front up to and including last, handing them s.
  void FinishWriters(Writer* self, Writer* last, const Status& s) REQUIRES(mu_);

  void FlushThread() EXCLUDES(mu_);
  void CompactionThread() EXCLUDES(mu_);
  // Wake the flush thread (for a frozen memtable) or the compaction threads
  // (for a compaction due, or a CompactRange request), starting them first
  // if this is their first work. Once Close has stopped the threads, none
  // starts.
  void WakeFlushThread() REQUIRES(mu_);
  void WakeCompactionThreads() REQUIRES(mu_);
  // After the version changed: wakes the compaction threads if they run (they
  // pick for themselves), else starts them only if a compaction is due.
  void CompactionMayBeDue() REQUIRES(mu_);
  // Flushes the oldest frozen memtable; releases mu_ while writing the table.
  Status FlushOldest() REQUIRES(mu_);
  // Runs *manual_, step by step (CompactionPicker::PickManual).
  Status ManualCompaction() REQUIRES(mu_);
  // Runs one compaction and installs its result; releases mu_ while merging.
  // A failed MANIFEST edit sets bg_error_; a failure before it is recorded
  // as a compaction error (RecordCompactionError).
  Status RunCompaction(CompactionSpec spec) REQUIRES(mu_);
  void RecordCompactionError(const Status& s) REQUIRES(mu_);
  // True if an automatic compaction failed at the current version: none is
  // picked (and none can lift a write stop) until the version changes.
  bool CompactionFailedAtCurrentVersion() const REQUIRES(mu_);
  // Deletes table files that no version in use names any more.
  void DeleteObsoleteTables() REQUIRES(mu_);
  // Removes a file nothing needs any more. Best effort: a file left behind
  // is an orphan the next Open removes; the LOG says why it is still there.
  // Touches no state mu_ guards; callable with or without it.
  void RemoveObsoleteFile(const std::string& path);
  void InstallView() REQUIRES(mu_);
  std::shared_ptr<const ReadView> GetView() const EXCLUDES(view_mu_);

  // A point lookup at seq in view.
  Status GetFromView(const ReadOptions& options, SequenceNumber seq, const ReadView& view,
                     std::string_view key, std::string* value);
  // NotSupported if use_direct_reads or use_direct_io_for_flush_and_compaction
  // is set and the file system cannot open files that way (tmpfs refuses
  // O_DIRECT): Open fails at once instead of every table read or write.
  Status CheckDirectIo();
  // How flushes and compactions open the tables they write.
  FileOptions TableWriteOptions() const;
  // Block read options for iterators: the read's, with readahead.
  ReadBlockOptions IteratorBlockOptions(const ReadOptions& options) const;
  SequenceNumber ReadSequence(const ReadOptions& options) const;
  // The per-level compaction table and write amplification of synapsed.stats.
  std::string WriteAmplificationReport(const Version& version) const;
  Status CheckOpen() const;
  // bottommost: for tables with no older data below (bottommost_compression).
  TableBuilderOptions TableOptions(uint64_t file_number, bool bottommost = false) const;
  // An empty memtable whose arena blocks suit write_buffer_size.
  std::shared_ptr<MemTable> NewMemTable() const;

  const Options options_;
  // Why fs_ is what it is (io_engine, or its fallback), for the LOG.
  std::string io_engine_note_;
  const std::shared_ptr<FileSystem> fs_;
  const std::string dbname_;
  std::unique_ptr<InfoLog> info_log_;
  // Queues for MultiGet's batched reads and for readahead (taking one is
  // thread-safe, so const readers may).
  mutable ReadQueuePool read_queues_;
  std::shared_ptr<Cache> block_cache_;  // may be null (no_block_cache)
  std::string db_id_;                   // IDENTITY, recorded in every table
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<TableCache> table_cache_;

  Mutex mu_;
  std::deque<Writer*> writers_ GUARDED_BY(mu_);
  Status bg_error_ GUARDED_BY(mu_);
  bool closed_flag_ GUARDED_BY(mu_) = false;
  bool shutting_down_ GUARDED_BY(mu_) = false;  // Close asked the threads to stop
  bool flush_exited_ GUARDED_BY(mu_) = false;   // the flush thread has stopped
  int compaction_threads_live_ GUARDED_BY(mu_) = 0;
  bool close_done_ GUARDED_BY(mu_) = false;
  // Compactions being merged, and what they hold.
  int running_compactions_ GUARDED_BY(mu_) = 0;
  CompactionsInProgress running_ GUARDED_BY(mu_);
  // A CompactRange request, run by a compaction thread.
  struct ManualRequest {
    std::optional<std::string> begin, end;  // user keys; nullopt = open
    bool running = false;
    bool done = false;
    Status status;
  };
  ManualRequest* manual_ GUARDED_BY(mu_) = nullptr;
  // Compactions that failed before their edit (see the threading notes).
  uint64_t compaction_errors_ GUARDED_BY(mu_) = 0;
  Status last_compaction_error_ GUARDED_BY(mu_);
  std::weak_ptr<const Version> compaction_failed_version_ GUARDED_BY(mu_);
  std::atomic<bool> closed_{false};  // read without mu_ by readers
  std::map<const Snapshot*, std::unique_ptr<SnapshotImpl>> snapshots_ GUARDED_BY(mu_);
  std::vector<uint64_t> live_logs_ GUARDED_BY(mu_);
  std::vector<std::string> recovery_damage_ GUARDED_BY(mu_);
  std::unique_ptr<VersionSet> versions_ GUARDED_BY(mu_);
  std::deque<Frozen> imm_ GUARDED_BY(mu_);  // oldest first
  const std::unique_ptr<const CompactionPicker> picker_;
  // Tables a compaction removed from the version, deleted once nothing holds
  // their metadata (no version in use names them; manifest.md rule 5).
  std::vector<std::pair<uint64_t, std::weak_ptr<const FileMetaData>>> obsolete_tables_
      GUARDED_BY(mu_);
  uint64_t frozen_count_ GUARDED_BY(mu_) = 0;   // memtables ever frozen
  uint64_t flushed_count_ GUARDED_BY(mu_) = 0;  // of those, flushed
  CondVar flush_cv_;                            // the flush thread waits here for a frozen memtable
  CondVar bg_work_cv_;                          // compaction threads wait here for work
  CondVar bg_done_cv_;                          // writers, Flush and CompactRange wait here
  // Started under mu_ (WakeFlushThread, WakeCompactionThreads) until Close
  // sets shutting_down_; Close then joins them without mu_.
  std::thread flush_thread_;
  std::vector<std::thread> compaction_threads_;

  // Leader-only state (serialized by the writer queue, see above); replaced
  // only by the leader under mu_, so reads under mu_ are safe too.
  std::unique_ptr<wal::Writer> log_;
  uint64_t log_number_ = 0;
  std::shared_ptr<MemTable> mem_;
  WriteBatch group_batch_;

  mutable Mutex view_mu_;  // taken after mu_, never before it
  std::shared_ptr<const ReadView> view_ GUARDED_BY(view_mu_);
  std::atomic<SequenceNumber> last_sequence_{0};
  // The picker's estimate for the current version (set with each view).
  std::atomic<uint64_t> pending_compaction_bytes_{0};

  // Counters for "synapsed.stats".
  std::atomic<uint64_t> stat_write_groups_{0};
  std::atomic<uint64_t> stat_batches_{0};
  std::atomic<uint64_t> stat_wal_syncs_{0};
  std::atomic<uint64_t> stat_wal_bytes_{0};
  std::atomic<uint64_t> stat_flushes_{0};
  std::atomic<uint64_t> stat_flush_bytes_{0};
  std::atomic<uint64_t> stat_flush_micros_{0};
  std::atomic<uint64_t> stat_stalls_{0};
  std::atomic<uint64_t> stat_stall_micros_{0};
  std::atomic<uint64_t> stat_l0_slowdowns_{0};
  std::atomic<uint64_t> stat_l0_stops_{0};
  std::atomic<uint64_t> stat_l0_stop_micros_{0};
  std::atomic<uint64_t> stat_slowdown_micros_{0};
  std::atomic<uint64_t> stat_pending_slowdowns_{0};
  std::atomic<uint64_t> stat_pending_stops_{0};
  std::atomic<uint64_t> stat_pending_stop_micros_{0};
  std::atomic<uint64_t> stat_user_bytes_{0};  // batch bytes written by users
  std::atomic<uint64_t> stat_compactions_{0};
  std::atomic<uint64_t> stat_trivial_moves_{0};
  std::atomic<uint64_t> stat_compaction_bytes_read_{0};
  std::atomic<uint64_t> stat_compaction_bytes_written_{0};
  std::atomic<uint64_t> stat_compaction_micros_{0};
  // Per output level (compactions into it; flushes count at level 0).
  struct LevelStats {
    std::atomic<uint64_t> compactions{0};
    std::atomic<uint64_t> bytes_read{0};      // from the levels above (input level)
    std::atomic<uint64_t> bytes_read_own{0};  // from this level
    std::atomic<uint64_t> bytes_written{0};
    std::atomic<uint64_t> micros{0};
  };
  std::array<LevelStats, kNumLevels> level_stats_;
};

}  // namespace synapsed

#endif  // SYNAPSED_ENGINE_DB_IMPL_H_
