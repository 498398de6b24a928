// Background flushes: frozen memtables to level-0 tables, oldest first (see
// the threading notes in db_impl.h and the ordering rules of
// docs/format/manifest.md).
#include <chrono>

#include "engine/db_impl.h"
#include "engine/filename.h"
#include "engine/flush.h"
#include "engine/version_set.h"
#include "memtable/memtable.h"

namespace synapsed {

void DBImpl::BackgroundThread() {
  MutexLock l(&mu_);
  while (true) {
    while (!shutting_down_ && (imm_.empty() || !bg_error_.ok())) bg_work_cv_.Wait();
    if (shutting_down_) break;
    Status s = FlushOldest();
    if (!s.ok() && bg_error_.ok()) bg_error_ = s;
    // Writers waiting for room, and Flush callers, check their condition.
    bg_done_cv_.SignalAll();
  }
  bg_exited_ = true;
  bg_done_cv_.SignalAll();
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
