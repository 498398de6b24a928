// The write path: group commit (see the threading notes in db_impl.h).
#include "engine/write_batch_internal.h"
#include "engine/db_impl.h"
#include "memtable/memtable.h"
#include "wal/log_writer.h"

namespace synapsed {

struct DBImpl::Writer {
  explicit Writer(Mutex* mu) : cv(mu) {}
  WriteBatch* batch = nullptr;  // nullptr: Close's barrier
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
  Status s = bg_error_;
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

  while (true) {
    Writer* ready = writers_.front();
    writers_.pop_front();
    if (ready != &w) {
      ready->status = s;
      ready->done = true;
      ready->cv.Signal();
    }
    if (ready == last_writer) break;
  }
  if (!writers_.empty()) writers_.front()->cv.Signal();
  return s;
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
  }
  stat_batches_.fetch_add(batches, std::memory_order_relaxed);
  return result;
}

Status DBImpl::Close() {
  Writer barrier(&mu_);
  MutexLock l(&mu_);
  if (closed_flag_) return Status::OK();
  closed_flag_ = true;  // writers arriving from now on are refused
  closed_.store(true, std::memory_order_release);
  writers_.push_back(&barrier);
  while (&barrier != writers_.front()) barrier.cv.Wait();

  // Every earlier writer is done and no later one can lead: log_ is ours.
  // After a write error the log is not trusted; that error is the result.
  Status s = bg_error_;
  if (log_ != nullptr && s.ok()) {
    s = log_->Sync();
    Status c = log_->Close();
    if (s.ok()) s = c;
  }
  log_.reset();
  lock_.reset();
  writers_.pop_front();
  return s;
}

}  // namespace synapsed
