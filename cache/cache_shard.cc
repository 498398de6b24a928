#include "cache/cache_shard.h"

#include <algorithm>

namespace synapsed::cache_internal {

CacheShard::~CacheShard() {
  // Frees the resident values; pinned ones would dangle.
  assert(detached_.empty());
  table_.ForEach([](CacheNode* node) { delete node; });
}

Cache::Handle* CacheShard::Insert(std::string_view key, uint64_t hash, void* value, size_t charge,
                                  Cache::Deleter deleter) {
  // Allocated before taking the lock, to keep the critical section short.
  auto fresh = std::make_unique<CacheNode>(key, hash, value, charge, deleter);
  CacheNode* node = fresh.get();
  Garbage garbage;  // declared before `lock`: freed after the unlock
  MutexLock lock(&mu_);
  inserts_++;
  PrefetchForInsert(hash, /*follow=*/true);
  CacheNode* old = FindResident(key, hash);
  const bool replacing = old != nullptr;
  if (replacing) Remove(old, &garbage);
  const Placement placement = PlaceNew(hash, replacing);
  assert(placement.queue < kNumQueues);
  MakeRoom(charge, placement, &garbage);

  node->refs = 1;
  node->queue = placement.queue;
  node->in_cache = true;
  usage_ += charge;
  pinned_bytes_ += charge;
  queue_bytes_[placement.queue] += charge;
  table_.Insert(hash, fresh.release());
  TrimHistory();
  return node;
}

Cache::Handle* CacheShard::Lookup(std::string_view key, uint64_t hash) {
  MutexLock lock(&mu_);
  CacheNode* node = FindResident(key, hash);
  if (node == nullptr) {
    misses_++;
    PrefetchForInsert(hash, /*follow=*/false);
    return nullptr;
  }
  hits_++;
  if (node->refs++ == 0) {
    node->Unlink();  // pinned entries stay out of the eviction queues
    pinned_bytes_ += node->charge;
  }
  OnHit(node);
  return node;
}

void CacheShard::Release(CacheNode* node) {
  Garbage garbage;  // declared before `lock`: freed after the unlock
  MutexLock lock(&mu_);
  assert(node->refs > 0);
  if (--node->refs > 0) return;
  pinned_bytes_ -= node->charge;
  if (!node->in_cache) {
    auto it = detached_.find(node);
    assert(it != detached_.end());
    garbage.Add(it->second.release());
    detached_.erase(it);
    return;
  }
  queues_[node->queue].PushMru(node);
  // Inserts made while this entry was pinned may have left the shard over
  // capacity; now that it can be evicted, shrink back.
  MakeRoom(0, Placement{}, &garbage);
  TrimHistory();
}

void CacheShard::Erase(std::string_view key, uint64_t hash) {
  Garbage garbage;  // declared before `lock`: freed after the unlock
  MutexLock lock(&mu_);
  if (CacheNode* node = FindResident(key, hash)) Remove(node, &garbage);
  AfterErase(hash);
}

void CacheShard::AddStats(Cache::Stats* stats) {
  MutexLock lock(&mu_);
  stats->hits += hits_;
  stats->misses += misses_;
  stats->inserts += inserts_;
  stats->evictions += evictions_;
  stats->usage_bytes += usage_;
  stats->pinned_bytes += pinned_bytes_;
  stats->entries += table_.size();
}

void CacheShard::PrefetchForInsert(uint64_t hash, bool follow) {
  for (IntrusiveList<CacheNode>& queue : queues_) {
    const CacheNode* lru = queue.lru_or_null();
    if (lru == nullptr) continue;
    if (!follow) {
      // A node spans two cache lines: the links, then hash, value, charge.
      __builtin_prefetch(lru);
      __builtin_prefetch(reinterpret_cast<const char*>(lru) + 64);
      continue;
    }
    __builtin_prefetch(lru->next);   // Unlink writes its prev
    __builtin_prefetch(lru->value);  // the deleter reads it
    table_.Prefetch(lru->hash);      // Remove erases it
  }
  PrefetchHistory(hash, follow);
}

CacheShard::Evicted CacheShard::EvictLru(uint8_t queue, Garbage* garbage) {
  CacheNode* victim = queues_[queue].lru();
  const Evicted evicted{victim->hash, victim->charge};
  evictions_++;
  Remove(victim, garbage);
  return evicted;
}

void CacheShard::MoveToQueue(CacheNode* node, uint8_t queue) {
  assert(node->in_cache && node->refs > 0 && queue < kNumQueues);
  queue_bytes_[node->queue] -= node->charge;
  queue_bytes_[queue] += node->charge;
  node->queue = queue;
}

void CacheShard::MakeRoom(size_t charge, const Placement& incoming, Garbage* garbage) {
  // When only pinned entries are left, EvictOne gives up and the shard stays
  // over capacity until they are released.
  while (!Fits(charge) && EvictOne(incoming, garbage)) {
  }
}

void CacheShard::Remove(CacheNode* node, Garbage* garbage) {
  assert(node->in_cache);
  table_.Erase(node->hash, node);
  usage_ -= node->charge;
  queue_bytes_[node->queue] -= node->charge;
  node->in_cache = false;
  if (node->refs == 0) {
    node->Unlink();
    garbage->Add(node);
  } else {
    detached_.emplace(node, std::unique_ptr<CacheNode>(node));
  }
}

int ShardBitsFor(size_t capacity, int requested) {
  constexpr int kMaxShardBits = 16;
  constexpr int kMaxDefaultShardBits = 6;  // 64 shards
  constexpr size_t kMinDefaultShardBytes = size_t{512} << 10;
  if (requested >= 0) return std::min(requested, kMaxShardBits);
  int bits = 0;
  while (bits < kMaxDefaultShardBits && (capacity >> (bits + 1)) >= kMinDefaultShardBytes) bits++;
  return bits;
}

}  // namespace synapsed::cache_internal
