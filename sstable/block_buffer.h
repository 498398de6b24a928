// BlockBuffer: owned, uninitialised memory for a data block's bytes, as read
// from a file or decompressed, recycled through a process-wide pool.
//
// Why. Under random reads every block read allocates a read buffer and a
// decompressed block, and evicts a cold block from the cache. With
// std::string each allocation is zero-filled before it is overwritten, and
// glibc's free of a cold 4 KiB chunk touches the chunk's header and its
// neighbours, all cold, then trims and regrows its heap (mprotect and page
// faults): together about a sixth of MultiGet's CPU per key on a database
// many times larger than the cache (docs/performance.md). Buffers here are
// never zero-filled, and a freed one goes on a free stack of its size class
// (its memory untouched) for the next read to take.
//
// Size classes are multiples of kClassBytes up to kMaxPooledCapacity; larger
// buffers come from and go back to the allocator directly. The pool keeps
// at most kMaxPooledBytes of free buffers, beyond the block cache's
// capacity; past that a freed buffer goes back to the allocator. Under
// AddressSanitizer nothing is pooled, so a use after free is still caught.
//
// Thread safety: a BlockBuffer is one owner's; the pool is shared and
// locked, and a buffer may be freed on a thread other than its allocator's.
#ifndef SYNAPSED_SSTABLE_BLOCK_BUFFER_H_
#define SYNAPSED_SSTABLE_BLOCK_BUFFER_H_

#include <cstddef>
#include <string_view>

namespace synapsed {

class BlockBuffer {
 public:
  static constexpr size_t kClassBytes = 256;
  static constexpr size_t kMaxPooledCapacity = 64 << 10;
  static constexpr size_t kMaxPooledBytes = 4 << 20;

  BlockBuffer() = default;
  // size bytes, uninitialised. Throws std::bad_alloc as std::string would.
  explicit BlockBuffer(size_t size);
  ~BlockBuffer();
  BlockBuffer(BlockBuffer&& other) noexcept;
  BlockBuffer& operator=(BlockBuffer&& other) noexcept;
  BlockBuffer(const BlockBuffer&) = delete;
  BlockBuffer& operator=(const BlockBuffer&) = delete;

  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  std::string_view view() const { return std::string_view(data_, size_); }
  // Makes the size n; bytes past the old size are uninitialised.
  // REQUIRES: n <= capacity().
  void Resize(size_t n) { size_ = n; }
  // The capacity BlockBuffer(size) gets: size rounded up to its class.
  static size_t CapacityFor(size_t size) {
    return (size + kClassBytes - 1) / kClassBytes * kClassBytes;
  }
  // Starts loading the buffer's cache lines for writing. A buffer taken
  // from the pool held a block evicted long ago, so every line written is
  // a miss; prefetched while the reader waits on the device, they are not.
  void PrefetchForWrite() const;

  // Free buffers the pool holds, in bytes (for tests and stats).
  static size_t PooledBytes();
  // False under AddressSanitizer, where nothing is pooled.
  static bool Pooling();

 private:
  void Release();

  char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace synapsed

#endif  // SYNAPSED_SSTABLE_BLOCK_BUFFER_H_
