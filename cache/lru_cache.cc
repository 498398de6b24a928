// The LRU policy: one queue, no history. It is the baseline ARC is measured
// against and the cheaper choice when scans do not matter.
#include "cache/cache_shard.h"

namespace synapsed {
namespace cache_internal {
namespace {

class LruShard final : public CacheShard {
 public:
  explicit LruShard(size_t capacity) : CacheShard(capacity) {}

 private:
  static constexpr uint8_t kLru = 0;

  // The entry is re-linked at the MRU end on its last Release: nothing to do.
  void OnHit(CacheNode* /*node*/) REQUIRES(mu_) override {}
  Placement PlaceNew(uint64_t /*hash*/, bool /*replacing*/) REQUIRES(mu_) override {
    return Placement{kLru, false};
  }
  bool EvictOne(const Placement& /*incoming*/, Garbage* garbage) REQUIRES(mu_) override {
    if (!QueueHasUnpinned(kLru)) return false;
    EvictLru(kLru, garbage);
    return true;
  }
};

}  // namespace
}  // namespace cache_internal

std::shared_ptr<Cache> NewLRUCache(size_t capacity_bytes, int num_shard_bits) {
  return std::make_shared<cache_internal::ShardedCache<cache_internal::LruShard>>(capacity_bytes,
                                                                                  num_shard_bits);
}

}  // namespace synapsed
