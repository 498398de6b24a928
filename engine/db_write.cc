// The write path: group commit, memtable switches, DB::Flush and Close (see
// the threading notes in db_impl.h).
#include <chrono>
#include <thread>

#include "engine/db_impl.h"
#include "engine/version_set.h"
#include "engine/write_batch_internal.h"
#include "memtable/memtable.h"
#include "wal/log_writer.h"

namespace synapsed {

struct DBImpl::Writer {
  explicit Writer(Mutex* mu) : cv(mu) {}
  WriteBatch* batch = nullptr;  // nullptr: Close or Flush, which end a group
  bool sync = false;
  bool done = false;
  Status status;
  CondVar cv;
};

Status DBImpl::Put(const WriteOptions& options, std::string_view key, std::string_view value) {
  WriteBatch batch;
  batch.Put(key, value);
  return Write(options, &batch);
}

Status DBImpl::Delete(const WriteOptions& options, std::string_view key) {
  WriteBatch batch;
  batch.Delete(key);
  return Write(options, &batch);
}

Status DBImpl::DeleteRange(const WriteOptions& options, std::string_view begin,
                           std::string_view end) {
  WriteBatch batch;
  Status s = batch.DeleteRange(begin, end);
  if (!s.ok()) return s;
  return Write(options, &batch);  // an empty range leaves the batch empty: a no-op
}

Status DBImpl::Write(const WriteOptions& options, WriteBatch* batch) {
  if (batch == nullptr) return Status::InvalidArgument("Write: null batch");
  Writer w(&mu_);
  w.batch = batch;
  w.sync = options.sync;

  MutexLock l(&mu_);
  if (closed_flag_) return Status::Aborted("database is closed");
  if (batch->Count() == 0) return Status::OK();
  writers_.push_back(&w);
  while (!w.done && &w != writers_.front()) w.cv.Wait();
  if (w.done) return w.status;  // a leader wrote our batch

  // This writer leads a group.
  Writer* last_writer = &w;
  Status s = MakeRoomForWrite(/*force=*/false);
  if (s.ok()) {
    bool sync = false;
    WriteBatch* group = BuildBatchGroup(&last_writer, &sync);
    const SequenceNumber first = last_sequence_.load(std::memory_order_relaxed) + 1;
    const uint32_t count = WriteBatchInternal::Count(*group);
    WriteBatchInternal::SetSequence(group, first);
    {
      // The queue keeps every other writer out of log_ and the memtable while
      // the lock is released for I/O.
      mu_.Unlock();
      const std::string_view record = WriteBatchInternal::Contents(*group);
      s = log_->AddRecord(record);
      if (s.ok() && sync) {
        s = log_->Sync();
        stat_wal_syncs_.fetch_add(1, std::memory_order_relaxed);
      }
      if (s.ok()) s = WriteBatchInternal::InsertInto(*group, mem_.get());
      stat_wal_bytes_.fetch_add(record.size(), std::memory_order_relaxed);
      mu_.Lock();
    }
    if (s.ok()) {
      // Publish: readers now see the whole group (inserted above).
      last_sequence_.store(first + count - 1, std::memory_order_release);
      stat_write_groups_.fetch_add(1, std::memory_order_relaxed);
    } else {
      // The log may hold a partial record, or a sync may have failed: stop
      // all writes rather than retry and trust the file.
      bg_error_ = s;
    }
    if (group == &group_batch_) group_batch_.Clear();
  }

  FinishWriters(&w, last_writer, s);
  return s;
}

void DBImpl::FinishWriters(Writer* self, Writer* last, const Status& s) {
  while (true) {
    Writer* ready = writers_.front();
    writers_.pop_front();
    if (ready != self) {
      ready->status = s;
      ready->done = true;
      ready->cv.Signal();
    }
    if (ready == last) break;
  }
  if (!writers_.empty()) writers_.front()->cv.Signal();
}

Status DBImpl::MakeRoomForWrite(bool force) {
  bool stalled = false;
  bool slowed = false;
  bool stopped = false;
  while (true) {
    if (!bg_error_.ok()) return bg_error_;
    const int l0_files = versions_->current()->NumFiles(0);
    const uint64_t pending = pending_compaction_bytes_.load(std::memory_order_relaxed);
    bool l0_stop = l0_files >= options_.level0_stop_writes_trigger;
    bool pending_stop = options_.hard_pending_compaction_bytes_limit != 0 &&
                        pending >= options_.hard_pending_compaction_bytes_limit;
    // A stop lasts only while compaction can lift it: one is running, or
    // the picker has one due. A configuration where none is due at the stop
    // trigger (universal compaction with the stop trigger at the compaction
    // trigger and a single level-0 run, say) would otherwise stop writes for
    // good; then the write goes on, slowed like one past the slowdown
    // trigger. Asked only at a stop: the picker's scores are not free.
    if ((l0_stop || pending_stop) && running_compactions_ == 0 &&
        (!picker_->NeedsCompaction(*versions_->current()) || CompactionFailedAtCurrentVersion())) {
      l0_stop = pending_stop = false;
    }
    if (l0_stop || pending_stop) {
      // Level 0 is too deep for reads to stay fast, or compaction is too far
      // behind to catch up while writes go on: wait for compaction.
      const auto start = std::chrono::steady_clock::now();
      if (!stopped) {
        (l0_stop ? stat_l0_stops_ : stat_pending_stops_).fetch_add(1, std::memory_order_relaxed);
      }
      stopped = true;
      WakeCompactionThreads();
      bg_done_cv_.Wait();
      (l0_stop ? stat_l0_stop_micros_ : stat_pending_stop_micros_)
          .fetch_add(std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count(),
                     std::memory_order_relaxed);
      continue;
    }
    const bool l0_slow = l0_files >= options_.level0_slowdown_writes_trigger;
    const bool pending_slow = options_.soft_pending_compaction_bytes_limit != 0 &&
                              pending >= options_.soft_pending_compaction_bytes_limit;
    if ((l0_slow || pending_slow) && !slowed) {
      // Delay this write once, by 1 ms, rather than stop many writes later;
      // the compaction threads get the cores meanwhile.
      slowed = true;
      (l0_slow ? stat_l0_slowdowns_ : stat_pending_slowdowns_)
          .fetch_add(1, std::memory_order_relaxed);
      const auto start = std::chrono::steady_clock::now();
      mu_.Unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      mu_.Lock();
      stat_slowdown_micros_.fetch_add(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::steady_clock::now() - start)
                                          .count(),
                                      std::memory_order_relaxed);
      continue;
    }
    // Only a memtable holding something is frozen (an empty one's arena may
    // already exceed a tiny write_buffer_size), and at most one per call.
    const bool full = mem_->ApproximateMemoryUsage() >= options_.write_buffer_size;
    if (mem_->num_entries() == 0 || !(force || full)) return Status::OK();
    if (imm_.size() + 1 >= static_cast<size_t>(options_.max_write_buffer_number)) {
      // Every memtable allowed exists: wait for the flush of the oldest
      // rather than grow memory. Later writers queue behind this one.
      const auto start = std::chrono::steady_clock::now();
      if (!stalled) stat_stalls_.fetch_add(1, std::memory_order_relaxed);
      stalled = true;
      bg_done_cv_.Wait();
      stat_stall_micros_.fetch_add(std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::chrono::steady_clock::now() - start)
                                       .count(),
                                   std::memory_order_relaxed);
      continue;
    }
    // Freeze the memtable and start a new WAL for the next one. The old WAL
    // is synced first: a later synced write in the new WAL must not survive
    // a machine crash that loses earlier writes of the old one (a hole).
    const uint64_t number = versions_->NewFileNumber();
    std::unique_ptr<wal::Writer> log;
    mu_.Unlock();  // the writer queue keeps log_ and mem_ ours
    Status s = log_->Sync();
    if (s.ok()) s = log_->Close();
    if (s.ok()) s = CreateLog(number, &log);
    mu_.Lock();
    if (!s.ok()) {
      // A failed sync of the old WAL is never retried and trusted. Failing to
      // create the new one leaves the old one closed, so writes stop too.
      bg_error_ = s;
      return s;
    }
    imm_.push_back(Frozen{mem_, log_number_, last_sequence_.load(std::memory_order_relaxed)});
    frozen_count_++;
    mem_ = NewMemTable();
    log_ = std::move(log);
    log_number_ = number;
    live_logs_.push_back(number);
    InstallView();
    WakeFlushThread();
    return Status::OK();
  }
}

