// The ARC policy (Megiddo & Modha, "ARC: A Self-Tuning, Low Overhead
// Replacement Cache", FAST 2003), weighted by bytes. Per shard:
//
//   T1  resident entries referenced once since they came in   (queue kT1)
//   T2  resident entries referenced at least twice            (queue kT2)
//   B1  history: (hash, charge) of entries evicted from T1
//   B2  history: (hash, charge) of entries evicted from T2
//   p   target size of T1 in bytes, in [0, capacity]
//
// A hit on a ghost says which side was evicted too early: a B1 hit grows p,
// a B2 hit shrinks it, so the split follows the workload. A scan only ever
// reaches T1, and T1 is what REPLACE evicts while it is above p, so a scan
// cannot flush T2's frequently used entries.
//
// Ghosts are keyed by the key's 64-bit hash, not a key copy: eviction then
// neither copies a key nor compares one, and a collision (odds ~2^-64 per
// pair) could only mis-steer p, never return a wrong value.
//
// Bounds kept after every Insert and Release (the paper's, in bytes):
// |T1| + |B1| <= c and |T1| + |T2| + |B1| + |B2| <= 2c, trimming ghosts from
// their LRU ends. While pinned entries hold the shard over capacity the
// history shrinks, to nothing if need be; the bounds hold again once they go.
#include "cache/arc_cache.h"

#include <algorithm>
#include <cassert>

#include "cache/cache_shard.h"

namespace synapsed {
namespace cache_internal {
namespace {

class ArcShard final : public CacheShard {
 public:
  explicit ArcShard(size_t capacity) : CacheShard(capacity) {}
  ~ArcShard() override {
    ghosts_.ForEach([](Ghost* ghost) { delete ghost; });
  }

  void AddState(ArcState* state) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    state->target_t1_bytes += target_t1_bytes_;
    state->t1_bytes += queue_bytes(kT1);
    state->t2_bytes += queue_bytes(kT2);
    state->b1_bytes += history_bytes_[kB1];
    state->b2_bytes += history_bytes_[kB2];
    state->capacity_bytes += capacity();
  }

 private:
  static constexpr uint8_t kT1 = 0;
  static constexpr uint8_t kT2 = 1;
  static constexpr uint8_t kB1 = 0;
  static constexpr uint8_t kB2 = 1;

  struct Ghost : ListLinks {
    Ghost(uint64_t h, size_t c, uint8_t l) : hash(h), charge(c), list(l) {}
    const uint64_t hash;
    const size_t charge;
    const uint8_t list;  // kB1 or kB2
  };

  void OnHit(CacheNode* node) REQUIRES(mu_) override {
    if (node->queue == kT1) MoveToQueue(node, kT2);
  }
  Placement PlaceNew(uint64_t hash, bool replacing) REQUIRES(mu_) override;
  bool EvictOne(const Placement& incoming, Garbage* garbage) REQUIRES(mu_) override;
  void TrimHistory() REQUIRES(mu_) override;
  // An erased key starts over: its history must not steer p when it returns.
  void AfterErase(uint64_t hash) REQUIRES(mu_) override {
    if (Ghost* ghost = FindGhost(hash)) DropGhost(ghost);
  }

  // PlaceNew looks hash up among the ghosts; an eviction adds its victim's
  // ghost; TrimHistory drops the oldest ghosts.
  void PrefetchHistory(uint64_t hash, bool follow) REQUIRES(mu_) override {
    if (!follow) {
      ghosts_.Prefetch(hash);
      for (IntrusiveList<Ghost>& list : history_) {
        if (const Ghost* lru = list.lru_or_null()) __builtin_prefetch(lru);
      }
      return;
    }
    for (IntrusiveList<Ghost>& list : history_) {
      if (const Ghost* lru = list.lru_or_null()) {
        __builtin_prefetch(lru->next);
        ghosts_.Prefetch(lru->hash);
      }
    }
    for (uint8_t queue : {kT1, kT2}) {
      if (const CacheNode* victim = LruOf(queue)) ghosts_.Prefetch(victim->hash);
    }
  }

  void Adapt(const Ghost& ghost) REQUIRES(mu_);
  Ghost* FindGhost(uint64_t hash) const REQUIRES(mu_) {
    return ghosts_.Find(hash, [](const Ghost*) { return true; });  // one per hash
  }
  void AddGhost(uint64_t hash, size_t charge, uint8_t list) REQUIRES(mu_);
  void DropGhost(Ghost* ghost) REQUIRES(mu_);
  void DropGhostLru(uint8_t list) REQUIRES(mu_) { DropGhost(history_[list].lru()); }

  // |T1| + |T2| + |B1| + |B2|
  size_t total_bytes() const REQUIRES(mu_) {
    return usage() + history_bytes_[kB1] + history_bytes_[kB2];
  }

