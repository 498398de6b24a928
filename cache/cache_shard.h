// CacheShard: the mechanism shared by the ARC and LRU caches; ShardedCache: the
// public Cache that hashes keys (Hash64) to 2^bits shards.
//
// A shard owns its resident entries (indexed by hash in table_) and the pinned
// entries that have already left it (detached_). A resident entry sits in one of two queues, which
// the policy names (ARC: T1 and T2; LRU uses only queue 0). Pinned entries are
// unlinked from their queue while pinned, so eviction never sees them and never
// scans past them; Release re-links an entry at its queue's MRU end once the
// last handle goes. queue_bytes_ still counts pinned entries: a policy sizes its
// queues by everything they hold.
//
// The policy supplies four hooks (below), all called with mu_ held. Values are
// freed outside mu_: nodes to free collect in a Garbage list declared before
// the MutexLock, so they are destroyed after the lock is released.
//
// Thread safety: one Mutex per shard guards all of its state. A shard's mutex is
// a leaf lock: no other lock is taken while it is held, and no deleter runs
// under it.
#ifndef SYNAPSED_CACHE_CACHE_SHARD_H_
#define SYNAPSED_CACHE_CACHE_SHARD_H_

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cache/hash_index.h"
#include "synapsed/cache.h"
#include "util/hash.h"
#include "util/mutex.h"

namespace synapsed {

// The handle type is a node; other modules only ever see it as incomplete.
struct Cache::Handle {};

namespace cache_internal {

// Links of an intrusive, circular, doubly-linked list with a sentinel.
struct ListLinks {
  ListLinks() = default;
  // Elements are linked by address: never copied or moved.
  ListLinks(const ListLinks&) = delete;
  ListLinks& operator=(const ListLinks&) = delete;

  ListLinks* prev = this;
  ListLinks* next = this;

  bool linked() const { return next != this; }
  void Unlink() {
    prev->next = next;
    next->prev = prev;
    prev = next = this;
  }
};

// A list of T (which derives from ListLinks) from LRU (front) to MRU (back).
// Does not own its elements.
template <typename T>
class IntrusiveList {
 public:
  IntrusiveList() = default;
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;

  bool empty() const { return !head_.linked(); }
  // REQUIRES: !empty().
  T* lru() { return static_cast<T*>(head_.next); }
  // The least recently used element, or null when empty.
  T* lru_or_null() { return empty() ? nullptr : lru(); }
  // REQUIRES: e is in no list.
  void PushMru(T* e) {
    ListLinks* links = e;
    links->prev = head_.prev;
    links->next = &head_;
    head_.prev->next = links;
    head_.prev = links;
  }

 private:
  ListLinks head_;
};

// A cached entry. The key, value and charge never change, so Value() and
// Release() read them without the shard lock.
struct CacheNode : Cache::Handle, ListLinks {
  CacheNode(std::string_view k, uint64_t h, void* v, size_t c, Cache::Deleter d)
      : key(k), hash(h), value(v), charge(c), deleter(d) {}
  CacheNode(const CacheNode&) = delete;
  CacheNode& operator=(const CacheNode&) = delete;
  // The one place a value is freed: a node is destroyed exactly once.
  ~CacheNode() {
    if (deleter != nullptr) deleter(key, value);
  }

  const std::string key;
  const uint64_t hash;  // Hash64(key): picks the shard, keys the tables
  void* const value;
  const size_t charge;
  const Cache::Deleter deleter;
  // Guarded by the shard's mutex (not annotated: the node does not know it).
  uint32_t refs = 0;      // outstanding handles
  uint8_t queue = 0;      // the policy's queue, while in the cache
  bool in_cache = false;  // in table_ (false: detached or not yet inserted)
};

// Nodes taken out of a shard, freed (values and all) when the Garbage goes
// out of scope: declared before a MutexLock, that is after the unlock. The
// nodes are chained through their own (free) list links, so collecting them
// allocates nothing.
class Garbage {
 public:
  Garbage() = default;
  Garbage(const Garbage&) = delete;
  Garbage& operator=(const Garbage&) = delete;
  ~Garbage() {
    while (!nodes_.empty()) {
      CacheNode* node = nodes_.lru();
      node->Unlink();
      delete node;
    }
  }
  // REQUIRES: node is in no list and no longer reachable from any shard.
  void Add(CacheNode* node) { nodes_.PushMru(node); }

