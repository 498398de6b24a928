#include "synapsed/cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cache/arc_cache.h"
#include "util/mutex.h"
#include "util/random.h"

namespace synapsed {
namespace {

// Values are ints carried in the pointer; the deleter logs (key, value).
void* AsValue(int v) { return reinterpret_cast<void*>(static_cast<intptr_t>(v)); }
int FromValue(void* v) { return static_cast<int>(reinterpret_cast<intptr_t>(v)); }
std::string Key(int k) { return "key" + std::to_string(k); }

// A Deleter is a plain function, so the log it writes to is global; each test
// installs its own.
struct DeleteLog {
  Mutex mu;
  std::vector<std::pair<std::string, int>> deleted GUARDED_BY(mu);
};
DeleteLog* g_log = nullptr;

void LogDelete(std::string_view key, void* value) {
  MutexLock lock(&g_log->mu);
  g_log->deleted.emplace_back(std::string(key), FromValue(value));
}

struct CacheKind {
  const char* name;
  std::shared_ptr<Cache> (*make)(size_t capacity, int num_shard_bits);
};

class CacheTest : public testing::TestWithParam<CacheKind> {
 protected:
  static constexpr size_t kCapacity = 1000;

  CacheTest() {
    g_log = &log_;
    cache_ = NewCache(kCapacity, 0);
  }
  ~CacheTest() override {
    cache_.reset();  // its deleters still log
    g_log = nullptr;
  }

  std::shared_ptr<Cache> NewCache(size_t capacity, int bits) {
    return GetParam().make(capacity, bits);
  }
  // The value, or -1 on a miss.
  int Lookup(int key) {
    Cache::Handle* h = cache_->Lookup(Key(key));
    if (h == nullptr) return -1;
    const int v = FromValue(cache_->Value(h));
    cache_->Release(h);
    return v;
  }
  Cache::Handle* InsertPinned(int key, int value, size_t charge = 1) {
    return cache_->Insert(Key(key), AsValue(value), charge, LogDelete);
  }
  void Insert(int key, int value, size_t charge = 1) {
    cache_->Release(InsertPinned(key, value, charge));
  }
  // How many times `value` was deleted.
  int Deletes(int value) {
    MutexLock lock(&log_.mu);
    int n = 0;
    for (const auto& [k, v] : log_.deleted) n += v == value;
    return n;
  }
  size_t TotalDeletes() {
    MutexLock lock(&log_.mu);
    return log_.deleted.size();
  }