  size_t target_t1_bytes_ GUARDED_BY(mu_) = 0;  // p
  // The ghosts of B1 and B2, owned through this index, at most one per hash;
  // each is linked in place into its history list.
  HashIndex<Ghost> ghosts_ GUARDED_BY(mu_);
  IntrusiveList<Ghost> history_[2] GUARDED_BY(mu_);
  size_t history_bytes_[2] GUARDED_BY(mu_) = {};
};

CacheShard::Placement ArcShard::PlaceNew(uint64_t hash, bool replacing) {
  Ghost* ghost = FindGhost(hash);
  if (ghost == nullptr) {
    // A resident key inserted again was referenced again: it is frequent.
    return Placement{replacing ? kT2 : kT1, false};
  }
  const bool frequent_history = ghost->list == kB2;
  Adapt(*ghost);
  DropGhost(ghost);
  return Placement{kT2, frequent_history};
}

// The paper moves p by 1 per ghost hit, or by |B2|/|B1| (resp. |B1|/|B2|) when
// the hit list is the smaller one: a hit in a short history is the stronger
// signal. In bytes the unit is the ghost's charge: missing a 64 KiB block says
// T1 was short by 64 KiB, not by one entry.
void ArcShard::Adapt(const Ghost& ghost) {
  const size_t hit_bytes = history_bytes_[ghost.list];  // >= ghost.charge
  const size_t other_bytes = history_bytes_[ghost.list == kB1 ? kB2 : kB1];
  size_t delta = ghost.charge;
  if (other_bytes > hit_bytes && hit_bytes > 0) {
    // At most other_bytes, since hit_bytes >= ghost.charge: cannot overflow.
    const double ratio = static_cast<double>(other_bytes) / static_cast<double>(hit_bytes);
    delta = static_cast<size_t>(static_cast<double>(ghost.charge) * ratio);
  }
  if (ghost.list == kB1) {
    target_t1_bytes_ += std::min(delta, capacity() - target_t1_bytes_);
  } else {
    target_t1_bytes_ -= std::min(delta, target_t1_bytes_);
  }
}

// The paper's REPLACE: T1 gives way when it is above its target p, or exactly
// at it and the incoming key came from B2 (T2's history proved right), or when
// T2 has nothing unpinned to give; otherwise T2 does. Victims become ghosts.
bool ArcShard::EvictOne(const Placement& incoming, Garbage* garbage) {
  const bool t1_has = QueueHasUnpinned(kT1);
  const bool t2_has = QueueHasUnpinned(kT2);
  if (!t1_has && !t2_has) return false;
  const size_t t1 = queue_bytes(kT1);
  const size_t p = target_t1_bytes_;
  const bool from_t1 = t1_has && (!t2_has || t1 > p || (t1 == p && incoming.from_frequent_history));
  const Evicted evicted = EvictLru(from_t1 ? kT1 : kT2, garbage);
  AddGhost(evicted.hash, evicted.charge, from_t1 ? kB1 : kB2);
  return true;
}

void ArcShard::TrimHistory() {
  const size_t c = capacity();
  while (queue_bytes(kT1) + history_bytes_[kB1] > c && !history_[kB1].empty()) {
    DropGhostLru(kB1);
  }
  // B2 first, as in the paper; B1 only when pinned entries overfill T1 + T2.
  while (total_bytes() > c && total_bytes() - c > c) {
    if (!history_[kB2].empty()) {
      DropGhostLru(kB2);
    } else if (!history_[kB1].empty()) {
      DropGhostLru(kB1);
    } else {
      break;
    }
  }
}

void ArcShard::AddGhost(uint64_t hash, size_t charge, uint8_t list) {
  // A resident key has no ghost, so this only triggers on a hash collision.
  if (Ghost* old = FindGhost(hash)) DropGhost(old);
  auto* ghost = new Ghost(hash, charge, list);
  ghosts_.Insert(hash, ghost);
  history_[list].PushMru(ghost);
  history_bytes_[list] += charge;
}

void ArcShard::DropGhost(Ghost* ghost) {
  ghost->Unlink();
  history_bytes_[ghost->list] -= ghost->charge;
  ghosts_.Erase(ghost->hash, ghost);
  delete ghost;
}

}  // namespace
}  // namespace cache_internal

std::shared_ptr<Cache> NewARCCache(size_t capacity_bytes, int num_shard_bits) {
  return std::make_shared<cache_internal::ShardedCache<cache_internal::ArcShard>>(capacity_bytes,
                                                                                  num_shard_bits);
}

ArcState ArcStateForTest(Cache* cache) {
  auto* arc = dynamic_cast<cache_internal::ShardedCache<cache_internal::ArcShard>*>(cache);
  assert(arc != nullptr);
  ArcState state;
  for (size_t i = 0; i < arc->num_shards(); i++) arc->shard(i)->AddState(&state);
  return state;
}

}  // namespace synapsed