WriteBatch* DBImpl::BuildBatchGroup(Writer** last_writer, bool* sync) {
  Writer* first = writers_.front();
  WriteBatch* result = first->batch;
  *sync = first->sync;
  size_t size = first->batch->ApproximateSize();
  // A small leader does not wait for a large group: its latency would suffer.
  size_t max_size = options_.max_write_batch_group_size_bytes;
  if (size <= 128 * 1024) max_size = std::min(max_size, size + 128 * 1024);

  *last_writer = first;
  uint64_t batches = 1;
  uint64_t user_bytes = size;
  for (auto it = writers_.begin() + 1; it != writers_.end(); ++it) {
    Writer* w = *it;
    if (w->batch == nullptr) break;  // Close's barrier ends the group
    size += w->batch->ApproximateSize();
    if (size > max_size) break;
    if (result == first->batch) {
      // Switch to the shared group batch rather than modify the caller's.
      result = &group_batch_;
      WriteBatchInternal::Append(result, *first->batch);
    }
    WriteBatchInternal::Append(result, *w->batch);
    *sync = *sync || w->sync;
    *last_writer = w;
    batches++;
    user_bytes += w->batch->ApproximateSize();
  }
  stat_batches_.fetch_add(batches, std::memory_order_relaxed);
  stat_user_bytes_.fetch_add(user_bytes, std::memory_order_relaxed);
  return result;
}

