#include "io/read_queue_pool.h"

#include <utility>

namespace synapsed {

ReadQueuePool::ReadQueuePool(std::shared_ptr<FileSystem> fs, size_t depth, size_t max_idle)
    : fs_(std::move(fs)), depth_(depth), max_idle_(max_idle) {}

ReadQueuePool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), queue_(std::move(other.queue_)) {}

ReadQueuePool::Lease& ReadQueuePool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Return();
    pool_ = other.pool_;
    queue_ = std::move(other.queue_);
  }
  return *this;
}

ReadQueuePool::Lease::~Lease() { Return(); }

void ReadQueuePool::Lease::Return() {
  if (queue_ == nullptr) return;
  // A queue goes back empty: reap (and drop) whatever its user left.
  while (queue_->pending() > 0 && queue_->Reap(/*wait=*/true) != nullptr) {
  }
  pool_->Release(std::move(queue_));
}

ReadQueuePool::Lease ReadQueuePool::Acquire(Status* status) {
  {
    MutexLock l(&mu_);
    if (!idle_.empty()) {
      std::unique_ptr<ReadQueue> q = std::move(idle_.back());
      idle_.pop_back();
      *status = Status::OK();
      return Lease(this, std::move(q));
    }
  }
  std::unique_ptr<ReadQueue> q;
  *status = fs_->NewReadQueue(depth_, &q);
  if (!status->ok()) return Lease();
  return Lease(this, std::move(q));
}

void ReadQueuePool::Release(std::unique_ptr<ReadQueue> queue) {
  MutexLock l(&mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(queue));
}

}  // namespace synapsed
