// The io_uring file system: the posix one (posix_file.h) whose read queues
// keep every request in flight at once and whose write-behind files hand
// full buffers to the kernel without waiting for them. docs/design/io.md
// says how the engine uses both.
//
// Rings. Every queue and every write-behind file owns one ring, sized to
// its depth, so a ring is only ever used by the thread that owns its
// object (FileSystem contract) and no lock is needed. Setup asks for
// IORING_SETUP_COOP_TASKRUN (no interrupt to the submitting task for each
// completion; 5.19+) and retries without it on older kernels.
//
// Requests. A read of a direct (O_DIRECT) file goes through a per-slot
// aligned bounce buffer covering the aligned span, and the asked-for bytes
// are copied out when it completes; other reads land in the caller's
// scratch. A completion with -EINTR or -EAGAIN is resubmitted; a short read
// resubmits the remainder until end of file (for direct files: until a read
// ends unaligned). Any other error is that request's status alone.
//
// Not used: registered files (the table cache opens and closes tables all
// the time, and on 2 cores the fget a registered file saves is noise) and
// registered buffers (4 KiB blocks: pinning a page per read is cheap).
// SQPOLL would burn one of the two cores.
//
// Failure to submit at all (the ring refusing work, not one request
// failing) turns the queue synchronous for good: its unsubmitted requests,
// and every later one, are read with pread.

#include <liburing.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "io/posix_file.h"
#include "synapsed/file_system.h"
#include "util/sanitizers.h"

namespace synapsed {

namespace {

// A completion that asks for the request to be tried again gets this many
// attempts before it fails (EAGAIN forever would otherwise spin).
constexpr int kMaxRetries = 64;

// ThreadSanitizer does not see liburing map and unmap a ring's memory (it
// makes the system calls itself, not through libc), so a ring mapped where
// an earlier ring was, and used by another thread, looks to it like memory
// shared without synchronization. Each teardown releases, and each setup
// acquires, one sync object: the kernel orders them, TSan now knows it.
#ifdef SYNAPSED_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
char ring_memory_sync;
void RingMapped() { __tsan_acquire(&ring_memory_sync); }
void RingUnmapping() { __tsan_release(&ring_memory_sync); }
#else
void RingMapped() {}
void RingUnmapping() {}
#endif

// Sets up ring with `entries` slots; 0 or -errno.
int InitRing(unsigned entries, io_uring* ring) {
  int rc = io_uring_queue_init(entries, ring, IORING_SETUP_COOP_TASKRUN);
  if (rc == -EINVAL) rc = io_uring_queue_init(entries, ring, 0);
  if (rc == 0) RingMapped();
  return rc;
}

// Tears down a ring InitRing set up.
void ExitRing(io_uring* ring) {
  RingUnmapping();
  io_uring_queue_exit(ring);
}

// Submits what the ring holds, retrying on EINTR; the count or -errno.
int SubmitRing(io_uring* ring) {
  int rc;
  do {
    rc = io_uring_submit(ring);
  } while (rc == -EINTR);
  return rc;
}

// Waits for the next completion, retrying on EINTR.
int WaitCqe(io_uring* ring, io_uring_cqe** cqe) {
  int rc;
  do {
    rc = io_uring_wait_cqe(ring, cqe);
  } while (rc == -EINTR);
  return rc;
}

class IoUringReadQueue final : public ReadQueue {
 public:
  explicit IoUringReadQueue(size_t depth) : slots_(depth) {
    for (size_t i = depth; i > 0; i--) free_.push_back(i - 1);
  }

  ~IoUringReadQueue() override {
    // A ring that failed to set up has nothing to tear down: its fields are
    // zero, and io_uring_queue_exit would close descriptor 0.
    if (!ring_ready_) return;
    // The kernel may still write into scratch and bounce buffers: wait.
    while (in_flight_ > 0) {
      io_uring_cqe* cqe;
      if (WaitCqe(&ring_, &cqe) != 0) break;
      io_uring_cqe_seen(&ring_, cqe);
      in_flight_--;
    }
    ExitRing(&ring_);
  }

