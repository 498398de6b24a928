#include "memtable/arena.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "util/random.h"

namespace synapsed {

TEST(ArenaTest, ManyAllocationsKeepTheirBytes) {
  Arena arena;
  Random rnd(301);
  std::vector<std::pair<size_t, char*>> allocated;
  size_t bytes = 0;
  for (int i = 0; i < 20000; i++) {
    size_t s = (i % 997 == 0) ? rnd.Uniform(100000) + 1 : rnd.Skewed(10) + 1;
    char* r = rnd.OneIn(3) ? arena.AllocateAligned(s) : arena.Allocate(s);
    std::memset(r, i % 256, s);
    bytes += s;
    allocated.emplace_back(s, r);
    EXPECT_GE(arena.MemoryUsage(), bytes);
  }
  for (size_t i = 0; i < allocated.size(); i++) {
    for (size_t b = 0; b < allocated[i].first; b++) {
      ASSERT_EQ(static_cast<int>(i % 256), allocated[i].second[b] & 0xff) << i;
    }
  }
  // Waste stays bounded: large objects get their own blocks.
  EXPECT_LT(arena.MemoryUsage(), bytes * 2 + Arena::kBlockSize * 2);
}

TEST(ArenaTest, AlignedAllocationsAreAligned) {
  Arena arena;
  for (int i = 0; i < 1000; i++) {
    arena.Allocate(1 + i % 7);
    char* p = arena.AllocateAligned(8 + i % 13);
    EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(p) % alignof(std::max_align_t));
  }
}

}  // namespace synapsed
