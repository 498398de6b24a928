#include "sstable/block_buffer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

namespace synapsed {

TEST(BlockBufferTest, SizeCapacityTruncateAndMoves) {
  BlockBuffer empty;
  EXPECT_EQ(nullptr, empty.data());
  EXPECT_EQ(0u, empty.size());
  EXPECT_EQ(0u, BlockBuffer(0).capacity());

  BlockBuffer a(4100);
  EXPECT_EQ(4100u, a.size());
  EXPECT_EQ(4352u, a.capacity());  // 17 classes of 256 bytes
  std::memset(a.data(), 'x', a.size());
  a.Resize(10);
  EXPECT_EQ(std::string(10, 'x'), a.view());

  BlockBuffer b(std::move(a));
  EXPECT_EQ(nullptr, a.data());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(std::string(10, 'x'), b.view());
  BlockBuffer c(1);
  c = std::move(b);
  EXPECT_EQ(std::string(10, 'x'), c.view());
  EXPECT_EQ(4352u, c.capacity());

  // Past the largest class: not pooled, still usable.
  BlockBuffer big(BlockBuffer::kMaxPooledCapacity + 1);
  std::memset(big.data(), 'y', big.size());
  EXPECT_EQ('y', big.data()[BlockBuffer::kMaxPooledCapacity]);
}

TEST(BlockBufferTest, FreedBuffersAreReusedWithinTheBound) {
  if (!BlockBuffer::Pooling()) GTEST_SKIP() << "nothing is pooled under AddressSanitizer";
  const size_t before = BlockBuffer::PooledBytes();
  ASSERT_LE(before, BlockBuffer::kMaxPooledBytes - 8192) << "earlier tests filled the pool";
  const char* first;
  {
    BlockBuffer a(5000);
    first = a.data();
  }
  EXPECT_EQ(before + 5120, BlockBuffer::PooledBytes());
  {
    BlockBuffer b(5100);  // same class: the same memory
    EXPECT_EQ(first, b.data());
    EXPECT_EQ(before, BlockBuffer::PooledBytes());
  }
  // Freeing more than the bound keeps the pool at most at the bound.
  {
    std::vector<BlockBuffer> many;
    for (size_t i = 0; i < 2 * BlockBuffer::kMaxPooledBytes / 8192; i++) many.emplace_back(8192);
  }
  EXPECT_LE(BlockBuffer::PooledBytes(), BlockBuffer::kMaxPooledBytes);
  EXPECT_GT(BlockBuffer::PooledBytes(), BlockBuffer::kMaxPooledBytes - 8192);
  // Larger than the largest class: never pooled.
  const size_t pooled = BlockBuffer::PooledBytes();
  { BlockBuffer big(BlockBuffer::kMaxPooledCapacity + 1); }
  EXPECT_EQ(pooled, BlockBuffer::PooledBytes());
}

// Buffers allocated on one thread and freed on another (the cache evicts
// blocks other threads read): the pool stays consistent (TSan, ASan).
TEST(BlockBufferTest, BuffersCrossThreads) {
  std::vector<BlockBuffer> handoff;
  for (int i = 0; i < 1000; i++) {
    handoff.emplace_back(256 + (i % 64) * 256);
    std::memset(handoff.back().data(), i & 0xff, handoff.back().size());
  }
  std::thread freer([&] { handoff.clear(); });
  std::thread taker([] {
    for (int i = 0; i < 1000; i++) {
      BlockBuffer b(4096);
      std::memset(b.data(), 1, b.size());
    }
  });
  freer.join();
  taker.join();
  EXPECT_LE(BlockBuffer::PooledBytes(), BlockBuffer::kMaxPooledBytes);
}

}  // namespace synapsed
