#include "sstable/block.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

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

// A scan forward (keys and values) and one backward (keys) see exactly kv.
void ExpectScansMatch(const std::map<std::string, std::string>& kv, InternalIterator* it) {
  auto expect = kv.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++expect) {
    ASSERT_EQ(expect->first, it->key());
    ASSERT_EQ(expect->second, it->value());
  }
  ASSERT_EQ(kv.end(), expect);
  auto rexpect = kv.rbegin();
  for (it->SeekToLast(); it->Valid(); it->Prev(), ++rexpect) ASSERT_EQ(rexpect->first, it->key());
  ASSERT_EQ(kv.rend(), rexpect);
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
    ExpectScansMatch(kv, it.get());
    if (HasFatalFailure()) return;
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

// Keys from empty to several hundred bytes, sharing long prefixes, so an
// iterator rebuilds keys past its inline buffer (and back), reads restart
// keys in place, and Prev re-decodes them; an iterator over a borrowed block
// (as point lookups make on the stack) sees what a shared one sees.
TEST(BlockTest, LongSharedKeysAndBorrowedBlockIterators) {
  Random rnd(11);
  for (int interval : {1, 4, 16}) {
    std::map<std::string, std::string> kv;
    for (int i = 0; i < 400; i++) {
      const std::string stem(rnd.OneIn(3) ? 100 + rnd.Uniform(200) : rnd.Uniform(20), 's');
      kv[stem + std::to_string(rnd.Uniform(50)) + std::string(rnd.Uniform(90), 'x')] =
          std::to_string(i);
    }
    kv[""] = "empty key";
    auto block = Build(kv, interval);
    auto shared = Block::NewIterator(block, CompareBytes);
    Block::Iter borrowed(block.get(), CompareBytes);
    for (InternalIterator* it : {shared.get(), static_cast<InternalIterator*>(&borrowed)}) {
      ExpectScansMatch(kv, it);
      if (HasFatalFailure()) return;
      for (const auto& [k, v] : kv) {
        it->Seek(k);
        ASSERT_TRUE(it->Valid());
        ASSERT_EQ(k, it->key());
        ASSERT_EQ(v, it->value());
        const std::string after = k + '\0';
        it->Seek(after);
        auto lb = kv.lower_bound(after);
        ASSERT_EQ(lb != kv.end(), it->Valid());
        if (lb != kv.end()) {
          ASSERT_EQ(lb->first, it->key());
        }
      }
      ASSERT_TRUE(it->status().ok());
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
  for (std::string target :
       {std::string(), std::string("a"), std::string("abcdefgh0"), std::string(20, 'z')}) {
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

// An index block's prefix index must find exactly the entry the plain
// binary search finds, whatever the keys share: long common prefixes, equal
// 8-byte prefixes after them, keys shorter than 8 bytes past the common
// part, several versions of one user key, and targets outside the block.
TEST(BlockTest, IndexBlockSeeksLikeAPlainBlock) {
  Random rnd(23);
  auto random_user_key = [&](int shape) {
    std::string k;
    switch (shape) {
      case 0:  // db_bench: 8 big-endian bytes, then padding
        for (int i = 0; i < 8; i++) k.push_back(static_cast<char>(rnd.Uniform(4)));
        k.append(8, '0');
        break;
      case 1:  // a long shared prefix, then short tails
        k = "tenant-000042/user/" + std::to_string(rnd.Uniform(500));
        break;
      case 2:  // equal 8 bytes after the common part, differing later
        k = std::string("p") + static_cast<char>('a' + rnd.Uniform(2)) + std::string(9, 'x') +
            std::to_string(rnd.Uniform(500));
        break;
      default:  // short and empty keys
        k = std::string(rnd.Uniform(3), static_cast<char>('a' + rnd.Uniform(3)));
        break;
    }
    return k;
  };
  for (int shape = 0; shape < 4; shape++) {
    for (int size : {1, 2, 63, 64, 65, 300}) {
      std::map<std::string, std::string, bool (*)(const std::string&, const std::string&)> kv(
          [](const std::string& a, const std::string& b) { return CompareInternalKeys(a, b) < 0; });
      // Some shapes have fewer distinct keys than `size`: stop trying then.
      std::vector<std::string> users;
      for (int tries = 0; static_cast<int>(kv.size()) < size && tries < 20 * size; tries++) {
        std::string k;
        users.push_back(random_user_key(shape));
        AppendInternalKey(&k, users.back(), rnd.Uniform(3), ValueType::kValue);
        kv[k] = "handle";
      }
      BlockBuilder b(1);
      for (const auto& [k, v] : kv) b.Add(k, v);
      const std::string bytes(b.Finish());
      auto indexed = Block::NewIndexBlock(bytes);
      ASSERT_TRUE(indexed->has_prefix_index());
      auto plain = std::make_shared<const Block>(bytes);
      auto a = Block::NewIterator(indexed, CompareInternalKeys);
      auto p = Block::NewIterator(plain, CompareInternalKeys);
      for (int t = 0; t < 400; t++) {
        std::string target;
        // A third of the targets are user keys in the block, at any sequence.
        const std::string user = t % 3 == 0   ? users[rnd.Uniform(users.size())]
                                 : t % 5 == 1 ? random_user_key((shape + 1) % 4)
                                              : random_user_key(shape);
        AppendInternalKey(&target, user, rnd.Uniform(4), ValueType::kValue);
        if (t == 0) target = std::string(8, '\0');  // the smallest internal key
        if (t == 1) target = std::string(40, '\xff');
        a->Seek(target);
        p->Seek(target);
        ASSERT_EQ(p->Valid(), a->Valid()) << "shape " << shape << " size " << size;
        if (p->Valid()) {
          ASSERT_EQ(p->key(), a->key()) << "shape " << shape << " size " << size;
        }
      }
    }
  }
}

// Restart keys too short to be internal keys, or out of order, get no prefix
// index: the block then searches (and fails) as a plain block does.
TEST(BlockTest, IndexBlockWithoutUsableRestartKeysGetsNoPrefixIndex) {
  BlockBuilder short_keys(1);
  for (std::string k : {"a", "b"}) short_keys.Add(k, "v");
  EXPECT_FALSE(Block::NewIndexBlock(std::string(short_keys.Finish()))->has_prefix_index());

  BlockBuilder unsorted(1);
  for (std::string u : {"b", "a"}) {
    std::string k;
    AppendInternalKey(&k, u, 1, ValueType::kValue);
    unsorted.Add(k, "v");
  }
  EXPECT_FALSE(Block::NewIndexBlock(std::string(unsorted.Finish()))->has_prefix_index());
  EXPECT_FALSE(Block::NewIndexBlock("garbage")->has_prefix_index());
  EXPECT_FALSE(Block::NewIndexBlock(std::string(Build({}, 1)->size(), '\0'))->has_prefix_index());
}

// Damaged index blocks, searched through the prefix index when one was
// built: never a read outside the block, never a crash.
TEST(BlockTest, DamagedIndexBlocksNeverCrash) {
  Random rnd(29);
  BlockBuilder b(1);
  for (int i = 0; i < 200; i++) {
    std::string k;
    AppendInternalKey(&k, "key" + std::to_string(100000 + i * 7), 5, ValueType::kValue);
    b.Add(k, "handle-bytes");
  }
  const std::string good(b.Finish());
  int indexed = 0;
  for (int trial = 0; trial < 3000; trial++) {
    std::string bytes = good;
    for (int f = 0; f < 1 + trial % 3; f++)
      bytes[rnd.Uniform(bytes.size())] ^= static_cast<char>(1 + rnd.Uniform(255));
    auto block = Block::NewIndexBlock(bytes);
    indexed += block->has_prefix_index();
    auto it = Block::NewIterator(block, CompareInternalKeys);
    for (int t = 0; t < 5; t++) {
      std::string target;
      AppendInternalKey(&target, "key" + std::to_string(100000 + rnd.Uniform(1500)), 5,
                        ValueType::kValue);
      it->Seek(target);
      if (it->Valid()) {
        ASSERT_FALSE(it->key().empty());
      }
    }
  }
  EXPECT_GT(indexed, 0);  // most single flips land in values and keep the index
}

}  // namespace synapsed