  int Init() {
    const int rc = InitRing(static_cast<unsigned>(slots_.size()), &ring_);
    ring_ready_ = rc == 0;
    return rc;
  }

  size_t depth() const override { return slots_.size(); }
  // A completed request gives its slot back before it is reaped, so the
  // ones waiting in completed_ count too.
  size_t pending() const override { return slots_.size() - free_.size() + completed_.size(); }

  void Add(ReadRequest* req) override {
    assert(pending() < depth());
    const size_t idx = free_.back();
    free_.pop_back();
    Slot& slot = slots_[idx];
    slot.req = req;
    slot.file = dynamic_cast<const PosixRandomAccessFile*>(req->file);
    slot.retries = 0;
    slot.done = 0;
    req->result = std::string_view();
    req->status = Status::OK();
    if (slot.file == nullptr || broken_) {
      // Not one of ours (a wrapped file), or the ring is gone: read now.
      ReadNow(idx);
      return;
    }
    slot.start = req->offset;
    slot.len = req->size;
    slot.buf = req->scratch;
    if (slot.file->direct()) {
      const size_t align = slot.file->read_alignment();
      slot.start = AlignDown(req->offset, align);
      slot.len = static_cast<size_t>(AlignUp(req->offset + req->size, align) - slot.start);
      if (!slot.bounce.Reserve(slot.len)) {
        Finish(idx, Status::IOError("read " + slot.file->path(), "out of memory"));
        return;
      }
      slot.buf = slot.bounce.data();
    }
    unsubmitted_.push_back(idx);
  }

  void Submit() override {
    if (unsubmitted_.empty()) return;
    if (broken_) {
      batch_.swap(unsubmitted_);
      unsubmitted_.clear();
      for (size_t idx : batch_) ReadNow(idx);
      batch_.clear();
      return;
    }
    batch_.swap(unsubmitted_);
    unsubmitted_.clear();
    for (size_t idx : batch_) Prep(idx);
    size_t taken = 0;
    while (taken < batch_.size()) {
      const int rc = SubmitRing(&ring_);
      if (rc <= 0) {
        // The ring refuses work. What it did not take stays prepared in
        // it but is never submitted (nothing is, from now on): read it here.
        broken_ = true;
        for (size_t i = taken; i < batch_.size(); i++) ReadNow(batch_[i]);
        break;
      }
      taken += static_cast<size_t>(rc);
      in_flight_ += static_cast<size_t>(rc);
    }
    batch_.clear();
  }

  ReadRequest* Reap(bool wait) override {
    Submit();
    while (completed_.empty() && in_flight_ > 0) {
      io_uring_cqe* cqe = nullptr;
      int rc = io_uring_peek_cqe(&ring_, &cqe);
      if (rc == -EAGAIN) {
        if (!wait) return nullptr;
        rc = WaitCqe(&ring_, &cqe);
      }
      if (rc != 0) {
        // The ring cannot deliver completions: nothing more will come.
        FailInFlight(rc);
        break;
      }
      const size_t idx = static_cast<size_t>(io_uring_cqe_get_data64(cqe));
      const int res = cqe->res;
      io_uring_cqe_seen(&ring_, cqe);
      in_flight_--;
      OnCompletion(idx, res);
      Submit();  // resubmissions (retries, remainders of short reads)
    }
    if (completed_.empty()) return nullptr;
    ReadRequest* req = completed_.front();
    completed_.pop_front();
    return req;
  }

 private:
  struct Slot {
    ReadRequest* req = nullptr;
    const PosixRandomAccessFile* file = nullptr;
    uint64_t start = 0;  // file offset of buf[0]
    size_t len = 0;      // bytes to read into buf
    size_t done = 0;     // bytes read so far
    char* buf = nullptr;
    AlignedBuffer bounce;  // direct files only
    int retries = 0;
  };

