// The verifier's own test: an oracle that never fails proves nothing. Runs a
// short worker to fill a database, then makes the expected state (or the
// database) wrong in each way a real bug would, and checks that Verify
// reports exactly the wrong ones: a changed value, a lost write, a deleted
// key that is back, a value in flight that is neither the old nor the new,
// a batch and a range delete applied in part, a foreign key and a foreign
// value; and that it accepts the legal outcomes of writes in flight.
//
// Single-threaded. Uses config.db and config.expected_state, which it
// clears first and removes when it passes.
#ifndef SYNAPSED_TOOLS_STRESS_SELF_TEST_H_
#define SYNAPSED_TOOLS_STRESS_SELF_TEST_H_

#include "tools/stress/worker.h"

namespace synapsed::stress {

// 0 if every case came out as expected, 1 otherwise (each mismatch printed).
int RunVerifierSelfTest(const WorkerConfig& config, int* cases);

}  // namespace synapsed::stress

#endif  // SYNAPSED_TOOLS_STRESS_SELF_TEST_H_