Status DBImpl::Flush() {
  Writer w(&mu_);
  MutexLock l(&mu_);
  if (closed_flag_) return Status::Aborted("database is closed");
  writers_.push_back(&w);
  while (&w != writers_.front()) w.cv.Wait();
  // At the front, like a leader: mem_ and log_ are ours.
  Status s = MakeRoomForWrite(/*force=*/true);
  const uint64_t target = frozen_count_;
  FinishWriters(&w, &w, s);
  while (s.ok() && flushed_count_ < target) {
    if (!bg_error_.ok()) return bg_error_;
    // Close lets the thread finish the flush it is in; ours may be that one.
    if (flush_exited_) return Status::Aborted("database closed during Flush");
    bg_done_cv_.Wait();
  }
  return s;
}

Status DBImpl::CompactRange(const std::string_view* begin, const std::string_view* end) {
  Status s = Flush();
  if (!s.ok()) return s;
  ManualRequest request;
  if (begin != nullptr) request.begin.emplace(*begin);
  if (end != nullptr) request.end.emplace(*end);
  MutexLock l(&mu_);
  WakeCompactionThreads();
  // One at a time.
  while (manual_ != nullptr && compaction_threads_live_ > 0) bg_done_cv_.Wait();
  if (compaction_threads_live_ == 0 || closed_flag_) return Status::Aborted("database is closed");
  manual_ = &request;
  bg_work_cv_.SignalAll();
  // Until done or the threads exit: a thread uses the request meanwhile.
  while (!request.done && compaction_threads_live_ > 0) bg_done_cv_.Wait();
  manual_ = nullptr;
  bg_done_cv_.SignalAll();  // a CompactRange waiting for its turn
  if (!request.done) return Status::Aborted("database closed during CompactRange");
  return request.status;
}

Status DBImpl::Close() {
  Writer barrier(&mu_);
  Status s;
  {
    MutexLock l(&mu_);
    if (closed_flag_) {
      // Closing twice returns OK, once the first Close is over (the caller
      // may destroy the DB next).
      while (!close_done_) bg_done_cv_.Wait();
      return Status::OK();
    }
    closed_flag_ = true;  // writers arriving from now on are refused
    closed_.store(true, std::memory_order_release);
    writers_.push_back(&barrier);
    while (&barrier != writers_.front()) barrier.cv.Wait();

    // Every earlier writer is done and no later one can lead: log_ is ours.
    // After a write error the log is not trusted; that error is the result.
    s = bg_error_;
    if (log_ != nullptr && s.ok()) {
      s = log_->Sync();
      Status c = log_->Close();
      if (s.ok()) s = c;
    }
    log_.reset();
    // The background thread finishes the flush it is in (its table and edit
    // stay valid) and starts no other; frozen memtables not yet flushed are
    // in their WALs, replayed at the next Open.
    shutting_down_ = true;
    flush_cv_.SignalAll();
    bg_work_cv_.SignalAll();
    bg_done_cv_.SignalAll();
  }
  // Compactions stop at their next check of closed_ (their outputs are
  // removed; the inputs stay live).
  if (flush_thread_.joinable()) flush_thread_.join();
  for (std::thread& t : compaction_threads_) {
    if (t.joinable()) t.join();
  }
  MutexLock l(&mu_);
  if (s.ok()) s = bg_error_;
  lock_.reset();
  writers_.pop_front();
  close_done_ = true;
  bg_done_cv_.SignalAll();
  return s;
}

}  // namespace synapsed
