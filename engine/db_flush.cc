// Background work: the flush thread (frozen memtables to level-0 tables,
// oldest first) and the compaction threads (what the picker chooses, and
// CompactRange requests); see the threading notes in db_impl.h and the
// ordering rules of docs/format/manifest.md.
#include <algorithm>
#include <chrono>

#include "cache/table_cache.h"
#include "engine/compaction_job.h"
#include "engine/db_impl.h"
#include "engine/filename.h"
#include "engine/flush.h"
#include "engine/version_set.h"
#include "memtable/memtable.h"

namespace synapsed {

void DBImpl::FlushThread() {
  MutexLock l(&mu_);
  while (true) {
    while (!shutting_down_ && (imm_.empty() || !bg_error_.ok())) flush_cv_.Wait();
    if (shutting_down_) break;
    Status s = FlushOldest();
    if (!s.ok() && bg_error_.ok()) bg_error_ = s;
    DeleteObsoleteTables();
    // Writers waiting for room and Flush callers check their condition;
    // level 0 grew, so a compaction may be due.
    bg_done_cv_.SignalAll();
    CompactionMayBeDue();
  }
  flush_exited_ = true;
  bg_done_cv_.SignalAll();
}

void DBImpl::CompactionThread() {
  MutexLock l(&mu_);
  while (true) {
    std::optional<CompactionSpec> spec;
    bool manual = false;
    while (true) {
      // Readers may have let go of old versions. This may release mu_, so
      // the conditions are checked after it (else a signal sent meanwhile
      // would be lost).
      DeleteObsoleteTables();
      if (shutting_down_) break;
      if (manual_ != nullptr && !manual_->done) {
        if (!bg_error_.ok() && !manual_->running) {
          // Nothing runs after a background error: answer the caller.
          manual_->status = bg_error_;
          manual_->done = true;
          bg_done_cv_.SignalAll();
          continue;
        }
        // A manual compaction runs alone; nothing else starts meanwhile.
        if (!manual_->running && running_compactions_ == 0) {
          manual = true;
          break;
        }
      } else if (bg_error_.ok() && !CompactionFailedAtCurrentVersion()) {
        spec = picker_->Pick(*versions_->current(), running_);
        if (spec) break;
      }
      bg_work_cv_.Wait();
    }
    if (shutting_down_) break;
    // RunCompaction records a failure itself: a failed edit as bg_error_,
    // an earlier one as a compaction error (a compaction cut short by Close
    // is neither).
    if (manual) {
      // The caller waits until done (or every compaction thread exits), so
      // manual_ stays valid while mu_ is released inside.
      manual_->running = true;
      manual_->status = ManualCompaction();
      manual_->done = true;
    } else {
      RunCompaction(std::move(*spec)).PermitUncheckedError();
    }
    DeleteObsoleteTables();
    bg_done_cv_.SignalAll();
    bg_work_cv_.SignalAll();  // its files are free: another pick may fit now
  }
  compaction_threads_live_--;
  bg_done_cv_.SignalAll();
}

void DBImpl::WakeFlushThread() {
  if (!flush_thread_.joinable() && !shutting_down_) {
    flush_thread_ = std::thread([this] { FlushThread(); });
  }
  flush_cv_.Signal();
}

void DBImpl::WakeCompactionThreads() {
  if (compaction_threads_.empty() && !shutting_down_) {
    const int n = std::max(1, options_.max_background_jobs - 1);
    compaction_threads_live_ = n;
    for (int i = 0; i < n; i++) compaction_threads_.emplace_back([this] { CompactionThread(); });
  }
  bg_work_cv_.SignalAll();
}

void DBImpl::CompactionMayBeDue() {
  if (!compaction_threads_.empty()) {
    bg_work_cv_.SignalAll();
  } else if (picker_->NeedsCompaction(*versions_->current())) {
    WakeCompactionThreads();
  }
}

Status DBImpl::ManualCompaction() {
  std::string_view begin, end;
  if (manual_->begin) begin = *manual_->begin;
  if (manual_->end) end = *manual_->end;
  int level = 0;
  while (level < kNumLevels) {
    if (shutting_down_) return Status::Aborted("database closed during CompactRange");
    std::optional<CompactionSpec> spec =
        picker_->PickManual(*versions_->current(), level, manual_->begin ? &begin : nullptr,
                            manual_->end ? &end : nullptr, &level);
    if (!spec) break;
    Status s = RunCompaction(std::move(*spec));
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status DBImpl::RunCompaction(CompactionSpec spec) {
  const std::shared_ptr<const Version> version = versions_->current();
  const auto start = std::chrono::steady_clock::now();
  VersionEdit edit;
  uint64_t bytes_in = 0, bytes_own = 0;
  for (const CompactionInput& in : spec.inputs) {
    for (const auto& f : in.files) {
      edit.DeleteFile(in.level, f->number);
      (in.level == spec.output_level ? bytes_own : bytes_in) += f->file_size;
    }
  }
  CompactionJobStats stats;
  if (spec.trivial_move) {
    edit.AddFile(spec.output_level, *spec.inputs[0].files[0]);
  } else {
    CompactionJobOptions job;
    job.fs = fs_.get();
    job.dbname = dbname_;
    job.table_cache = table_cache_.get();
    job.table_options = TableOptions(0, spec.bottommost);
    // The oldest sequence any reader may use: the oldest snapshot, or the
    // last sequence (a read takes its view before its sequence, so a read
    // that sees this compaction's output uses a later one).
    job.smallest_snapshot = last_sequence_.load(std::memory_order_acquire);
    job.snapshots.push_back(job.smallest_snapshot);
    for (const auto& [handle, snapshot] : snapshots_) {
      job.smallest_snapshot = std::min<SequenceNumber>(job.smallest_snapshot, handle->sequence());
      job.snapshots.push_back(handle->sequence());
    }
    // Every sequence a reader may use, for the range tombstones' stripes.
    std::sort(job.snapshots.begin(), job.snapshots.end());
    job.snapshots.erase(std::unique(job.snapshots.begin(), job.snapshots.end()),
                        job.snapshots.end());
    job.new_file_number = [this] {
      MutexLock l(&mu_);
      return versions_->NewFileNumber();
    };
    job.cancel = &closed_;
    job.output_file_options = TableWriteOptions();
    job.read_queues = &read_queues_;
    std::vector<FileMetaData> outputs;
    running_.Add(spec);
    running_compactions_++;
    mu_.Unlock();
    Status s = RunCompactionJob(job, *version, spec, &outputs, &stats);
    mu_.Lock();
    running_compactions_--;
    running_.Remove(spec);
    if (!s.ok()) {
      // Its outputs were removed and nothing names them: the database is as
      // it was, so after an I/O error writes go on (a failed output sync is
      // not trusted: the file is gone). A corrupt input is another matter:
      // the data is damaged, and every later compaction over it would fail
      // too, so writes stop (as RocksDB's paranoid_checks, on by default,
      // does) until the damage is dealt with and the database reopened.
      const bool cancelled = s.IsAborted() && closed_.load(std::memory_order_acquire);
      if (s.IsCorruption()) {
        if (bg_error_.ok()) bg_error_ = s;
        info_log_->Log("compaction found corruption; writes stop: %s", s.ToString().c_str());
      } else if (!cancelled) {
        RecordCompactionError(s);
      }
      return s;
    }
    for (const auto& f : outputs) edit.AddFile(spec.output_level, f);
  }
  // Held under mu_ (the version set's contract): one MANIFEST append and sync.
  Status s = versions_->LogAndApply(&edit);
  if (!s.ok()) {
    // Outputs are kept: the edit may be durable anyway. Its outcome is
    // unknown, so writes stop until the next Open decides.
    if (bg_error_.ok()) bg_error_ = s;
    return s;
  }
  const bool trivial_move = spec.trivial_move;
  const int output_level = spec.output_level;
  if (!trivial_move) {
    for (const CompactionInput& in : spec.inputs) {
      for (const auto& f : in.files) obsolete_tables_.emplace_back(f->number, f);
    }
  }
  spec = CompactionSpec();  // its FileMetaData references must not keep inputs alive
  InstallView();
  const uint64_t micros = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now() - start)
                              .count();
  stat_compactions_.fetch_add(1, std::memory_order_relaxed);
  if (trivial_move) stat_trivial_moves_.fetch_add(1, std::memory_order_relaxed);
  stat_compaction_bytes_read_.fetch_add(stats.bytes_read, std::memory_order_relaxed);
  stat_compaction_bytes_written_.fetch_add(stats.bytes_written, std::memory_order_relaxed);
  stat_compaction_micros_.fetch_add(micros, std::memory_order_relaxed);
  LevelStats& level = level_stats_[output_level];
  level.compactions.fetch_add(1, std::memory_order_relaxed);
  if (!trivial_move) {
    level.bytes_read.fetch_add(bytes_in, std::memory_order_relaxed);
    level.bytes_read_own.fetch_add(bytes_own, std::memory_order_relaxed);
    level.bytes_written.fetch_add(stats.bytes_written, std::memory_order_relaxed);
  }
  level.micros.fetch_add(micros, std::memory_order_relaxed);
  return Status::OK();
}

void DBImpl::RecordCompactionError(const Status& s) {
  compaction_errors_++;
  last_compaction_error_ = s;
  compaction_failed_version_ = versions_->current();
  info_log_->Log("compaction failed, nothing changed: %s", s.ToString().c_str());
}

bool DBImpl::CompactionFailedAtCurrentVersion() const {
  return compaction_failed_version_.lock() == versions_->current();  // null if expired
}

void DBImpl::DeleteObsoleteTables() {
  std::vector<uint64_t> unused;
  for (auto it = obsolete_tables_.begin(); it != obsolete_tables_.end();) {
    if (it->second.expired()) {
      unused.push_back(it->first);
      it = obsolete_tables_.erase(it);
    } else {
      ++it;
    }
  }
  if (unused.empty()) return;
  mu_.Unlock();
  // Best effort: a table left behind is an orphan the next Open removes.
  for (uint64_t n : unused) {
    table_cache_->Evict(n);
    RemoveObsoleteFile(TableFileName(dbname_, n));
  }
  mu_.Lock();
}

void DBImpl::RemoveObsoleteFile(const std::string& path) {
  Status s = fs_->RemoveFile(path);
  if (!s.ok() && !s.IsNotFound()) {
    info_log_->Log("could not remove obsolete file (the next Open will): %s", s.ToString().c_str());
  }
}

Status DBImpl::FlushOldest() {
  const Frozen frozen = imm_.front();
  FileMetaData meta;
  meta.number = versions_->NewFileNumber();
  const TableBuilderOptions table_options = TableOptions(meta.number);
  const auto start = std::chrono::steady_clock::now();
  mu_.Unlock();
  // Writers go on meanwhile; only this thread removes from imm_.
  auto iter = MemTable::NewIterator(frozen.mem);
  const auto tombstones = frozen.mem->RangeTombstones();
  Status s = WriteLevel0Table(fs_.get(), dbname_, table_options, iter.get(), tombstones.get(),
                              &meta, TableWriteOptions());
  iter.reset();
  mu_.Lock();
  if (!s.ok()) return s;  // the partial table was removed; nothing names it

  // The oldest WAL still needed holds the next frozen memtable, or else the
  // active one (both numbered above this memtable's WAL).
  const uint64_t next_log = imm_.size() > 1 ? imm_[1].log_number : log_number_;
  VersionEdit edit;
  if (meta.file_size > 0) edit.AddFile(0, meta);
  edit.SetLogNumber(next_log);
  if (versions_->last_sequence() < frozen.last_sequence) {
    versions_->set_last_sequence(frozen.last_sequence);
  }
  // Held under mu_ (the version set's contract): one MANIFEST append and sync.
  s = versions_->LogAndApply(&edit);
  if (!s.ok()) return s;  // the table is kept: the edit may be durable anyway

  imm_.pop_front();
  InstallView();
  stat_flushes_.fetch_add(1, std::memory_order_relaxed);
  stat_flush_bytes_.fetch_add(meta.file_size, std::memory_order_relaxed);
  level_stats_[0].bytes_written.fetch_add(meta.file_size, std::memory_order_relaxed);
  stat_flush_micros_.fetch_add(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - start)
                                   .count(),
                               std::memory_order_relaxed);

  // The edit is durable: WALs below next_log are obsolete (rule 4). A failed
  // delete leaves a file the next Open removes.
  std::vector<uint64_t> obsolete;
  for (auto it = live_logs_.begin(); it != live_logs_.end();) {
    if (*it < next_log) {
      obsolete.push_back(*it);
      it = live_logs_.erase(it);
    } else {
      ++it;
    }
  }
  mu_.Unlock();
  for (uint64_t n : obsolete) RemoveObsoleteFile(LogFileName(dbname_, n));
  mu_.Lock();
  flushed_count_++;  // only now: DB::Flush promises the obsolete WALs are gone
  return Status::OK();
}

}  // namespace synapsed
