// HashIndex: an open-addressing table of element pointers keyed by a 64-bit
// hash the caller has already computed. The cache shards keep their resident
// entries in one and ARC keeps its ghosts in another.
//
// Why not std::unordered_map: a lookup there reads the bucket array, then the
// node before the chain, then each chained node (separately allocated, so each
// a likely cache miss after the thread slept on I/O), with a modulo per step.
// Here a lookup reads a run of 16-byte slots (hash, pointer), usually within
// one cache line, and touches an element only when its full hash matches.
//
// Linear probing over a power-of-two array kept at most half full (it doubles
// when an insert would pass that), and backward-shift deletion: there are no
// tombstones, and every run ends at the first empty slot.
//
// Ownership: the index holds pointers only; the caller owns the elements and
// must Erase one before freeing it. Thread safety: none (the cache shard's
// mutex guards it). Distinct elements may share a hash: Find's predicate
// tells them apart.
#ifndef SYNAPSED_CACHE_HASH_INDEX_H_
#define SYNAPSED_CACHE_HASH_INDEX_H_

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace synapsed {
namespace cache_internal {

template <typename T>
class HashIndex {
 public:
  HashIndex() : slots_(kMinSlots) {}
  HashIndex(const HashIndex&) = delete;
  HashIndex& operator=(const HashIndex&) = delete;

  size_t size() const { return size_; }

  // The element stored under `hash` for which match(element) holds, or null.
  template <typename Match>
  T* Find(uint64_t hash, Match match) const {
    for (size_t i = Home(hash);; i = Next(i)) {
      const Slot& slot = slots_[i];
      if (slot.element == nullptr) return nullptr;
      if (slot.hash == hash && match(slot.element)) return slot.element;
    }
  }

  // Starts loading the slot a lookup of hash reads first.
  void Prefetch(uint64_t hash) const { __builtin_prefetch(&slots_[Home(hash)]); }

  // REQUIRES: element is not in the index.
  void Insert(uint64_t hash, T* element) {
    assert(element != nullptr);
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    Place(hash, element);
    size_++;
  }

  // REQUIRES: element is in the index, stored under `hash`.
  void Erase(uint64_t hash, T* element) {
    size_t hole = Home(hash);
    while (slots_[hole].element != element) {
      assert(slots_[hole].element != nullptr);
      hole = Next(hole);
    }
    // Backward shift: a later slot of the run moves into the hole when the
    // hole lies between its home and it, so every element stays reachable
    // from its home without crossing an empty slot.
    for (size_t j = Next(hole); slots_[j].element != nullptr; j = Next(j)) {
      const size_t home = Home(slots_[j].hash);
      if (Distance(home, j) >= Distance(hole, j)) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = Slot{};
    size_--;
  }

  // Calls f(element) for every element, in no particular order. f must not
  // change the index.
  template <typename F>
  void ForEach(F f) const {
    for (const Slot& slot : slots_) {
      if (slot.element != nullptr) f(slot.element);
    }
  }

 private:
  static constexpr size_t kMinSlots = 16;
  struct Slot {
    uint64_t hash = 0;
    T* element = nullptr;  // null: empty
  };

  size_t mask() const { return slots_.size() - 1; }
  size_t Home(uint64_t hash) const { return static_cast<size_t>(hash) & mask(); }
  size_t Next(size_t i) const { return (i + 1) & mask(); }
  // Steps from slot a forward to slot b, wrapping around.
  size_t Distance(size_t a, size_t b) const { return (b - a) & mask(); }

  void Place(uint64_t hash, T* element) {
    size_t i = Home(hash);
    while (slots_[i].element != nullptr) i = Next(i);
    slots_[i] = Slot{hash, element};
  }

  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& slot : old) {
      if (slot.element != nullptr) Place(slot.hash, slot.element);
    }
  }

  std::vector<Slot> slots_;  // size a power of two
  size_t size_ = 0;
};

}  // namespace cache_internal
}  // namespace synapsed

#endif  // SYNAPSED_CACHE_HASH_INDEX_H_