 private:
  IntrusiveList<CacheNode> nodes_;
};

class CacheShard {
 public:
  explicit CacheShard(size_t capacity) : capacity_(capacity) {}
  CacheShard(const CacheShard&) = delete;
  CacheShard& operator=(const CacheShard&) = delete;
  // Frees every value. REQUIRES: no handle is outstanding.
  virtual ~CacheShard();

  // REQUIRES: hash == Hash64(key), as for every key-taking method below.
  Cache::Handle* Insert(std::string_view key, uint64_t hash, void* value, size_t charge,
                        Cache::Deleter deleter) EXCLUDES(mu_);
  Cache::Handle* Lookup(std::string_view key, uint64_t hash) EXCLUDES(mu_);
  void Release(CacheNode* node) EXCLUDES(mu_);
  void Erase(std::string_view key, uint64_t hash) EXCLUDES(mu_);
  // Adds this shard's counters to *stats.
  void AddStats(Cache::Stats* stats) EXCLUDES(mu_);

 protected:
  static constexpr int kNumQueues = 2;
  struct Placement {
    uint8_t queue = 0;
    // ARC's tie-break: the key came back from the T2 history list (B2).
    bool from_frequent_history = false;
  };
  // What EvictLru pushed out, for a policy that remembers it.
  struct Evicted {
    uint64_t hash;
    size_t charge;
  };

  // ---- policy hooks (mu_ held) ----
  // A Lookup found `node` (now pinned, so unlinked): the policy may move it to
  // another queue with MoveToQueue; it is re-linked at that queue's MRU end on
  // its last Release.
  virtual void OnHit(CacheNode* node) REQUIRES(mu_) = 0;
  // Insert is about to add an entry for `hash`; `replacing` says a resident
  // entry for the key was just removed. Picks the new entry's queue.
  virtual Placement PlaceNew(uint64_t hash, bool replacing) REQUIRES(mu_) = 0;
  // Evicts one unpinned entry (with EvictLru), or returns false if none is left.
  virtual bool EvictOne(const Placement& incoming, Garbage* garbage) REQUIRES(mu_) = 0;
  // Runs at the end of Insert and of a Release that re-linked its entry (it may
  // have evicted): ARC trims its history here.
  virtual void TrimHistory() REQUIRES(mu_) {}
  // Runs at the end of Erase, whether or not the key was resident.
  virtual void AfterErase(uint64_t /*hash*/) REQUIRES(mu_) {}
  // The policy's part of PrefetchForInsert: the history it will consult
  // and trim when `hash` is inserted.
  virtual void PrefetchHistory(uint64_t /*hash*/, bool /*follow*/) REQUIRES(mu_) {}

  // ---- helpers for the policies (mu_ held) ----
  // Starts loading what inserting `hash` will touch. A miss announces an
  // insert: the reader fetches the block and inserts it tens of
  // microseconds later, and by then the entries eviction takes are cold,
  // each costing a chain of dependent cache misses (the entry, its
  // neighbour in the queue, its hash slot, its value). On a miss
  // (follow = false) the least recently used entries load while the reader
  // waits on the device; at the start of Insert (follow = true) what they
  // point to loads in parallel, instead of one miss after another.
  void PrefetchForInsert(uint64_t hash, bool follow) REQUIRES(mu_);
  // Evicts the LRU entry of `queue`. REQUIRES: that queue is not empty.
  Evicted EvictLru(uint8_t queue, Garbage* garbage) REQUIRES(mu_);
  // REQUIRES: node is resident and pinned (so in no list).
  void MoveToQueue(CacheNode* node, uint8_t queue) REQUIRES(mu_);
  bool QueueHasUnpinned(uint8_t queue) const REQUIRES(mu_) { return !queues_[queue].empty(); }
  // The entry EvictLru(queue) would take, or null.
  CacheNode* LruOf(uint8_t queue) REQUIRES(mu_) { return queues_[queue].lru_or_null(); }
  size_t queue_bytes(uint8_t queue) const REQUIRES(mu_) { return queue_bytes_[queue]; }
  size_t usage() const REQUIRES(mu_) { return usage_; }
  size_t capacity() const { return capacity_; }

  Mutex mu_;

