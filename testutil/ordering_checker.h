// OrderingChecker: watches every mutating call on a FaultInjectionFileSystem
// and records a violation whenever the engine breaks one of the durability
// ordering rules of docs/format/manifest.md ("Ordering rules for
// durability"), whether or not a crash happens to land there. A crash test
// only fails when its crash point exposes a bad order; the checker fails at
// the order itself.
//
// What it checks, all on the *durable* state (what a crash in
// kDropUnsynced mode would leave) of the database directory:
//  - Named files are durable (rules 1, 2 and the CURRENT switch). After every
//    successful Sync of a MANIFEST and every successful SyncDir of the
//    database directory: if a durable CURRENT exists, it holds exactly
//    "MANIFEST-NNNNNN\n"; that MANIFEST has a durable entry and its durable
//    bytes start with an intact snapshot, and every record the log reader
//    returns decodes (VersionEdit::DecodeFrom); every table live after its
//    edits has a durable entry of exactly the recorded size; and the WAL
//    named by its log number (unless 0: a version set used without logs,
//    as in its own tests) has a durable entry.
//  - A WAL is removed only once obsolete (rule 4). Before RemoveFile of a
//    non-empty NNNNNN.log of the database directory: the durable MANIFEST
//    (through durable CURRENT) has a log number above NNNNNN. An empty log
//    (created, never written) holds nothing to lose and is exempt; so is
//    any removal while no durable CURRENT exists (nothing was acknowledged).
//  - A table is removed only once no durable edit names it (rule 5): before
//    RemoveFile of NNNNNN.sst, or a rename moving it away, the durable
//    MANIFEST does not list it as live.
//  - An old MANIFEST is removed only after the switch away from it is
//    durable (rule 6): before RemoveFile of MANIFEST-NNNNNN, durable CURRENT
//    does not name it.
// Not checkable from file operations: that no version in use still reads a
// removed table (rule 5's second half); the engine's tests cover that.
//
// Thread safety: the observer may run on several engine threads at once;
// every method is safe to call concurrently.
//
// Lifetime: Attach installs an observer holding a shared_ptr to the checker
// and a raw pointer to fs; the file system owns the observer, so the checker
// lives as long as the file system or until Detach.
#ifndef SYNAPSED_TESTUTIL_ORDERING_CHECKER_H_
#define SYNAPSED_TESTUTIL_ORDERING_CHECKER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/fault_injection_fs.h"
#include "util/mutex.h"

namespace synapsed::test {

class OrderingChecker {
 public:
  // Checks the database at dbname on fs from now on; replaces fs's observer.
  static std::shared_ptr<OrderingChecker> Attach(FaultInjectionFileSystem* fs, std::string dbname);
  // Removes fs's observer (the one Attach installed).
  static void Detach(FaultInjectionFileSystem* fs);

  OrderingChecker(FaultInjectionFileSystem* fs, std::string dbname);

  // Called by the observer; public so a test can feed operations by hand.
  void OnOperation(const FaultInjectionFileSystem::Operation& op) EXCLUDES(mu_);

  // Checks the durable state now (as after a MANIFEST sync).
  void CheckDurableState(const std::string& after) EXCLUDES(mu_);

  // Each violation: what was wrong, and after or before which operation.
  std::vector<std::string> violations() const EXCLUDES(mu_);
  // Checks performed (durable-state checks plus removal checks).
  uint64_t checks() const EXCLUDES(mu_);

 private:
  struct DurableView;  // durable CURRENT, its MANIFEST decoded, durable files

  // Reads the durable state. False (and no view) if there is no durable
  // CURRENT, or if it is broken (a violation is then recorded).
  bool ReadView(const std::string& context, DurableView* view);
  void CheckRemoval(const std::string& path, const std::string& context);
  void Fail(std::string message) EXCLUDES(mu_);
  void Count() EXCLUDES(mu_);

  FaultInjectionFileSystem* const fs_;
  const std::string dbname_;  // normalized: "/db"
  mutable Mutex mu_;
  std::vector<std::string> violations_ GUARDED_BY(mu_);
  uint64_t checks_ GUARDED_BY(mu_) = 0;
  // The last MANIFEST decoded (its number and durable bytes) and its result.
  std::string cached_manifest_ GUARDED_BY(mu_);
  uint64_t cached_number_ GUARDED_BY(mu_) = 0;
  uint64_t cached_log_number_ GUARDED_BY(mu_) = 0;
  std::map<uint64_t, uint64_t> cached_live_tables_ GUARDED_BY(mu_);
};

}  // namespace synapsed::test

#endif  // SYNAPSED_TESTUTIL_ORDERING_CHECKER_H_
