#include "memtable/skiplist.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "util/random.h"

namespace synapsed {

using Key = uint64_t;
struct Cmp {
  int operator()(const Key& a, const Key& b) const { return a < b ? -1 : (a > b ? 1 : 0); }
};
using List = SkipList<Key, Cmp>;

TEST(SkipListTest, Empty) {
  Arena arena;
  List list(Cmp(), &arena);
  EXPECT_FALSE(list.Contains(10));
  List::Iterator iter(&list);
  iter.SeekToFirst();
  EXPECT_FALSE(iter.Valid());
  iter.SeekToLast();
  EXPECT_FALSE(iter.Valid());
  iter.Seek(100);
  EXPECT_FALSE(iter.Valid());
  iter.SeekForPrev(100);
  EXPECT_FALSE(iter.Valid());
}

TEST(SkipListTest, MatchesStdSetInBothDirections) {
  const int N = 2000;
  const Key R = 5000;
  Random rnd(1000);
  std::set<Key> keys;
  Arena arena;
  List list(Cmp(), &arena);
  for (int i = 0; i < N; i++) {
    Key key = rnd.Uniform(R);
    if (keys.insert(key).second) list.Insert(key);
  }
  for (Key i = 0; i < R; i++) EXPECT_EQ(keys.count(i) == 1, list.Contains(i)) << i;

  for (Key i = 0; i < R; i += 7) {
    List::Iterator iter(&list);
    iter.Seek(i);
    auto it = keys.lower_bound(i);
    for (int j = 0; j < 3; j++) {
      if (it == keys.end()) {
        ASSERT_FALSE(iter.Valid());
        break;
      }
      ASSERT_TRUE(iter.Valid());
      EXPECT_EQ(*it, iter.key());
      ++it;
      iter.Next();
    }
    iter.SeekForPrev(i);
    auto up = keys.upper_bound(i);
    if (up == keys.begin()) {
      EXPECT_FALSE(iter.Valid());
    } else {
      ASSERT_TRUE(iter.Valid());
      EXPECT_EQ(*std::prev(up), iter.key());
    }
  }

  List::Iterator iter(&list);
  iter.SeekToLast();
  for (auto it = keys.rbegin(); it != keys.rend(); ++it) {
    ASSERT_TRUE(iter.Valid());
    EXPECT_EQ(*it, iter.key());
    iter.Prev();
  }
  EXPECT_FALSE(iter.Valid());
}

// One writer inserts increasing keys while readers scan: a reader must see
// a sorted sequence that contains every key inserted before its scan began.
TEST(SkipListTest, ConcurrentReadersSeeConsistentPrefix) {
  Arena arena;
  List list(Cmp(), &arena);
  std::atomic<Key> published{0};
  std::atomic<bool> done{false};
  constexpr Key kCount = 200000;

  auto reader = [&] {
    Random rnd(7);
    while (!done.load(std::memory_order_acquire)) {
      Key before = published.load(std::memory_order_acquire);
      List::Iterator iter(&list);
      Key start = before == 0 ? 0 : rnd.Uniform(before);
      iter.Seek(start);
      Key expect = start == 0 ? 1 : start;  // keys are 1..n
      Key last = 0;
      int steps = 0;
      while (iter.Valid() && steps < 1000) {
        Key k = iter.key();
        ASSERT_GT(k, last);
        if (k <= before) {
          ASSERT_EQ(expect, k) << "a published key was skipped";
        }
        last = k;
        expect = k + 1;
        iter.Next();
        steps++;
      }
    }
  };
  std::thread r1(reader), r2(reader);
  for (Key k = 1; k <= kCount; k++) {
    list.Insert(k);
    published.store(k, std::memory_order_release);
  }
  done.store(true, std::memory_order_release);
  r1.join();
  r2.join();
  for (Key k = 1; k <= kCount; k += 997) EXPECT_TRUE(list.Contains(k));
}

}  // namespace synapsed
