// Verify: the whole database against the expected state, as the stress
// worker does after every (re)open, before it writes anything.
//
// The oracle, per key k of the key space:
//   - no pending mark: the database holds exactly the expected value id
//     (or nothing, for kAbsent): an acknowledged write is never lost and a
//     deleted key never reappears;
//   - a pending mark (a write in flight when the last process was killed):
//     the old value or the pending one, nothing else;
//   - every pending write that touched several keys (a WriteBatch, a
//     DeleteRange: one group id) took effect on all of them or on none.
// Besides: every key the database holds is in the key space, every value is
// one the tool wrote for that key, the iterator agrees forwards and
// backwards, and sampled Get and MultiGet calls agree with the scan.
//
// With resolve set and nothing wrong, each pending mark is replaced by what
// was found, so the state is exact again before new writes start.
//
// REQUIRES: no other thread writes the database or the state meanwhile.
#ifndef SYNAPSED_TOOLS_STRESS_VERIFIER_H_
#define SYNAPSED_TOOLS_STRESS_VERIFIER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "synapsed/db.h"
#include "tools/stress/expected_state.h"

namespace synapsed::stress {

struct VerifyResult {
  uint64_t keys_checked = 0;
  uint64_t pending_keys = 0;
  uint64_t failures = 0;
  std::vector<std::string> messages;  // the first few failures
};

void Verify(DB* db, ExpectedState* state, uint64_t seed, bool resolve, VerifyResult* result);

}  // namespace synapsed::stress

#endif  // SYNAPSED_TOOLS_STRESS_VERIFIER_H_