  void Prep(size_t idx) {
    Slot& slot = slots_[idx];
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    // The ring has a slot per queue slot, and Submit drains the ring each
    // time, so a free sqe always exists.
    io_uring_prep_read(sqe, slot.file->fd(), slot.buf + slot.done,
                       static_cast<unsigned>(slot.len - slot.done), slot.start + slot.done);
    io_uring_sqe_set_data64(sqe, idx);
  }

  void OnCompletion(size_t idx, int res) {
    Slot& slot = slots_[idx];
    if (res == -EINTR || res == -EAGAIN) {
      if (++slot.retries <= kMaxRetries) {
        unsubmitted_.push_back(idx);
        return;
      }
    }
    if (res < 0) {
      Finish(idx, PosixError("read", slot.file->path(), -res));
      return;
    }
    slot.done += static_cast<size_t>(res);
    const bool eof =
        res == 0 || (slot.file->direct() && slot.done % slot.file->read_alignment() != 0);
    if (slot.done < slot.len && !eof) {
      unsubmitted_.push_back(idx);  // a short read: ask for the rest
      return;
    }
    Finish(idx, Status::OK());
  }

  // Completes slot idx with status s (and, if OK, the bytes read).
  void Finish(size_t idx, Status s) {
    Slot& slot = slots_[idx];
    ReadRequest* req = slot.req;
    req->status = std::move(s);
    if (req->status.ok()) {
      if (slot.buf == req->scratch) {
        req->result = std::string_view(req->scratch, slot.done);
      } else {
        const size_t skip = static_cast<size_t>(req->offset - slot.start);
        const size_t got = slot.done > skip ? std::min(slot.done - skip, req->size) : 0;
        if (got > 0) std::memcpy(req->scratch, slot.buf + skip, got);  // buf may be null
        req->result = std::string_view(req->scratch, got);
      }
    }
    slot.req = nullptr;
    free_.push_back(idx);
    completed_.push_back(req);
  }

  void ReadNow(size_t idx) {
    ReadRequest* req = slots_[idx].req;
    Status s = req->file->Read(req->offset, req->size, &req->result, req->scratch);
    slots_[idx].req = nullptr;
    req->status = std::move(s);
    free_.push_back(idx);
    completed_.push_back(req);
  }

  void FailInFlight(int rc) {
    broken_ = true;
    for (size_t idx = 0; idx < slots_.size(); idx++) {
      if (slots_[idx].req == nullptr) continue;
      Finish(idx, Status::IOError("io_uring wait", ErrnoString(-rc)));
    }
    in_flight_ = 0;
  }

  io_uring ring_{};
  bool ring_ready_ = false;
  std::vector<Slot> slots_;
  std::vector<size_t> free_;            // free slot indexes
  std::vector<size_t> unsubmitted_;     // added or to retry, not yet prepared
  std::vector<size_t> batch_;           // Submit's working list
  std::deque<ReadRequest*> completed_;  // done, not yet reaped
  size_t in_flight_ = 0;                // submitted, completion not yet seen
  bool broken_ = false;
};

// Write-behind: appends fill one of kBuffers buffers; a full one is handed
// to the kernel as one write and the next buffer is filled meanwhile, so
// the writer waits only when every buffer is in flight. Flush drains every
// write; Sync drains, then writes the last partial buffer linked to an
// fdatasync (IOSQE_IO_LINK: the sync starts only after the write
// succeeded). The kernel cancels the linked sync when the write fails or
// comes back short; a short or retried write is finished unlinked, and
// then synced on its own. The first failed write or sync is sticky: every
// later call returns it, so a failed sync is never retried and trusted.
// Close waits for every write, failed file or not: the kernel reads the
// buffers until the writes complete.
//
// Direct files keep each buffer at an aligned file offset. Their partial
// last block is written padded (synchronously, after the drain), kept for
// the next write, and the file is cut back to its logical size before
// any sync.
class IoUringWritableFile final : public WritableFile {
 public:
  static constexpr size_t kBuffers = 4;
  static constexpr size_t kBufferBytes = 1 << 20;