 private:
  // The resident entry for key, or null. The hash already computed for the
  // shard keys the index, so a key is never hashed twice.
  CacheNode* FindResident(std::string_view key, uint64_t hash) const REQUIRES(mu_) {
    return table_.Find(hash, [key](const CacheNode* node) { return node->key == key; });
  }
  // usage_ + charge <= capacity_, without overflow.
  bool Fits(size_t charge) const REQUIRES(mu_) {
    return usage_ <= capacity_ && charge <= capacity_ - usage_;
  }
  void MakeRoom(size_t charge, const Placement& incoming, Garbage* garbage) REQUIRES(mu_);
  // Takes a resident entry out of the cache: to *garbage if unpinned, else to
  // detached_ until its last Release.
  void Remove(CacheNode* node, Garbage* garbage) REQUIRES(mu_);

  const size_t capacity_;
  // The resident entries, which the shard owns through this index.
  HashIndex<CacheNode> table_ GUARDED_BY(mu_);
  // Pinned entries already erased or replaced: kept alive for their handles,
  // freed by the last Release.
  std::unordered_map<const CacheNode*, std::unique_ptr<CacheNode>> detached_ GUARDED_BY(mu_);
  IntrusiveList<CacheNode> queues_[kNumQueues] GUARDED_BY(mu_);  // unpinned only
  size_t queue_bytes_[kNumQueues] GUARDED_BY(mu_) = {};          // pinned too
  size_t usage_ GUARDED_BY(mu_) = 0;
  size_t pinned_bytes_ GUARDED_BY(mu_) = 0;
  uint64_t hits_ GUARDED_BY(mu_) = 0;
  uint64_t misses_ GUARDED_BY(mu_) = 0;
  uint64_t inserts_ GUARDED_BY(mu_) = 0;
  uint64_t evictions_ GUARDED_BY(mu_) = 0;
};

// Shard bits for a cache of `capacity` when the caller passed `requested`.
int ShardBitsFor(size_t capacity, int requested);

// The public Cache over 2^shard_bits shards of type Shard (a CacheShard with a
// (size_t capacity) constructor). The capacity is split exactly: the shard
// capacities add up to the total.
template <typename Shard>
class ShardedCache final : public Cache {
 public:
  ShardedCache(size_t capacity, int num_shard_bits)
      : capacity_(capacity), shard_bits_(ShardBitsFor(capacity, num_shard_bits)) {
    const size_t n = size_t{1} << shard_bits_;
    shards_.reserve(n);
    for (size_t i = 0; i < n; i++) {
      shards_.push_back(std::make_unique<Shard>(capacity / n + (i < capacity % n ? 1 : 0)));
    }
  }

  Handle* Insert(std::string_view key, void* value, size_t charge, Deleter deleter) override {
    const uint64_t hash = Hash64(key);
    return ShardFor(hash)->Insert(key, hash, value, charge, deleter);
  }
  Handle* Lookup(std::string_view key) override {
    const uint64_t hash = Hash64(key);
    return ShardFor(hash)->Lookup(key, hash);
  }
  void Release(Handle* handle) override {
    auto* node = static_cast<CacheNode*>(handle);
    ShardFor(node->hash)->Release(node);
  }
  void* Value(Handle* handle) override { return static_cast<CacheNode*>(handle)->value; }
  void Erase(std::string_view key) override {
    const uint64_t hash = Hash64(key);
    ShardFor(hash)->Erase(key, hash);
  }
  uint64_t NewId() override { return next_id_.fetch_add(1, std::memory_order_relaxed); }
  size_t capacity() const override { return capacity_; }
  Stats GetStats() const override {
    Stats stats;
    for (const auto& shard : shards_) shard->AddStats(&stats);
    return stats;
  }

  size_t num_shards() const { return shards_.size(); }
  Shard* shard(size_t i) const { return shards_[i].get(); }

 private:
  // The top bits pick the shard; the tables inside a shard use all of them.
  Shard* ShardFor(uint64_t hash) const {
    return shards_[shard_bits_ == 0 ? 0 : hash >> (64 - shard_bits_)].get();
  }

  const size_t capacity_;
  const int shard_bits_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<uint64_t> next_id_{1};
};

}  // namespace cache_internal
}  // namespace synapsed

#endif  // SYNAPSED_CACHE_CACHE_SHARD_H_
