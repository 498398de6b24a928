#include "sstable/block_buffer.h"

#include <array>
#include <new>
#include <utility>
#include <vector>

#include "util/mutex.h"
#include "util/sanitizers.h"

namespace synapsed {

namespace {

// Under ASan a pooled buffer would hide a use after free.
constexpr bool kPooling = !kAddressSanitizer;

constexpr size_t kNumClasses = BlockBuffer::kMaxPooledCapacity / BlockBuffer::kClassBytes;

// Free buffers by size class: stack c holds buffers of (c + 1) * kClassBytes.
class Pool {
 public:
  // A free buffer of exactly `capacity` bytes, or null.
  char* Take(size_t capacity) EXCLUDES(mu_) {
    MutexLock l(&mu_);
    std::vector<char*>& stack = free_[ClassOf(capacity)];
    if (stack.empty()) return nullptr;
    char* p = stack.back();
    stack.pop_back();
    bytes_ -= capacity;
    return p;
  }

  // Keeps p (of `capacity` bytes) if there is room; false if the caller
  // must free it.
  bool Give(char* p, size_t capacity) EXCLUDES(mu_) {
    MutexLock l(&mu_);
    if (bytes_ + capacity > BlockBuffer::kMaxPooledBytes) return false;
    try {
      free_[ClassOf(capacity)].push_back(p);
    } catch (const std::bad_alloc&) {
      return false;  // called from destructors: never throw
    }
    bytes_ += capacity;
    return true;
  }

  size_t bytes() EXCLUDES(mu_) {
    MutexLock l(&mu_);
    return bytes_;
  }

 private:
  static size_t ClassOf(size_t capacity) { return capacity / BlockBuffer::kClassBytes - 1; }

  Mutex mu_;
  std::array<std::vector<char*>, kNumClasses> free_ GUARDED_BY(mu_);
  size_t bytes_ GUARDED_BY(mu_) = 0;
};

// Never destroyed: buffers may be freed by threads and static destructors
// that outlive any destruction order.
Pool& ThePool() {
  static Pool* pool = new Pool;
  return *pool;
}

bool Pooled(size_t capacity) { return kPooling && capacity <= BlockBuffer::kMaxPooledCapacity; }

}  // namespace

BlockBuffer::BlockBuffer(size_t size) : size_(size) {
  if (size == 0) return;
  capacity_ = CapacityFor(size);
  if (Pooled(capacity_)) data_ = ThePool().Take(capacity_);
  if (data_ == nullptr) data_ = static_cast<char*>(::operator new(capacity_));
}

BlockBuffer::~BlockBuffer() { Release(); }

BlockBuffer::BlockBuffer(BlockBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

BlockBuffer& BlockBuffer::operator=(BlockBuffer&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

void BlockBuffer::Release() {
  if (data_ == nullptr) return;
  if (!Pooled(capacity_) || !ThePool().Give(data_, capacity_)) ::operator delete(data_);
  data_ = nullptr;
  size_ = capacity_ = 0;
}

void BlockBuffer::PrefetchForWrite() const {
  constexpr size_t kLineBytes = 64;
  for (size_t i = 0; i < capacity_; i += kLineBytes) __builtin_prefetch(data_ + i, 1);
}

size_t BlockBuffer::PooledBytes() { return ThePool().bytes(); }

bool BlockBuffer::Pooling() { return kPooling; }

}  // namespace synapsed