  IoUringWritableFile(std::string path, int fd, bool direct)
      : path_(std::move(path)), fd_(fd), direct_(direct) {}
  ~IoUringWritableFile() override {
    if (fd_ >= 0) Close().PermitUncheckedError();
    if (ring_ready_) ExitRing(&ring_);
  }

  // 0 or -errno (ring setup), or -ENOMEM.
  int Init() {
    for (Buffer& b : buffers_) {
      if (!b.mem.Reserve(kBufferBytes)) return -ENOMEM;
    }
    const int rc = InitRing(2 * kBuffers, &ring_);
    ring_ready_ = rc == 0;
    return rc;
  }

  Status Append(std::string_view data) override {
    if (fd_ < 0) return Closed("append");
    if (!status_.ok()) return status_;
    while (!data.empty()) {
      Buffer& b = buffers_[cur_];
      const size_t fits = std::min(data.size(), kBufferBytes - b.len);
      std::memcpy(b.mem.data() + b.len, data.data(), fits);
      b.len += fits;
      data.remove_prefix(fits);
      if (b.len == kBufferBytes) {
        StartWrite(cur_, /*link_sync=*/false);
        Advance();
        if (!status_.ok()) return status_;
      }
    }
    return Status::OK();
  }

  Status Flush() override {
    if (fd_ < 0) return Closed("flush");
    return FlushAll(/*sync=*/false);
  }

  Status Sync() override {
    if (fd_ < 0) return Closed("sync");
    return FlushAll(/*sync=*/true);
  }

  Status Close() override {
    if (fd_ < 0) return Closed("close");
    Status s = FlushAll(/*sync=*/false);
    Drain();  // after a failure FlushAll returns at once
    if (::close(fd_) != 0 && s.ok()) s = PosixError("close", path_, errno);
    fd_ = -1;
    return s;
  }

  uint64_t Size() const override { return buffers_[cur_].offset + buffers_[cur_].len; }

 private:
  struct Buffer {
    AlignedBuffer mem;
    uint64_t offset = 0;  // file offset of mem[0]
    size_t len = 0;       // bytes appended into mem
    size_t done = 0;      // bytes of an in-flight write already written
    size_t flushed = 0;   // direct: bytes of the partial block already written
    bool in_flight = false;
    int retries = 0;
  };
  // user_data of the fdatasync linked after a write.
  static constexpr uint64_t kSyncTag = ~uint64_t{0};

  Status Closed(std::string_view op) const {
    return Status::IOError(std::string(op) + " " + path_, "file is closed");
  }

  // Moves to the next buffer, waiting until it is free; it continues the
  // file where the current one ends.
  void Advance() {
    const uint64_t next_offset = buffers_[cur_].offset + buffers_[cur_].len;
    cur_ = (cur_ + 1) % kBuffers;
    while (buffers_[cur_].in_flight && status_.ok()) ReapOne();
    buffers_[cur_].offset = next_offset;
    buffers_[cur_].len = 0;
    buffers_[cur_].flushed = 0;
  }

  void PrepWrite(size_t i, bool link_sync) {
    Buffer& b = buffers_[i];
    const size_t n = direct_ ? static_cast<size_t>(AlignUp(b.len, kDirectIoAlignment)) : b.len;
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    io_uring_prep_write(sqe, fd_, b.mem.data() + b.done, static_cast<unsigned>(n - b.done),
                        b.offset + b.done);
    io_uring_sqe_set_data64(sqe, i);
    if (link_sync) {
      io_uring_sqe_set_flags(sqe, IOSQE_IO_LINK);
      io_uring_sqe* sync = io_uring_get_sqe(&ring_);
      io_uring_prep_fsync(sync, fd_, IORING_FSYNC_DATASYNC);
      io_uring_sqe_set_data64(sync, kSyncTag);
      sync_in_flight_ = true;
    }
  }

