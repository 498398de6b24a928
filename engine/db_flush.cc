// Background work: flushes of frozen memtables to level-0 tables, oldest
// first, and, when none waits, leveled compactions (see the threading notes
// in db_impl.h and the ordering rules of docs/format/manifest.md).
#include <chrono>

#include "cache/table_cache.h"
#include "engine/compaction_job.h"
#include "engine/db_impl.h"
#include "engine/filename.h"
#include "engine/flush.h"
#include "engine/version_set.h"
#include "memtable/memtable.h"

namespace synapsed {

void DBImpl::BackgroundThread() {
  MutexLock l(&mu_);
  while (true) {
    while (true) {
      // Readers may have let go of old versions. This may release mu_, so
      // the condition is checked after it (else a signal sent meanwhile
      // would be lost and a stalled writer would wait for ever).
      DeleteObsoleteTables();
      if (shutting_down_ || (manual_ != nullptr && !manual_->done) ||
          (bg_error_.ok() && (!imm_.empty() || NeedsCompaction()))) {
        break;
      }
      bg_work_cv_.Wait();
    }
    if (shutting_down_) break;
    // Flushes go first: writers may be waiting for room. Then a manual
    // compaction (its caller waits), then what the picker wants.
    Status s;
    if (!bg_error_.ok()) {
      // Only a CompactRange caller is waiting: answer it; nothing runs.
      manual_->status = bg_error_;
      manual_->done = true;
    } else if (!imm_.empty()) {
      s = FlushOldest();
    } else if (manual_ != nullptr && !manual_->done) {
      // The caller waits until done (or this thread exits), so manual_
      // stays valid while mu_ is released inside.
      s = ManualCompaction();
      manual_->status = s;
      manual_->done = true;
    } else {
      s = CompactOnce();
    }
    if (!s.ok() && bg_error_.ok()) bg_error_ = s;
    DeleteObsoleteTables();
    // Writers waiting for room, and Flush callers, check their condition.
    bg_done_cv_.SignalAll();
  }
  DeleteObsoleteTables();
  bg_exited_ = true;
  bg_done_cv_.SignalAll();
}

bool DBImpl::NeedsCompaction() const {
  for (int level = 0; level < kNumLevels - 1; level++) {
    if (LevelScore(*versions_->current(), level, compaction_options_) >= 1) return true;
  }
  return false;
}

Status DBImpl::CompactOnce() {
  std::optional<CompactionSpec> spec =
      PickLeveledCompaction(*versions_->current(), compaction_options_);
  if (!spec) return Status::OK();
  return RunCompaction(std::move(*spec));
}

Status DBImpl::ManualCompaction() {
  // Level by level, everything in the range moves to the next level, so it
  // all ends in the last level (where tombstones can go).
  std::string_view begin, end;
  if (manual_->begin) begin = *manual_->begin;
  if (manual_->end) end = *manual_->end;
  for (int level = 0; level < kNumLevels - 1; level++) {
    std::optional<CompactionSpec> spec =
        PickRangeCompaction(*versions_->current(), level, manual_->begin ? &begin : nullptr,
                            manual_->end ? &end : nullptr);
    if (!spec) continue;
    Status s = RunCompaction(std::move(*spec));
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status DBImpl::RunCompaction(CompactionSpec spec) {
  const std::shared_ptr<const Version> version = versions_->current();
  const auto start = std::chrono::steady_clock::now();
  VersionEdit edit;
  for (const auto& f : spec.inputs[0]) edit.DeleteFile(spec.level, f->number);
  for (const auto& f : spec.inputs[1]) edit.DeleteFile(spec.output_level, f->number);
  CompactionJobStats stats;
  if (spec.trivial_move) {
    edit.AddFile(spec.output_level, *spec.inputs[0][0]);
  } else {
    CompactionJobOptions job;
    job.fs = fs_.get();
    job.dbname = dbname_;
    job.table_cache = table_cache_.get();
    job.table_options = TableOptions(0);
    job.target_file_size = options_.target_file_size_base;
    // The oldest sequence any reader may use: the oldest snapshot, or the
    // last sequence (a read takes its view before its sequence, so a read
    // that sees this compaction's output uses a later one).
    job.smallest_snapshot = last_sequence_.load(std::memory_order_acquire);
    for (const auto& [handle, snapshot] : snapshots_) {
      job.smallest_snapshot = std::min<SequenceNumber>(job.smallest_snapshot, handle->sequence());
    }
    job.new_file_number = [this] {
      MutexLock l(&mu_);
      return versions_->NewFileNumber();
    };
    std::vector<FileMetaData> outputs;
    compaction_running_ = true;
    mu_.Unlock();
    Status s = RunCompactionJob(job, *version, spec, &outputs, &stats);
    mu_.Lock();
    compaction_running_ = false;
    if (!s.ok()) return s;  // its outputs were removed; nothing names them
    for (const auto& f : outputs) edit.AddFile(spec.output_level, f);
  }
  // Held under mu_ (the version set's contract): one MANIFEST append and sync.
  Status s = versions_->LogAndApply(&edit);
  if (!s.ok()) return s;  // outputs are kept: the edit may be durable anyway
  const bool trivial_move = spec.trivial_move;
  if (!trivial_move) {
    for (int which = 0; which < 2; which++) {
      for (const auto& f : spec.inputs[which]) obsolete_tables_.emplace_back(f->number, f);
    }
  }
  spec = CompactionSpec();  // its FileMetaData references must not keep inputs alive
  InstallView();
  stat_compactions_.fetch_add(1, std::memory_order_relaxed);
  if (trivial_move) stat_trivial_moves_.fetch_add(1, std::memory_order_relaxed);
  stat_compaction_bytes_read_.fetch_add(stats.bytes_read, std::memory_order_relaxed);
  stat_compaction_bytes_written_.fetch_add(stats.bytes_written, std::memory_order_relaxed);
  stat_compaction_micros_.fetch_add(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::steady_clock::now() - start)
                                        .count(),
                                    std::memory_order_relaxed);
  return Status::OK();
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
    fs_->RemoveFile(TableFileName(dbname_, n)).PermitUncheckedError();
  }
  mu_.Lock();
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
  Status s = WriteLevel0Table(fs_.get(), dbname_, table_options, iter.get(), &meta);
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
  for (uint64_t n : obsolete) fs_->RemoveFile(LogFileName(dbname_, n)).PermitUncheckedError();
  mu_.Lock();
  flushed_count_++;  // only now: DB::Flush promises the obsolete WALs are gone
  return Status::OK();
}

}  // namespace synapsed
