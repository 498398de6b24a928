// ExpectedState: what the stress tool's database must hold, in a file mapped
// MAP_SHARED outside the database directory, so it survives a SIGKILL of the
// process that writes it (its pages are the kernel's, like the WAL's bytes).
//
// The key space is fixed: keys 0 .. num_keys-1, spelled KeyString(i) (fixed
// width, so bytewise order is numeric order). Each key has a slot:
//   value          the value id the database must hold; kAbsent if none.
//   pending_value  the value id (or kAbsent) of a write in flight;
//   pending_group  0, or the id of that write: every key one WriteBatch or
//                  DeleteRange touches carries the same group, so a verifier
//                  can check the write took effect on all of them or none.
// Value ids come from one counter in the file, so an id is never reused, and
// a value's bytes are a function of (key, id) (ValueString), so a verifier
// recognizes every value the tool ever wrote and nothing else.
//
// Protocol of one write (the writer holds the key's stripe lock throughout):
//   1. MarkPending (pending_value, then pending_group).
//   2. the database write.
//   3. on success: SetValue, then ClearPending.
// A kill between any two stores leaves a state the verifier accepts exactly
// when the database is right: before step 2 the old value is the only
// acceptable one unless pending is marked; after step 3's SetValue both
// accepted values are the new one, which was acknowledged.
//
// Thread safety: slot and header fields are read and written through
// std::atomic_ref, so threads of one process (and a verifier in another
// process once the writer is dead) see whole values. Mutual exclusion per key
// is the caller's: LockStripes. The header's counters are shared statistics
// (verifications, keys checked, operations) and the failure record, which the
// kill-loop driver reads after each round.
#ifndef SYNAPSED_TOOLS_STRESS_EXPECTED_STATE_H_
#define SYNAPSED_TOOLS_STRESS_EXPECTED_STATE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "synapsed/status.h"

namespace synapsed::stress {

inline constexpr uint64_t kAbsent = 0;

// "k" + 8 decimal digits.
std::string KeyString(uint32_t key);
// Parses KeyString; false for anything else.
bool ParseKey(std::string_view s, uint32_t* key);
// 16 hex digits of id, ':', then filler derived from (key, id): usually
// 0..300 bytes, one value in 64 several KiB, so records span WAL blocks and
// table blocks. REQUIRES: id != kAbsent.
std::string ValueString(uint32_t key, uint64_t id);
// The id of a value ValueString(key, id) wrote; false if value is not
// exactly such a value for this key.
bool ParseValue(uint32_t key, std::string_view value, uint64_t* id);

class ExpectedState {
 public:
  struct Slot {
    uint64_t value;
    uint64_t pending_value;
    uint64_t pending_group;
    uint64_t reserved;
  };
  // What a verifier sees of one key.
  struct KeyView {
    uint64_t value;
    bool pending;
    uint64_t pending_value;
    uint64_t pending_group;
  };

  // Maps the file at path, creating it (every key absent) if it is missing
  // or empty. InvalidArgument if it exists for another number of keys.
  static Status Open(const std::string& path, uint32_t num_keys,
                     std::unique_ptr<ExpectedState>* state);
  ~ExpectedState();
  ExpectedState(const ExpectedState&) = delete;
  ExpectedState& operator=(const ExpectedState&) = delete;

  uint32_t num_keys() const { return num_keys_; }

  // A value id no key has held or will be given by another call.
  uint64_t NewValueId();
  uint64_t NewGroupId();

  KeyView View(uint32_t key) const;
  void MarkPending(uint32_t key, uint64_t new_value, uint64_t group);
  void SetValue(uint32_t key, uint64_t value);
  void ClearPending(uint32_t key);

  // Locks the stripes of keys (any order, duplicates allowed) in stripe
  // order, so callers never deadlock; unlocked when the guard is destroyed.
  class StripeGuard {
   public:
    StripeGuard(ExpectedState* state, std::vector<uint32_t> keys);
    ~StripeGuard();
    StripeGuard(const StripeGuard&) = delete;
    StripeGuard& operator=(const StripeGuard&) = delete;

   private:
    ExpectedState* state_;
    std::vector<uint32_t> stripes_;
  };

  // Shared counters (see the file comment).
  void AddVerification(uint64_t keys_checked, uint64_t pending_keys);
  void AddOps(uint64_t n);
  // Records a failure; the first message is kept for the driver.
  void RecordFailure(std::string_view message);
  uint64_t verifications() const;
  uint64_t keys_checked() const;
  uint64_t pending_keys_checked() const;
  uint64_t ops() const;
  uint64_t failures() const;
  std::string first_failure() const;

 private:
  struct Header;
  static constexpr size_t kStripes = 1024;

  ExpectedState(void* base, size_t size, uint32_t num_keys);
  Slot& slot(uint32_t key) const;

  void* base_;
  size_t size_;
  uint32_t num_keys_;
  Header* header_;
  Slot* slots_;
  std::array<std::mutex, kStripes> stripes_;
};

}  // namespace synapsed::stress

#endif  // SYNAPSED_TOOLS_STRESS_EXPECTED_STATE_H_
