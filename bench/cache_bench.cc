// Micro-benchmarks of the block cache, part of synapsed_micro_bench:
//   synapsed_micro_bench --benchmark_filter=BM_Cache
// A hit (Lookup + Value + Release) with 1 and 2 threads, and an Insert that
// evicts, for ARC and LRU. Keys are 16 bytes (file id + block offset), charges
// 4 KiB, the default sharding.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "synapsed/cache.h"

namespace synapsed {
namespace {

using CacheFactory = std::shared_ptr<Cache> (*)(size_t capacity, int num_shard_bits);

constexpr size_t kBlockBytes = 4096;

// A block-cache-like key: 8 bytes of id, 8 of offset.
std::vector<std::string> BlockKeys(size_t n) {
  std::vector<std::string> keys;
  keys.reserve(n);
  for (uint64_t i = 0; i < n; i++) {
    std::string k(16, '\0');
    const uint64_t id = 1 + i / 1024;
    const uint64_t offset = (i % 1024) * kBlockBytes;
    for (int b = 0; b < 8; b++) {
      k[b] = static_cast<char>(id >> (8 * b));
      k[8 + b] = static_cast<char>(offset >> (8 * b));
    }
    keys.push_back(std::move(k));
  }
  return keys;
}

void NoopDeleter(std::string_view /*key*/, void* /*value*/) {}

// Shared by the threads of one run: thread 0 sets it up before the timing loop
// and tears it down after; the loop's start and end are barriers.
std::shared_ptr<Cache> g_hit_cache;
std::vector<std::string> g_hit_keys;

// Every key resident (32 MiB of blocks in a 64 MiB cache): each Lookup hits.
void BM_CacheLookupHit(benchmark::State& state, CacheFactory factory) {
  constexpr size_t kKeys = 8192;
  if (state.thread_index() == 0) {
    g_hit_cache = factory(size_t{64} << 20, -1);
    g_hit_keys = BlockKeys(kKeys);
    for (const std::string& k : g_hit_keys) {
      g_hit_cache->Release(g_hit_cache->Insert(k, nullptr, kBlockBytes, NoopDeleter));
    }
  }
  // Threads walk the keys with different strides, so they rarely share a shard.
  size_t i = static_cast<size_t>(state.thread_index()) * 4099;
  const size_t stride = 1 + 2 * static_cast<size_t>(state.thread_index());
  for (auto _ : state) {
    Cache::Handle* h = g_hit_cache->Lookup(g_hit_keys[i % kKeys]);
    benchmark::DoNotOptimize(g_hit_cache->Value(h));
    g_hit_cache->Release(h);
    i += stride;
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    if (g_hit_cache->GetStats().misses != 0) state.SkipWithError("a lookup missed");
    g_hit_cache.reset();
  }
}
BENCHMARK_CAPTURE(BM_CacheLookupHit, arc, &NewARCCache)->Threads(1)->Threads(2);
BENCHMARK_CAPTURE(BM_CacheLookupHit, lru, &NewLRUCache)->Threads(1)->Threads(2);

// Insert + Release of new keys into a full 16 MiB cache: every Insert evicts.
void BM_CacheInsert(benchmark::State& state, CacheFactory factory) {
  constexpr size_t kKeys = 32768;  // 8x the capacity
  std::shared_ptr<Cache> cache = factory(size_t{16} << 20, -1);
  const std::vector<std::string> keys = BlockKeys(kKeys);
  size_t i = 0;
  for (auto _ : state) {
    cache->Release(cache->Insert(keys[i % kKeys], nullptr, kBlockBytes, NoopDeleter));
    i++;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_CacheInsert, arc, &NewARCCache);
BENCHMARK_CAPTURE(BM_CacheInsert, lru, &NewLRUCache);

}  // namespace
}  // namespace synapsed
