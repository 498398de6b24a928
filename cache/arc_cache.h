// Internal view of the ARC cache's state, for tests and debugging. The public
// entry point is NewARCCache in synapsed/cache.h; the design is in
// docs/design/cache.md.
//
// Thread safety: ArcStateForTest locks each shard in turn, so with concurrent
// callers the sums are not one snapshot.
#ifndef SYNAPSED_CACHE_ARC_CACHE_H_
#define SYNAPSED_CACHE_ARC_CACHE_H_

#include <cstddef>

#include "synapsed/cache.h"

namespace synapsed {

// Byte totals summed over the shards. The sizes of T1/T2 include pinned entries.
struct ArcState {
  size_t target_t1_bytes = 0;  // p, the adaptive target for T1
  size_t t1_bytes = 0;         // resident, referenced once since it came in
  size_t t2_bytes = 0;         // resident, referenced at least twice
  size_t b1_bytes = 0;         // history of entries evicted from T1
  size_t b2_bytes = 0;         // history of entries evicted from T2
  size_t capacity_bytes = 0;
};

// REQUIRES: cache came from NewARCCache.
ArcState ArcStateForTest(Cache* cache);

}  // namespace synapsed

#endif  // SYNAPSED_CACHE_ARC_CACHE_H_