  DeleteLog log_;
  std::shared_ptr<Cache> cache_;  // after log_: destroyed first
};

TEST_P(CacheTest, HitAndMiss) {
  EXPECT_EQ(-1, Lookup(100));
  Insert(100, 101);
  EXPECT_EQ(101, Lookup(100));
  EXPECT_EQ(-1, Lookup(200));
  Insert(200, 201);
  EXPECT_EQ(101, Lookup(100));
  EXPECT_EQ(201, Lookup(200));
  EXPECT_EQ(0u, TotalDeletes());
}

TEST_P(CacheTest, ReplaceFreesOldValueOnceAfterRelease) {
  Cache::Handle* old = InsertPinned(1, 10);
  Insert(1, 11);
  EXPECT_EQ(11, Lookup(1));
  EXPECT_EQ(10, FromValue(cache_->Value(old)));  // still valid while pinned
  EXPECT_EQ(0, Deletes(10));
  cache_->Release(old);
  EXPECT_EQ(1, Deletes(10));
  EXPECT_EQ(0, Deletes(11));

  Insert(1, 12);  // the unpinned old value goes at once
  EXPECT_EQ(1, Deletes(11));
  const Cache::Stats stats = cache_->GetStats();
  EXPECT_EQ(1u, stats.entries);
  EXPECT_EQ(1u, stats.usage_bytes);
  EXPECT_EQ(0u, stats.pinned_bytes);

  cache_.reset();
  EXPECT_EQ(1, Deletes(12));
  EXPECT_EQ(3u, TotalDeletes());
  MutexLock lock(&log_.mu);
  for (const auto& [k, v] : log_.deleted) EXPECT_EQ(Key(1), k);
}

TEST_P(CacheTest, Erase) {
  cache_->Erase(Key(5));  // absent: nothing happens
  EXPECT_EQ(0u, TotalDeletes());
  Insert(5, 50);
  Insert(6, 60);
  cache_->Erase(Key(5));
  EXPECT_EQ(-1, Lookup(5));
  EXPECT_EQ(60, Lookup(6));
  EXPECT_EQ(1, Deletes(50));
  cache_->Erase(Key(5));
  EXPECT_EQ(1, Deletes(50));
  EXPECT_EQ(1u, cache_->GetStats().entries);
}

TEST_P(CacheTest, EraseWhilePinnedFreesOnRelease) {
  Cache::Handle* h = InsertPinned(7, 70, 5);
  cache_->Erase(Key(7));
  EXPECT_EQ(-1, Lookup(7));
  EXPECT_EQ(70, FromValue(cache_->Value(h)));
  EXPECT_EQ(0, Deletes(70));
  Cache::Stats stats = cache_->GetStats();
  EXPECT_EQ(0u, stats.entries);
  EXPECT_EQ(0u, stats.usage_bytes);
  EXPECT_EQ(5u, stats.pinned_bytes);  // erased but still held
  cache_->Release(h);
  EXPECT_EQ(1, Deletes(70));
  EXPECT_EQ(0u, cache_->GetStats().pinned_bytes);
}

TEST_P(CacheTest, PinnedEntrySurvivesEvictionPressure) {
  Cache::Handle* pinned = InsertPinned(0, 1000, 100);
  for (int i = 1; i <= 500; i++) Insert(i, 1000 + i, 10);  // 5x the capacity
  EXPECT_EQ(1000, FromValue(cache_->Value(pinned)));
  EXPECT_EQ(0, Deletes(1000));
  EXPECT_LE(cache_->GetStats().usage_bytes, kCapacity);
  EXPECT_EQ(100u, cache_->GetStats().pinned_bytes);

  cache_->Release(pinned);
  for (int i = 501; i <= 700; i++) Insert(i, 1000 + i, 10);
  EXPECT_EQ(-1, Lookup(0));  // unpinned, it ages out like any other entry
  EXPECT_EQ(1, Deletes(1000));
}

TEST_P(CacheTest, PinnedEntriesMayHoldTheCacheOverCapacity) {
  std::vector<Cache::Handle*> handles;
  for (int i = 0; i < 5; i++) handles.push_back(InsertPinned(i, i, 300));
  Cache::Stats stats = cache_->GetStats();
  EXPECT_EQ(1500u, stats.usage_bytes);  // Insert never fails
  EXPECT_EQ(1500u, stats.pinned_bytes);
  EXPECT_EQ(5u, stats.entries);
  for (int i = 0; i < 5; i++) EXPECT_EQ(i, FromValue(cache_->Value(handles[i])));
  EXPECT_EQ(0u, TotalDeletes());

  // Each release evicts what no longer fits, starting with the oldest entries.
  for (Cache::Handle* h : handles) cache_->Release(h);
  stats = cache_->GetStats();
  EXPECT_EQ(900u, stats.usage_bytes);
  EXPECT_EQ(3u, stats.entries);
  EXPECT_EQ(0u, stats.pinned_bytes);
  EXPECT_EQ(1, Deletes(0));
  EXPECT_EQ(1, Deletes(1));
  EXPECT_EQ(2u, TotalDeletes());
}

TEST_P(CacheTest, CapacityRespectedWhenNothingIsPinned) {
  for (int bits : {0, 2}) {
    cache_ = NewCache(kCapacity, bits);
    Random rnd(bits + 1);
    for (int i = 0; i < 5000; i++) {
      const int key = static_cast<int>(rnd.Uniform(300));
      if (rnd.OneIn(3)) {
        Lookup(key);
      } else {
        Insert(key, i, 1 + rnd.Uniform(100));
        ASSERT_LE(cache_->GetStats().usage_bytes, kCapacity) << "bits " << bits << " op " << i;
      }
    }
    // Evictions keep the cache full, not near-empty.
    EXPECT_GE(cache_->GetStats().usage_bytes, kCapacity - 4 * 100);
  }
}

TEST_P(CacheTest, ChargesOfDifferentSizes) {
  Insert(1, 1, 600);
  Insert(2, 2, 300);
  Insert(3, 3, 200);  // 100 bytes short: the oldest, biggest entry goes
  EXPECT_EQ(-1, Lookup(1));
  EXPECT_EQ(2, Lookup(2));
  EXPECT_EQ(3, Lookup(3));
  EXPECT_EQ(500u, cache_->GetStats().usage_bytes);

  Insert(4, 4, 1000);  // exactly the capacity: everything else goes
  EXPECT_EQ(4, Lookup(4));
  EXPECT_EQ(1000u, cache_->GetStats().usage_bytes);
  EXPECT_EQ(1u, cache_->GetStats().entries);

  // Larger than the capacity: usable while pinned, gone once released.
  Cache::Handle* h = InsertPinned(5, 5, 1500);
  EXPECT_EQ(5, FromValue(cache_->Value(h)));
  EXPECT_EQ(1500u, cache_->GetStats().usage_bytes);
  cache_->Release(h);
  EXPECT_EQ(-1, Lookup(5));
  EXPECT_EQ(0u, cache_->GetStats().usage_bytes);
  for (int v = 1; v <= 5; v++) EXPECT_EQ(1, Deletes(v)) << v;
}

TEST_P(CacheTest, StatsAreExact) {
  cache_ = NewCache(3, 0);
  Insert(1, 1);
  Insert(2, 2);
  Insert(3, 3);
  EXPECT_EQ(1, Lookup(1));   // hit
  EXPECT_EQ(-1, Lookup(4));  // miss
  Insert(4, 4);              // evicts 2: least recent (LRU), in T1 above p = 0 (ARC)
  EXPECT_EQ(-1, Lookup(2));  // miss
  Cache::Handle* h = cache_->Lookup(Key(3));  // hit, pinned
  ASSERT_NE(nullptr, h);

  Cache::Stats stats = cache_->GetStats();
  EXPECT_EQ(2u, stats.hits);
  EXPECT_EQ(2u, stats.misses);
  EXPECT_EQ(4u, stats.inserts);
  EXPECT_EQ(1u, stats.evictions);
  EXPECT_EQ(3u, stats.usage_bytes);
  EXPECT_EQ(1u, stats.pinned_bytes);
  EXPECT_EQ(3u, stats.entries);

  cache_->Release(h);
  cache_->Erase(Key(1));  // not an eviction
  stats = cache_->GetStats();
  EXPECT_EQ(1u, stats.evictions);
  EXPECT_EQ(0u, stats.pinned_bytes);
  EXPECT_EQ(2u, stats.usage_bytes);
  EXPECT_EQ(2u, stats.entries);
  EXPECT_EQ(1, Deletes(1));
  EXPECT_EQ(1, Deletes(2));
}

TEST_P(CacheTest, ZeroCapacityCachesNothing) {
  cache_ = NewCache(0, 0);
  Cache::Handle* h = InsertPinned(1, 10);
  EXPECT_EQ(10, FromValue(cache_->Value(h)));
  cache_->Release(h);
  EXPECT_EQ(-1, Lookup(1));
  EXPECT_EQ(1, Deletes(10));
  EXPECT_EQ(0u, cache_->GetStats().usage_bytes);
}

TEST_P(CacheTest, NullDeleterIsAllowed) {
  cache_->Release(cache_->Insert("k", AsValue(1), 1, nullptr));
  Cache::Handle* h = cache_->Lookup("k");
  ASSERT_NE(nullptr, h);
  EXPECT_EQ(1, FromValue(cache_->Value(h)));
  cache_->Release(h);
  cache_->Erase("k");
  EXPECT_EQ(nullptr, cache_->Lookup("k"));
}

TEST_P(CacheTest, NewIdsAreDistinctAndNonZero) {
  const uint64_t a = cache_->NewId();
  const uint64_t b = cache_->NewId();
  EXPECT_NE(0u, a);
  EXPECT_NE(a, b);
}

TEST_P(CacheTest, ShardsSplitTheCapacityExactly) {
  cache_ = NewCache(1003, 3);  // 8 shards of 125 or 126 bytes
  EXPECT_EQ(1003u, cache_->capacity());
  for (int i = 0; i < 20000; i++) Insert(i, i);
  EXPECT_EQ(1003u, cache_->GetStats().usage_bytes);  // every shard full, none over

  // The default sharding: 64 MiB gives 64 shards of 1 MiB.
  const size_t big = size_t{64} << 20;
  cache_ = NewCache(big, -1);
  EXPECT_EQ(big, cache_->capacity());
  for (int i = 0; i < 40000; i++) Insert(i, i, 4096);
  const uint64_t usage = cache_->GetStats().usage_bytes;
  EXPECT_LE(usage, big);
  EXPECT_GT(usage, big - 64 * 4096);
}

// Every value ever inserted is deleted exactly once, with its own key, under a
// random mix of operations that keeps some handles pinned.
TEST_P(CacheTest, DeleterRunsExactlyOncePerValue) {
  cache_ = NewCache(200, 1);
  Random rnd(42);
  std::map<int, int> key_of_value;
  std::vector<Cache::Handle*> pinned;
  int next_value = 0;
  for (int i = 0; i < 20000; i++) {
    const int key = static_cast<int>(rnd.Uniform(100));
    switch (rnd.Uniform(5)) {
      case 0:
      case 1: {
        key_of_value[next_value] = key;
        Cache::Handle* h = InsertPinned(key, next_value++, 1 + rnd.Uniform(20));
        if (rnd.OneIn(4)) {
          pinned.push_back(h);
        } else {
          cache_->Release(h);
        }
        break;
      }
      case 2:
        if (Cache::Handle* h = cache_->Lookup(Key(key)); h != nullptr) {
          EXPECT_EQ(key, key_of_value[FromValue(cache_->Value(h))]);
          pinned.push_back(h);
        }
        break;
      case 3:
        cache_->Erase(Key(key));
        break;
      default:
        if (!pinned.empty()) {
          cache_->Release(pinned.back());
          pinned.pop_back();
        }
    }
  }
  for (Cache::Handle* h : pinned) cache_->Release(h);
  EXPECT_EQ(0u, cache_->GetStats().pinned_bytes);
  cache_.reset();

  MutexLock lock(&log_.mu);
  ASSERT_EQ(static_cast<size_t>(next_value), log_.deleted.size());
  std::vector<int> count(next_value);
  for (const auto& [k, v] : log_.deleted) {
    ASSERT_LT(v, next_value);
    count[v]++;
    EXPECT_EQ(Key(key_of_value[v]), k);
  }
  for (int v = 0; v < next_value; v++) EXPECT_EQ(1, count[v]) << v;
}

TEST_P(CacheTest, ConcurrentMixedOperations) {
  constexpr int kThreads = 4;
  constexpr int kOpsPerThread = 20000;
  constexpr int kKeys = 64;
  constexpr size_t kCap = 2000;
  cache_ = NewCache(kCap, 1);
  // Value ids are handed out in blocks per thread; key_of[id] is written before
  // the Insert that publishes id, and read only by threads that found it.
  std::vector<int> key_of(kThreads * kOpsPerThread, -1);
  std::atomic<uint64_t> inserts{0}, lookups{0}, hits{0}, bad_values{0};

  auto worker = [&](int t) {
    Random rnd(1000 + t);
    std::vector<Cache::Handle*> pinned;
    int next_id = t * kOpsPerThread;
    for (int i = 0; i < kOpsPerThread; i++) {
      const int key = static_cast<int>(rnd.Uniform(kKeys));
      const uint64_t op = rnd.Uniform(10);
      if (op < 4) {
        key_of[next_id] = key;
        Cache::Handle* h = InsertPinned(key, next_id++, 1 + rnd.Uniform(100));
        inserts++;
        pinned.push_back(h);
      } else if (op < 8) {
        lookups++;
        if (Cache::Handle* h = cache_->Lookup(Key(key)); h != nullptr) {
          hits++;
          if (key_of[FromValue(cache_->Value(h))] != key) bad_values++;
          pinned.push_back(h);
        }
      } else if (op < 9) {
        cache_->Erase(Key(key));
      }
      // Hold at most a few handles, releasing in a shuffled order.
      while (pinned.size() > (op == 9 ? 0u : 3u)) {
        const size_t j = rnd.Uniform(pinned.size());
        cache_->Release(pinned[j]);
        pinned[j] = pinned.back();
        pinned.pop_back();
      }
    }
    for (Cache::Handle* h : pinned) cache_->Release(h);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) threads.emplace_back(worker, t);
  for (auto& th : threads) th.join();

  EXPECT_EQ(0u, bad_values.load());
  const Cache::Stats stats = cache_->GetStats();
  EXPECT_EQ(inserts.load(), stats.inserts);
  EXPECT_EQ(hits.load(), stats.hits);
  EXPECT_EQ(lookups.load(), stats.hits + stats.misses);
  EXPECT_EQ(0u, stats.pinned_bytes);
  EXPECT_LE(stats.usage_bytes, kCap);
  EXPECT_LE(stats.entries, static_cast<uint64_t>(kKeys));
  EXPECT_EQ(stats.entries, inserts.load() - TotalDeletes());

  cache_.reset();
  MutexLock lock(&log_.mu);
  ASSERT_EQ(inserts.load(), log_.deleted.size());
  std::vector<int> count(key_of.size());
  for (const auto& [k, v] : log_.deleted) {
    count[v]++;
    EXPECT_EQ(Key(key_of[v]), k);
  }
  for (size_t id = 0; id < key_of.size(); id++) {
    if (key_of[id] >= 0) {
      EXPECT_EQ(1, count[id]) << id;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, CacheTest,
                         testing::Values(CacheKind{"ARC", NewARCCache},
                                         CacheKind{"LRU", NewLRUCache}),
                         [](const testing::TestParamInfo<CacheKind>& info) {
                           return std::string(info.param.name);
                         });

// ---- ARC-specific ---------------------------------------------------------

// Reads key through the cache, inserting it on a miss; true on a hit.
bool Access(Cache* cache, const std::string& key, size_t charge) {
  if (Cache::Handle* h = cache->Lookup(key); h != nullptr) {
    cache->Release(h);
    return true;
  }
  cache->Release(cache->Insert(key, nullptr, charge, nullptr));
  return false;
}

// A hot set of half the capacity, read round-robin over and over, interleaved
// with a scan that reads each of its keys once and totals ~5.6x the capacity.
// Returns the hot set's hit ratio during the scan.
double HotHitRatioUnderScan(Cache* cache) {
  constexpr int kHotKeys = 500;
  constexpr size_t kBlock = 4096;  // capacity: 1000 blocks
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < kHotKeys; i++) Access(cache, "hot" + std::to_string(i), kBlock);
  }
  Random rnd(301);
  int hot_hits = 0;
  int hot_reads = 0;
  int scanned = 0;
  for (int step = 0; step < 2500; step++) {
    // Two scan blocks per hot read: ~6.6 MB of other blocks between two reads
    // of a hot key, more than the cache holds, so recency alone cannot keep it.
    for (int s = 0; s < 2; s++) {
      Access(cache, "scan" + std::to_string(scanned++), 1024 + rnd.Uniform(7 * 1024));
    }
    hot_hits += Access(cache, "hot" + std::to_string(step % kHotKeys), kBlock);
    hot_reads++;
  }
  return static_cast<double>(hot_hits) / hot_reads;
}

TEST(ArcTest, HotSetSurvivesAScanThatFlushesLru) {
  constexpr size_t kCap = 1000 * 4096;
  auto arc = NewARCCache(kCap, 0);
  auto lru = NewLRUCache(kCap, 0);
  const double arc_ratio = HotHitRatioUnderScan(arc.get());
  const double lru_ratio = HotHitRatioUnderScan(lru.get());
  std::printf("hot-set hit ratio under scan: ARC %.3f, LRU %.3f\n", arc_ratio, lru_ratio);
  EXPECT_GT(arc_ratio, 0.8);
  EXPECT_GT(arc_ratio, lru_ratio + 0.5);
  EXPECT_EQ(0u, arc->GetStats().pinned_bytes);
}

// Recency-friendly traffic (keys coming back soon after leaving T1) grows p;
// frequency-friendly traffic (keys coming back after leaving T2) shrinks it.
TEST(ArcTest, TargetFollowsTheWorkload) {
  constexpr size_t kCap = 100;
  auto cache = NewARCCache(kCap, 0);
  auto read = [&](const char* prefix, int i) {
    Access(cache.get(), prefix + std::to_string(i), 1);
  };
  // 50 frequent keys fill T2; p starts at 0.
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < 50; i++) read("f", i);
  }
  ArcState s = ArcStateForTest(cache.get());
  EXPECT_EQ(0u, s.target_t1_bytes);
  EXPECT_EQ(50u, s.t2_bytes);

