// The kill loop (issue 7, protocol 2): runs the stress worker (this same
// executable, fork+exec) round after round on one database and one
// expected-state file, each round with freshly drawn options (db_config.h),
// and kills it with SIGKILL after a random delay: usually while its threads
// write, sometimes within the first tens of milliseconds (during open,
// recovery or verification). Every clean_every-th round instead lets the
// worker finish and close. Each worker verifies everything at open, so each
// kill is checked by the next round; a last worker only verifies.
//
// A round fails when the worker recorded a failure in the expected state,
// exits other than by the kill (or, for a clean round, other than with 0),
// or a clean round takes more than a minute past its time (a hang). The loop
// stops at the first failure and prints the loop's seed, the round and its
// option flags; the database and state file are kept for inspection.
//
// Single-threaded; owns the child processes it starts and waits for each.
#ifndef SYNAPSED_TOOLS_STRESS_DRIVER_H_
#define SYNAPSED_TOOLS_STRESS_DRIVER_H_

#include <cstdint>
#include <string>

#include "tools/stress/worker.h"

namespace synapsed::stress {

struct DriverConfig {
  std::string self_path;  // the executable to run as the worker
  WorkerConfig worker;    // db, expected_state, max_key, threads (the rest is drawn)
  int kills = 30;
  int clean_every = 10;        // every Nth round is a clean one; 0: none
  double clean_seconds = 0.5;  // how long a clean round runs
  int kill_delay_ms_min = 300;
  int kill_delay_ms_max = 3000;
  int early_kill_one_in = 6;  // rounds killed within 0..60 ms of the start
  uint64_t seed = 1;
  bool keep_db = false;      // keep the database and state file after success
  int corrupt_at_round = 0;  // self test: after this round's kill, make the
                             // expected state wrong; the next round must fail
};

struct DriverReport {
  uint64_t rounds = 0;
  uint64_t kills = 0;
  uint64_t clean_rounds = 0;
  uint64_t verifications = 0;
  uint64_t keys_checked = 0;
  uint64_t pending_keys = 0;  // keys a write was in flight for at a kill
  uint64_t ops = 0;
  uint64_t failures = 0;
  double seconds = 0;
};

// Runs the loop; 0 if every round passed, 1 otherwise.
int RunKillLoop(const DriverConfig& config, DriverReport* report);

}  // namespace synapsed::stress

#endif  // SYNAPSED_TOOLS_STRESS_DRIVER_H_
