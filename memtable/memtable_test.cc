#include "memtable/memtable.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "testutil/testutil.h"
#include "util/random.h"

namespace synapsed {

namespace {
using test::IKey;
}  // namespace

TEST(MemTableTest, GetHonoursSequenceAndDeletes) {
  MemTable mem;
  mem.Add(1, ValueType::kValue, "a", "a1");
  mem.Add(2, ValueType::kValue, "b", "b2");
  mem.Add(3, ValueType::kDeletion, "a", "");
  mem.Add(4, ValueType::kValue, "a", "a4");
  mem.Add(5, ValueType::kValue, "", "empty-key");

  std::string v;
  bool found = false;
  ASSERT_FALSE(mem.Get(LookupKey("a", 0), &v, &found));  // nothing at seq 0
  ASSERT_TRUE(mem.Get(LookupKey("a", 1), &v, &found));
  EXPECT_TRUE(found);
  EXPECT_EQ("a1", v);
  ASSERT_TRUE(mem.Get(LookupKey("a", 2), &v, &found));
  EXPECT_EQ("a1", v);
  ASSERT_TRUE(mem.Get(LookupKey("a", 3), &v, &found));
  EXPECT_FALSE(found);
  ASSERT_TRUE(mem.Get(LookupKey("a", 100), &v, &found));
  EXPECT_TRUE(found);
  EXPECT_EQ("a4", v);
  ASSERT_TRUE(mem.Get(LookupKey("", 100), &v, &found));
  EXPECT_EQ("empty-key", v);
  EXPECT_FALSE(mem.Get(LookupKey("aa", 100), &v, &found));
  EXPECT_FALSE(mem.Get(LookupKey("c", 100), &v, &found));
  EXPECT_EQ(5u, mem.num_entries());
  EXPECT_EQ(1u, mem.num_deletes());
}

TEST(MemTableTest, IteratorOrdersByUserKeyThenNewestFirst) {
  auto mem = std::make_shared<MemTable>();
  mem->Add(1, ValueType::kValue, "b", "b1");
  mem->Add(2, ValueType::kValue, "a", "a2");
  mem->Add(3, ValueType::kValue, "b", "b3");
  mem->Add(4, ValueType::kDeletion, "a", "");
  auto iter = MemTable::NewIterator(mem);
  std::vector<std::string> seen;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    ParsedInternalKey p;
    ASSERT_TRUE(ParseInternalKey(iter->key(), &p));
    seen.push_back(std::string(p.user_key) + "@" + std::to_string(p.sequence) + "=" +
                   std::string(iter->value()));
  }
  EXPECT_EQ((std::vector<std::string>{"a@4=", "a@2=a2", "b@3=b3", "b@1=b1"}), seen);

  iter->Seek(IKey("b", 2, kValueTypeForSeek));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("b1", iter->value());
  iter->SeekForPrev(IKey("b", 2, kValueTypeForSeek));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("b3", iter->value());
  iter->Prev();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("a2", iter->value());
  iter->SeekToLast();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("b1", iter->value());
}

TEST(MemTableTest, LargeValuesAndBinaryKeys) {
  MemTable mem;
  Random rnd(5);
  std::map<std::string, std::string> model;
  for (int i = 0; i < 500; i++) {
    // Every tenth key is longer than LookupKey keeps inline.
    std::string k(i % 10 == 0 ? 180 + rnd.Uniform(300) : rnd.Uniform(40), '\0');
    for (auto& c : k) c = static_cast<char>(rnd.Next());
    std::string v(rnd.Skewed(17), 'v');
    mem.Add(i + 1, ValueType::kValue, k, v);
    model[k] = v;
  }
  for (const auto& [k, v] : model) {
    std::string got;
    bool found;
    ASSERT_TRUE(mem.Get(LookupKey(k, 1000), &got, &found));
    ASSERT_TRUE(found);
    ASSERT_EQ(v, got);
  }
  EXPECT_GT(mem.ApproximateMemoryUsage(), 0u);
}