  // Recency: a loop over 80 keys, each read once per turn. T1 only has the
  // 50 bytes T2 leaves, so keys return from B1 and p grows.
  for (int turn = 0; turn < 3; turn++) {
    for (int i = 0; i < 80; i++) read("r", i);
  }
  const size_t p_after_recency = ArcStateForTest(cache.get()).target_t1_bytes;
  EXPECT_GE(p_after_recency, 20u);

  // Frequency: the first frequent keys again, now partly in B2 (evicted from
  // T2 to make room): their return shrinks p.
  for (int turn = 0; turn < 3; turn++) {
    for (int i = 0; i < 50; i++) read("f", i);
  }
  const size_t p_after_frequency = ArcStateForTest(cache.get()).target_t1_bytes;
  std::printf("p: 0 -> %zu (recency) -> %zu (frequency)\n", p_after_recency, p_after_frequency);
  EXPECT_LT(p_after_frequency, p_after_recency);
}

TEST(ArcTest, GhostHitInsertsIntoT2) {
  auto cache = NewARCCache(10, 0);
  for (int i = 0; i < 11; i++) Access(cache.get(), Key(i), 1);  // key0 goes to B1
  ArcState s = ArcStateForTest(cache.get());
  EXPECT_EQ(10u, s.t1_bytes);
  EXPECT_EQ(0u, s.t2_bytes);
  EXPECT_EQ(0u, s.b1_bytes);  // |T1| + |B1| <= c leaves no room for history
  EXPECT_EQ(nullptr, cache->Lookup(Key(0)));

  // With a frequent entry in T2, T1 is short of c and keeps some history.
  auto c2 = NewARCCache(10, 0);
  Access(c2.get(), "f", 1);
  Access(c2.get(), "f", 1);                                  // T2 = {f}
  for (int i = 0; i < 10; i++) Access(c2.get(), Key(i), 1);  // key0 -> B1
  s = ArcStateForTest(c2.get());
  EXPECT_EQ(1u, s.b1_bytes);
  Access(c2.get(), Key(0), 1);  // a ghost hit: p grows, key0 enters T2
  s = ArcStateForTest(c2.get());
  EXPECT_EQ(1u, s.target_t1_bytes);
  EXPECT_EQ(2u, s.t2_bytes);
}

