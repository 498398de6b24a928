// ReadQueuePool: read queues (file_system.h) kept for reuse, so a MultiGet
// or an iterator's readahead takes a ready queue (an io_uring ring, set up
// once) instead of making one per call. A queue is used by one thread at a
// time: Acquire hands it out exclusively until the Lease is destroyed.
//
// Thread safety: Acquire and the Lease destructor may run concurrently.
// Lifetime: the pool outlives every Lease and owns the idle queues; the
// file system outlives the pool.
#ifndef SYNAPSED_IO_READ_QUEUE_POOL_H_
#define SYNAPSED_IO_READ_QUEUE_POOL_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "synapsed/file_system.h"
#include "util/mutex.h"

namespace synapsed {

class ReadQueuePool {
 public:
  // Queues of `depth` requests from fs; at most max_idle are kept idle.
  ReadQueuePool(std::shared_ptr<FileSystem> fs, size_t depth, size_t max_idle = 16);
  ReadQueuePool(const ReadQueuePool&) = delete;
  ReadQueuePool& operator=(const ReadQueuePool&) = delete;

  // A queue, returned to the pool when the lease goes (with nothing pending).
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    ~Lease();
    ReadQueue* get() const { return queue_.get(); }
    ReadQueue* operator->() const { return queue_.get(); }
    explicit operator bool() const { return queue_ != nullptr; }

   private:
    friend class ReadQueuePool;
    Lease(ReadQueuePool* pool, std::unique_ptr<ReadQueue> queue)
        : pool_(pool), queue_(std::move(queue)) {}
    void Return();
    ReadQueuePool* pool_ = nullptr;
    std::unique_ptr<ReadQueue> queue_;
  };

  // An idle queue, or a new one. On failure the lease is empty and *status
  // says why.
  Lease Acquire(Status* status) EXCLUDES(mu_);

  size_t depth() const { return depth_; }

 private:
  void Release(std::unique_ptr<ReadQueue> queue) EXCLUDES(mu_);

  const std::shared_ptr<FileSystem> fs_;
  const size_t depth_;
  const size_t max_idle_;
  Mutex mu_;
  std::vector<std::unique_ptr<ReadQueue>> idle_ GUARDED_BY(mu_);
};

}  // namespace synapsed

#endif  // SYNAPSED_IO_READ_QUEUE_POOL_H_