  // Hands buffer i to the kernel (its write, and an fdatasync after it).
  void StartWrite(size_t i, bool link_sync) {
    Buffer& b = buffers_[i];
    b.done = 0;
    b.retries = 0;
    b.in_flight = true;
    PrepWrite(i, link_sync);
    const int rc = SubmitRing(&ring_);
    if (rc < 0) {
      // Nothing was taken: the ring is unusable, and so is this file.
      b.in_flight = false;
      sync_in_flight_ = false;
      status_ = PosixError("write (io_uring submit)", path_, -rc);
    }
  }

  // Waits for one completion and applies it.
  void ReapOne() {
    io_uring_cqe* cqe = nullptr;
    const int rc = WaitCqe(&ring_, &cqe);
    if (rc != 0) {
      status_ = PosixError("write (io_uring wait)", path_, -rc);
      for (Buffer& b : buffers_) b.in_flight = false;
      sync_in_flight_ = false;
      return;
    }
    const uint64_t tag = io_uring_cqe_get_data64(cqe);
    const int res = cqe->res;
    io_uring_cqe_seen(&ring_, cqe);
    if (tag == kSyncTag) {
      sync_in_flight_ = false;
      // -ECANCELED: the linked write failed (and reports that itself), or
      // was short or asked to be retried, and is resubmitted unlinked.
      if (res == -ECANCELED) {
        sync_cancelled_ = true;
      } else if (res < 0 && status_.ok()) {
        status_ = PosixError("sync", path_, -res);
      }
      return;
    }
    Buffer& b = buffers_[tag];
    const size_t n = direct_ ? static_cast<size_t>(AlignUp(b.len, kDirectIoAlignment)) : b.len;
    if ((res == -EINTR || res == -EAGAIN) && ++b.retries <= kMaxRetries) {
      Resubmit(tag);
      return;
    }
    if (res <= 0) {
      b.in_flight = false;
      if (status_.ok()) {
        status_ = res < 0 ? PosixError("write", path_, -res)
                          : Status::IOError("write " + path_, "write returned 0");
      }
      return;
    }
    b.done += static_cast<size_t>(res);
    if (b.done < n) {  // a short write: the rest
      Resubmit(tag);
      return;
    }
    b.in_flight = false;
  }

  // An fdatasync on its own.
  void StartSync() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    io_uring_prep_fsync(sqe, fd_, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data64(sqe, kSyncTag);
    sync_in_flight_ = true;
    const int rc = SubmitRing(&ring_);
    if (rc < 0) {
      sync_in_flight_ = false;
      status_ = PosixError("sync (io_uring submit)", path_, -rc);
    }
  }

  // Asks again for what buffer i has not written yet.
  void Resubmit(size_t i) {
    PrepWrite(i, /*link_sync=*/false);
    const int rc = SubmitRing(&ring_);
    if (rc < 0) {
      buffers_[i].in_flight = false;
      if (status_.ok()) status_ = PosixError("write (io_uring submit)", path_, -rc);
    }
  }

  void Drain() {
    for (;;) {
      bool busy = sync_in_flight_;
      for (const Buffer& b : buffers_) busy = busy || b.in_flight;
      if (!busy) return;
      ReapOne();
    }
  }

