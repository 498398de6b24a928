#include "cache/cache_shard.h"

#include <algorithm>

namespace synapsed::cache_internal {

CacheShard::~CacheShard() {
  // Destroying table_ frees the resident values; pinned ones would dangle.
  assert(detached_.empty());
}

Cache::Handle* CacheShard::Insert(std::string_view key, uint64_t hash, void* value, size_t charge,
                                  Cache::Deleter deleter) {
  // Allocated before taking the lock, to keep the critical section short.
  auto fresh = std::make_unique<CacheNode>(key, hash, value, charge, deleter);
  CacheNode* node = fresh.get();
  Garbage garbage;  // declared before `lock`: freed after the unlock
  MutexLock lock(&mu_);
  inserts_++;
  auto it = table_.find(TableKey{hash, key});
  const bool replacing = it != table_.end();
  if (replacing) Remove(it, &garbage);
  const Placement placement = PlaceNew(hash, replacing);
  assert(placement.queue < kNumQueues);
  MakeRoom(charge, placement, &garbage);

  node->refs = 1;
  node->queue = placement.queue;
  node->in_cache = true;
  usage_ += charge;
  pinned_bytes_ += charge;
  queue_bytes_[placement.queue] += charge;
  table_.emplace(TableKey{hash, node->key}, std::move(fresh));
  TrimHistory();
  return node;
}

Cache::Handle* CacheShard::Lookup(std::string_view key, uint64_t hash) {
  MutexLock lock(&mu_);
  auto it = table_.find(TableKey{hash, key});
  if (it == table_.end()) {
    misses_++;
    return nullptr;
  }
  hits_++;
  CacheNode* node = it->second.get();
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
    garbage.push_back(std::move(it->second));
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
  auto it = table_.find(TableKey{hash, key});
  if (it != table_.end()) Remove(it, &garbage);
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

CacheShard::Evicted CacheShard::EvictLru(uint8_t queue, Garbage* garbage) {
  CacheNode* victim = queues_[queue].lru();
  const Evicted evicted{victim->hash, victim->charge};
  auto it = table_.find(TableKey{victim->hash, victim->key});
  assert(it != table_.end() && it->second.get() == victim);
  evictions_++;
  Remove(it, garbage);
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

void CacheShard::Remove(Table::iterator it, Garbage* garbage) {
  CacheNode* node = it->second.get();
  usage_ -= node->charge;
  queue_bytes_[node->queue] -= node->charge;
  node->in_cache = false;
  if (node->refs == 0) {
    node->Unlink();
    garbage->push_back(std::move(it->second));
  } else {
    detached_.emplace(node, std::move(it->second));
  }
  // The table's key views the node's key, which is still alive here.
  table_.erase(it);
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
