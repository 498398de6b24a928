#include "sstable/block.h"

#include <gtest/gtest.h>

#include <map>

#include "sstable/block_builder.h"
#include "util/internal_key.h"
#include "util/random.h"

namespace synapsed {

namespace {
std::shared_ptr<const Block> Build(const std::map<std::string, std::string>& kv, int interval) {
  BlockBuilder b(interval);
  for (const auto& [k, v] : kv) b.Add(k, v);
  return std::make_shared<const Block>(std::string(b.Finish()));
}
}  // namespace

TEST(BlockTest, EmptyBlock) {
  auto block = Build({}, 16);
  ASSERT_TRUE(block->ok());
  auto it = Block::NewIterator(block, CompareBytes);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  it->Seek("x");
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST(BlockTest, MatchesModelForEveryRestartInterval) {
  Random rnd(7);
  for (int interval : {1, 2, 3, 16}) {
    std::map<std::string, std::string> kv;
    for (int i = 0; i < 300; i++) {
      std::string k = "key" + std::to_string(rnd.Uniform(1000)) + std::string(rnd.Uniform(4), 'k');
      kv[k] = std::string(rnd.Skewed(8), 'v');
    }
    kv[""] = "empty key";
    auto block = Build(kv, interval);
    auto it = Block::NewIterator(block, CompareBytes);
    auto expect = kv.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++expect) {
      ASSERT_EQ(expect->first, it->key());
      ASSERT_EQ(expect->second, it->value());
    }
    ASSERT_EQ(kv.end(), expect);
    auto rexpect = kv.rbegin();
    for (it->SeekToLast(); it->Valid(); it->Prev(), ++rexpect) ASSERT_EQ(rexpect->first, it->key());
    ASSERT_EQ(kv.rend(), rexpect);
    for (int i = 0; i < 500; i++) {
      std::string t = "key" + std::to_string(rnd.Uniform(1100));
      it->Seek(t);
      auto lb = kv.lower_bound(t);
      ASSERT_EQ(lb != kv.end(), it->Valid()) << t;
      if (lb != kv.end()) {
        ASSERT_EQ(lb->first, it->key());
      }
      it->SeekForPrev(t);
      auto ub = kv.upper_bound(t);
      ASSERT_EQ(ub != kv.begin(), it->Valid()) << t;
      if (ub != kv.begin()) {
        ASSERT_EQ(std::prev(ub)->first, it->key());
      }
    }
  }
}

// Regression (table_reader_fuzzer): a damaged block read without checksum
// verification held keys shorter than an internal key's tag, and seeking in
// it read past them.
TEST(BlockTest, ShortKeysInAnInternalKeyBlockNeverReadOutOfBounds) {
  BlockBuilder b(2);
  for (std::string k : {"", "a", "ab", "abcdefg", "abcdefgh", "abcdefghij"}) b.Add(k, "v");
  auto block = std::make_shared<const Block>(std::string(b.Finish()));
  auto it = Block::NewIterator(block, CompareInternalKeys);
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
  EXPECT_EQ(6, n);
  for (std::string target : {std::string(), std::string("a"), std::string("abcdefgh0"), std::string(20, 'z')}) {
    it->Seek(target);
    it->SeekForPrev(target);
  }
}

// Random bytes and damaged blocks: Corruption or plausible entries, never a
// read outside the block (ASan checks) and never a hang.
TEST(BlockTest, GarbageNeverCrashes) {
  Random rnd(11);
  std::map<std::string, std::string> kv;
  for (int i = 0; i < 100; i++) kv["k" + std::to_string(i)] = std::string(i % 7, 'v');
  BlockBuilder b(4);
  for (const auto& [k, v] : kv) b.Add(k, v);
  const std::string good(b.Finish());
  for (int trial = 0; trial < 3000; trial++) {
    std::string bytes = good;
    if (trial % 3 == 0) {
      bytes.resize(rnd.Uniform(good.size() + 1));
    } else {
      for (int f = 0; f < 1 + trial % 4; f++)
        bytes[rnd.Uniform(bytes.size())] ^= static_cast<char>(rnd.Next());
    }
    auto block = std::make_shared<const Block>(bytes);
    auto it = Block::NewIterator(block, CompareBytes);
    int steps = 0;
    for (it->SeekToFirst(); it->Valid() && steps < 1000; it->Next()) steps++;
    for (it->SeekToLast(); it->Valid() && steps < 2000; it->Prev()) steps++;
    it->Seek("k5");
    it->SeekForPrev("k5");
    ASSERT_LT(steps, 2000);
  }
}

}  // namespace synapsed
