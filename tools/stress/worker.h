// The stress worker: opens a database on the real file system, verifies all
// of it against the expected state (verifier.h), then runs threads of random
// operations that keep the expected state exact, checking every read.
//
// Each thread loops over: Put, Delete, DeleteRange, WriteBatch (puts and
// deletes of distinct keys), Get, MultiGet, bounded and unbounded scans in
// both directions, snapshot checks, and now and then Flush or CompactRange.
// Writes follow the protocol of expected_state.h while holding the stripe
// locks of every key they touch, so at most one write per key is in flight
// and, after a kill, each in-flight write is one pending group.
//
// Reads hold the stripe locks of the keys they read, so the expected value
// is exact: a Get, MultiGet or scan must return precisely it. A snapshot is
// taken under the locks of a key range, with the expected values of that
// moment recorded; reads at the snapshot many operations later (other
// threads writing, flushing and compacting meanwhile) must return them.
//
// Any wrong result or failed call is recorded in the expected state's
// failure record (which the kill-loop driver reads) and on stderr; the
// worker then stops and returns 1. The process may be killed at any moment.
#ifndef SYNAPSED_TOOLS_STRESS_WORKER_H_
#define SYNAPSED_TOOLS_STRESS_WORKER_H_

#include <cstdint>
#include <string>

#include "tools/stress/db_config.h"

namespace synapsed::stress {

struct WorkerConfig {
  std::string db;
  std::string expected_state;
  uint32_t max_key = 20000;  // the key space: 0 .. max_key-1
  int threads = 4;
  uint64_t ops_per_thread = 0;  // 0: no limit
  double seconds = 0;           // 0: no limit
  uint64_t seed = 1;
  bool verify_only = false;  // open, verify, close
  DbConfig db_config;
};

// Exit status: 0 when the run ends (by its limits) with no failure, 1 on a
// failure, 2 when the setup is wrong (bad flags, unusable state file).
int RunWorker(const WorkerConfig& config);

}  // namespace synapsed::stress

#endif  // SYNAPSED_TOOLS_STRESS_WORKER_H_