TEST(MemTableTest, RangeTombstonesHideOlderVersionsOnly) {
  auto mem = std::make_shared<MemTable>();
  mem->Add(1, ValueType::kValue, "a", "a1");
  mem->Add(2, ValueType::kValue, "b", "b2");
  mem->Add(3, ValueType::kRangeDeletion, "a", "c");  // hides a@1, b@2
  mem->Add(4, ValueType::kValue, "b", "b4");         // newer than the tombstone
  mem->Add(5, ValueType::kValue, "c", "c5");         // c is the exclusive end
  EXPECT_EQ(5u, mem->num_entries());
  EXPECT_EQ(1u, mem->num_range_deletes());
  EXPECT_EQ(0u, mem->num_deletes());

  std::string v;
  bool found = true;
  // At 2, before the tombstone, both are visible.
  ASSERT_TRUE(mem->Get(LookupKey("a", 2), &v, &found));
  EXPECT_TRUE(found);
  EXPECT_EQ("a1", v);
  // From 3 on, a is deleted; "no version newer than the tombstone" decides.
  ASSERT_TRUE(mem->Get(LookupKey("a", 3), &v, &found));
  EXPECT_FALSE(found);
  ASSERT_TRUE(mem->Get(LookupKey("b", 3), &v, &found));
  EXPECT_FALSE(found);
  ASSERT_TRUE(mem->Get(LookupKey("b", 4), &v, &found));
  EXPECT_TRUE(found);
  EXPECT_EQ("b4", v);
  // A key in the range with no version here is decided too (older sources
  // hold only older versions).
  SequenceNumber covering = 0;
  ASSERT_TRUE(mem->Get(LookupKey("aa", 100), &v, &found, &covering));
  EXPECT_FALSE(found);
  EXPECT_EQ(3u, covering);
  covering = 0;
  EXPECT_FALSE(mem->Get(LookupKey("c", 4), &v, &found, &covering));
  EXPECT_EQ(0u, covering);
  // A tombstone from a newer source hides this memtable's older value.
  covering = 7;
  ASSERT_TRUE(mem->Get(LookupKey("c", 100), &v, &found, &covering));
  EXPECT_FALSE(found);
  EXPECT_EQ(7u, covering);

  // The iterator holds point entries only.
  auto iter = MemTable::NewIterator(mem);
  int n = 0;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    ParsedInternalKey p;
    ASSERT_TRUE(ParseInternalKey(iter->key(), &p));
    n++;
  }
  EXPECT_EQ(4, n);
}

TEST(MemTableTest, FragmentedListIsCachedUntilATombstoneIsAdded) {
  MemTable mem;
  EXPECT_EQ(nullptr, mem.RangeTombstones());
  mem.Add(1, ValueType::kRangeDeletion, "a", "m");
  auto first = mem.RangeTombstones();
  ASSERT_NE(nullptr, first);
  EXPECT_EQ(first, mem.RangeTombstones());  // no rebuild without a new tombstone
  mem.Add(2, ValueType::kValue, "b", "v");
  EXPECT_EQ(first, mem.RangeTombstones());  // a put does not invalidate it
  mem.Add(3, ValueType::kRangeDeletion, "f", "z");
  auto second = mem.RangeTombstones();
  ASSERT_NE(first, second);
  EXPECT_EQ(1u, first->num_fragments());  // readers holding the old list keep it
  EXPECT_EQ(3u, second->num_fragments());
  EXPECT_EQ(3u, second->MaxCoveringSequence("g", 10));
}

// One writer adding puts and tombstones while readers look up keys and take
// the fragmented list: every read sees at least what was published before
// it (TSan checks the cache's locking).
TEST(MemTableTest, ConcurrentReadersWhileTombstonesAreAdded) {
  MemTable mem;
  std::atomic<SequenceNumber> published{0};
  std::atomic<bool> done{false};
  constexpr int kWrites = 2000;
  std::thread writer([&] {
    for (SequenceNumber seq = 1; seq <= kWrites; seq++) {
      const std::string k = "k" + std::to_string(seq % 50);
      if (seq % 3 == 0) {
        mem.Add(seq, ValueType::kRangeDeletion, k, k + "~");
      } else {
        mem.Add(seq, ValueType::kValue, k, std::to_string(seq));
      }
      published.store(seq, std::memory_order_release);
    }
    done.store(true);
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; r++) {
    readers.emplace_back([&, r] {
      Random rnd(r + 1);
      while (!done.load()) {
        const SequenceNumber seq = published.load(std::memory_order_acquire);
        if (seq < 3) continue;
        // The newest update of some key, as published: a tombstone at a
        // multiple of 3 must be seen.
        const SequenceNumber last_tombstone = seq - seq % 3;
        const std::string k = "k" + std::to_string(last_tombstone % 50);
        std::string v;
        bool found = true;
        SequenceNumber covering = 0;
        bool decided = mem.Get(LookupKey(k, last_tombstone), &v, &found, &covering);
        ASSERT_TRUE(decided);
        ASSERT_FALSE(found);
        ASSERT_EQ(last_tombstone, covering);
        if (rnd.OneIn(4)) {
          auto list = mem.RangeTombstones();
          ASSERT_NE(nullptr, list);
          ASSERT_GE(list->largest_seq(), last_tombstone);
        }
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(static_cast<uint64_t>(kWrites / 3), mem.num_range_deletes());
}

}  // namespace synapsed
