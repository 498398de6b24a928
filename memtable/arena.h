// Arena: bump allocation of many small objects that die together (a memtable's
// nodes and entries).
//
// Ownership: the arena owns every byte it hands out; all of it is freed when
// the arena is destroyed, never before. Thread safety: Allocate* are called by
// one thread at a time (the memtable's single writer); MemoryUsage() may be
// read from any thread.
#ifndef SYNAPSED_MEMTABLE_ARENA_H_
#define SYNAPSED_MEMTABLE_ARENA_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace synapsed {

class Arena {
 public:
  static constexpr size_t kBlockSize = 64 * 1024;

  // block_size: the unit of allocation from the system. Small blocks suit a
  // small memtable, whose size limit counts whole blocks.
  explicit Arena(size_t block_size = kBlockSize) : block_size_(block_size) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Returns bytes of uninitialized memory. REQUIRES: bytes > 0.
  char* Allocate(size_t bytes) {
    if (bytes <= remaining_) {
      char* result = ptr_;
      ptr_ += bytes;
      remaining_ -= bytes;
      return result;
    }
    return AllocateFallback(bytes);
  }
  // Like Allocate, aligned to alignof(std::max_align_t).
  char* AllocateAligned(size_t bytes);

  // Bytes reserved from the system, including unused tails of blocks.
  size_t MemoryUsage() const { return usage_.load(std::memory_order_relaxed); }

 private:
  char* AllocateFallback(size_t bytes);
  char* NewBlock(size_t block_bytes);

  const size_t block_size_;
  char* ptr_ = nullptr;
  size_t remaining_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::atomic<size_t> usage_{0};
};

}  // namespace synapsed

#endif  // SYNAPSED_MEMTABLE_ARENA_H_