// ARC's bounds, in bytes, after every operation of a random workload.
TEST(ArcTest, HistoryBoundsHold) {
  constexpr size_t kCap = 5000;
  auto cache = NewARCCache(kCap, 0);
  Random rnd(7);
  for (int i = 0; i < 20000; i++) {
    const std::string key = Key(static_cast<int>(rnd.Skewed(10)));
    if (rnd.OneIn(20)) {
      cache->Erase(key);
    } else {
      Access(cache.get(), key, 1 + rnd.Uniform(200));
    }
    const ArcState s = ArcStateForTest(cache.get());
    ASSERT_LE(s.target_t1_bytes, kCap) << i;
    ASSERT_LE(s.t1_bytes + s.t2_bytes, kCap) << i;
    ASSERT_EQ(s.t1_bytes + s.t2_bytes, cache->GetStats().usage_bytes) << i;
    ASSERT_LE(s.t1_bytes + s.b1_bytes, kCap) << i;
    ASSERT_LE(s.t1_bytes + s.t2_bytes + s.b1_bytes + s.b2_bytes, 2 * kCap) << i;
  }
  const ArcState s = ArcStateForTest(cache.get());
  EXPECT_GT(s.b1_bytes + s.b2_bytes, 0u);  // the history is in use
}

}  // namespace
}  // namespace synapsed
