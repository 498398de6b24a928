// Cache: a sharded, byte-weighted cache of opaque values, used for data blocks.
//
// Ownership. The cache owns a copy of every key and, once inserted, the value:
// it calls the entry's deleter exactly once, after the entry has left the cache
// (evicted, erased, replaced or the cache destroyed) AND every handle to it has
// been released. Deleters run outside the cache's locks, so a deleter may call
// back into the cache. A null deleter means there is nothing to free.
//
// Pinning. Insert and a successful Lookup return a pinned handle. While pinned,
// an entry is never evicted and its value never freed; Value(handle) stays
// valid until Release(handle). Each handle is released exactly once. Capacity
// is a target, not a hard limit: when pinned entries alone fill it, Insert still
// succeeds and the cache runs over capacity until they are released (it shrinks
// back then). When nothing is pinned, usage <= capacity after every call.
//
// Thread safety. Every method may be called from any thread concurrently. Keys
// are hashed to shards, each with its own mutex, so unrelated keys rarely
// contend. GetStats sums the shards one at a time: each counter is exact, but
// the counters are not one atomic snapshot while other threads run.
//
// Lifetime. REQUIRES: every handle is released before the cache is destroyed.
#ifndef SYNAPSED_INCLUDE_CACHE_H_
#define SYNAPSED_INCLUDE_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace synapsed {

class Cache {
 public:
  // Opaque: a pinned entry.
  struct Handle;
  using Deleter = void (*)(std::string_view key, void* value);

  Cache() = default;
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;
  virtual ~Cache() = default;

  // Inserts key -> value, charged `charge` bytes against the capacity, replacing
  // any entry for key (the old value is freed once its handles are released).
  // Returns a pinned handle to the new entry; the caller must Release it.
  virtual Handle* Insert(std::string_view key, void* value, size_t charge, Deleter deleter) = 0;
  // A pinned handle to key's entry, or nullptr on a miss.
  virtual Handle* Lookup(std::string_view key) = 0;
  // REQUIRES: handle came from this cache and is not yet released.
  virtual void Release(Handle* handle) = 0;
  // REQUIRES: handle is pinned (not yet released).
  virtual void* Value(Handle* handle) = 0;
  // Removes key's entry, if any; it is freed once its handles are released.
  virtual void Erase(std::string_view key) = 0;
  // A new id (never 0), for callers that partition the key space, e.g. one id
  // per table reader used as a key prefix.
  virtual uint64_t NewId() = 0;
  // Total capacity in bytes, as passed to the factory.
  virtual size_t capacity() const = 0;

  struct Stats {
    uint64_t hits = 0;          // Lookups that found the key
    uint64_t misses = 0;        // Lookups that did not
    uint64_t inserts = 0;       // Insert calls
    uint64_t evictions = 0;     // entries pushed out to make room
    uint64_t usage_bytes = 0;   // charges of the entries in the cache
    uint64_t pinned_bytes = 0;  // charges of pinned entries, incl. erased ones
    uint64_t entries = 0;       // entries in the cache
  };
  virtual Stats GetStats() const = 0;
};

// An ARC cache (adaptive replacement: Megiddo & Modha, FAST 2003) of
// `capacity_bytes`, split over 2^num_shard_bits shards. A one-time scan does
// not flush entries that are used repeatedly. num_shard_bits < 0 picks enough
// shards that each holds >= 512 KiB, at most 64; values above 16 mean 16.
std::shared_ptr<Cache> NewARCCache(size_t capacity_bytes, int num_shard_bits = -1);

// A plain LRU cache with the same contract: slightly cheaper per operation and
// no history, but a scan larger than the cache flushes it.
std::shared_ptr<Cache> NewLRUCache(size_t capacity_bytes, int num_shard_bits = -1);

}  // namespace synapsed

#endif  // SYNAPSED_INCLUDE_CACHE_H_