  // Every appended byte to the kernel (and to the device if sync).
  Status FlushAll(bool sync) {
    if (!status_.ok()) return status_;
    Buffer& b = buffers_[cur_];
    const bool partial = b.len > b.flushed;
    Drain();
    if (!status_.ok()) return status_;
    if (!direct_) {
      // Buffered: the partial buffer goes out as it is (linked to the sync
      // if one is asked for) and the file continues in the next buffer.
      sync_cancelled_ = false;
      if (partial) {
        StartWrite(cur_, sync);
      } else if (sync) {
        StartSync();
      }
      Drain();
      if (sync_cancelled_ && status_.ok()) {
        // The write finished unlinked, after its sync was cancelled.
        StartSync();
        Drain();
      }
      if (partial && status_.ok()) Advance();
      return status_;
    }
    if (partial) {
      // Direct: the padded partial block, kept for the next write; then the
      // file cut back to its logical size, before any sync.
      const size_t padded = static_cast<size_t>(AlignUp(b.len, kDirectIoAlignment));
      std::memset(b.mem.data() + b.len, 0, padded - b.len);
      StartWrite(cur_, /*link_sync=*/false);
      Drain();
      if (!status_.ok()) return status_;
      if (padded != b.len && ::ftruncate(fd_, static_cast<off_t>(b.offset + b.len)) != 0) {
        status_ = PosixError("truncate", path_, errno);
        return status_;
      }
      const size_t full = static_cast<size_t>(AlignDown(b.len, kDirectIoAlignment));
      std::memmove(b.mem.data(), b.mem.data() + full, b.len - full);
      b.offset += full;
      b.len -= full;
      b.flushed = b.len;
    }
    if (sync) {
      while (::fdatasync(fd_) != 0) {
        if (errno != EINTR) {
          status_ = PosixError("sync", path_, errno);
          break;
        }
      }
    }
    return status_;
  }

  const std::string path_;
  int fd_;
  const bool direct_;
  io_uring ring_{};
  bool ring_ready_ = false;
  Buffer buffers_[kBuffers];
  size_t cur_ = 0;  // the buffer being filled
  bool sync_in_flight_ = false;
  bool sync_cancelled_ = false;  // a linked sync came back -ECANCELED
  Status status_;                // the first failure; sticky
};

class IoUringFileSystem final : public PosixFileSystem {
 public:
  Status NewReadQueue(size_t depth, std::unique_ptr<ReadQueue>* queue) override {
    if (depth == 0) return Status::InvalidArgument("read queue depth 0");
    auto q = std::make_unique<IoUringReadQueue>(depth);
    if (q->Init() != 0) return FileSystem::NewReadQueue(depth, queue);  // e.g. ENOMEM
    *queue = std::move(q);
    return Status::OK();
  }

  Status NewWritableFileWithOptions(const std::string& path, const FileOptions& options,
                                    std::unique_ptr<WritableFile>* result) override {
    if (!options.write_behind) {
      return PosixFileSystem::NewWritableFileWithOptions(path, options, result);
    }
    Status s;
    const int fd = CreateForWrite(path, options.use_direct_io, &s);
    if (fd < 0) return s;
    auto file = std::make_unique<IoUringWritableFile>(path, fd, options.use_direct_io);
    const int rc = file->Init();
    if (rc != 0) {
      // No ring for this file (memory): the same file, written synchronously.
      file.reset();
      return PosixFileSystem::NewWritableFileWithOptions(
          path, FileOptions{options.use_direct_io, false}, result);
    }
    *result = std::move(file);
    return Status::OK();
  }
};

}  // namespace

Status FileSystem::IoUring(std::shared_ptr<FileSystem>* fs) {
  // Probed once per process: a ring is set up and torn down.
  static const Status probe = [] {
    io_uring ring;
    const int rc = InitRing(4, &ring);
    if (rc != 0) return Status::NotSupported("io_uring", ErrnoString(-rc));
    ExitRing(&ring);
    return Status::OK();
  }();
  static const std::shared_ptr<FileSystem> instance = std::make_shared<IoUringFileSystem>();
  if (!probe.ok()) return probe;
  *fs = instance;
  return Status::OK();
}

}  // namespace synapsed
