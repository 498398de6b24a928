// Options for opening a database, reading and writing.
//
// Every field has a safe default; change one when the comment's "when"
// applies. Options are copied at Open; changing them afterwards has no effect.
#ifndef SYNAPSED_INCLUDE_OPTIONS_H_
#define SYNAPSED_INCLUDE_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace synapsed {

class FileSystem;
class Snapshot;

// What Open does when a write-ahead log is damaged (bit rot, a torn write, a
// zeroed region). Values match RocksDB's WALRecoveryMode. Whatever the mode,
// a damaged record is never applied and damage never crashes the process.
// See docs/design/recovery.md for the exact contracts.
enum class WalRecoveryMode : uint8_t {
  // Drop a damaged tail of a log (a record cut short, or damage after which
  // the log holds no intact record); fail Open with Corruption on any other
  // damage. For applications that prefer an error to losing a synced write.
  kTolerateCorruptedTailRecords = 0,
  // Fail Open with Corruption on any damage, a torn tail included.
  kAbsoluteConsistency = 1,
  // Recover every write before the first damage, in log order, and nothing
  // after it (not even from later logs), so the result is always a prefix of
  // the writes. The default: Open succeeds and never leaves a hole.
  kPointInTimeRecovery = 2,
  // Apply every intact record and skip damaged ones. The result may have
  // holes; for salvaging data from a damaged database only.
  kSkipAnyCorruptedRecords = 3,
};

struct Options {
  // Create the database if it is missing.
  bool create_if_missing = false;
  // Fail Open if the database already exists.
  bool error_if_exists = false;
  // See WalRecoveryMode.
  WalRecoveryMode wal_recovery_mode = WalRecoveryMode::kPointInTimeRecovery;
  // All file access goes through this; null means FileSystem::Default()
  // (posix). Tests inject an in-memory, fault-injecting one.
  std::shared_ptr<FileSystem> file_system;
  // Group commit: the most bytes of write batches one leader gathers into a
  // single WAL record. Larger groups mean fewer syncs under concurrency but
  // more latency for the leader. When: many concurrent sync writers.
  size_t max_write_batch_group_size_bytes = 1 << 20;
};

struct ReadOptions {
  // Read as of this snapshot (from DB::GetSnapshot); null = the latest state.
  const Snapshot* snapshot = nullptr;
  // Iterators only: keys < *iterate_lower_bound are invisible (inclusive bound).
  std::optional<std::string> iterate_lower_bound;
  // Iterators only: keys >= *iterate_upper_bound are invisible (exclusive bound).
  std::optional<std::string> iterate_upper_bound;
};

struct WriteOptions {
  // false: the write reaches the operating system before it is acknowledged
  //        (survives a process crash; a machine crash may lose it).
  // true:  the WAL is fsynced (fdatasync) before the write is acknowledged
  //        (survives a machine crash). Concurrent sync writers share syncs.
  bool sync = false;
};

}  // namespace synapsed

#endif  // SYNAPSED_INCLUDE_OPTIONS_H_
