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

class Cache;
class FileSystem;
class Snapshot;

// How table blocks are compressed. A block that compression does not shrink
// by at least 1/8 is stored uncompressed (docs/format/sstable.md).
enum class CompressionType : uint8_t {
  kNone = 0,
  kLZ4 = 1,   // fast; the default
  kZstd = 2,  // smaller, slower to write; level from Options::zstd_level
};

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

enum class CompactionStyle : uint8_t { kLeveled = 0, kUniversal = 1 };

// How the default file system does I/O (docs/design/io.md).
enum class IoEngine : uint8_t {
  // pread/write system calls; batched reads are done one after another.
  kPosix = 0,
  // io_uring: MultiGet's data-block reads of all keys and levels in flight
  // at once, asynchronous readahead for iterators and compaction inputs,
  // write-behind for table files. Where the kernel refuses io_uring the
  // database uses kPosix and says so in its LOG.
  kIoUring = 1,
};

// Universal compaction (RocksDB's meaning of each field).
struct UniversalCompactionOptions {
  // Runs are merged, newest first, while the next older run is at most
  // (100 + size_ratio)% of everything picked so far.
  unsigned size_ratio = 1;
  // The fewest and most runs one size-ratio merge takes.
  unsigned min_merge_width = 2;
  unsigned max_merge_width = 0xffffffffu;
  // Every run is merged into one once the runs above the oldest hold more
  // than this percentage of the oldest run's bytes (space amplification).
  unsigned max_size_amplification_percent = 200;
};

struct Options {
  // Create the database if it is missing.
  bool create_if_missing = false;
  // Fail Open if the database already exists.
  bool error_if_exists = false;
  // See WalRecoveryMode.
  WalRecoveryMode wal_recovery_mode = WalRecoveryMode::kPointInTimeRecovery;
  // All file access goes through this; null means the process-wide one
  // chosen by io_engine (FileSystem::IoUring() or FileSystem::Default()).
  // Tests inject an in-memory, fault-injecting one.
  std::shared_ptr<FileSystem> file_system;
  // Ignored when file_system is set.
  IoEngine io_engine = IoEngine::kIoUring;
  // Table files are read with O_DIRECT: the block cache is the only cache,
  // and the operating system's page cache holds none of the table data.
  // Open fails with NotSupported where the file system refuses O_DIRECT.
  bool use_direct_reads = false;
  // Table files are written by flushes and compactions with O_DIRECT.
  bool use_direct_io_for_flush_and_compaction = false;
  // Group commit: the most bytes of write batches one leader gathers into a
  // single WAL record. Larger groups mean fewer syncs under concurrency but
  // more latency for the leader. When: many concurrent sync writers.
  size_t max_write_batch_group_size_bytes = 1 << 20;

  // --- Memtables and flushes ---
  // A memtable is frozen and flushed to a level-0 table once it holds about
  // this many bytes. Larger: fewer, bigger tables and a longer replay after
  // a crash; the memory cost is up to max_write_buffer_number times this.
  size_t write_buffer_size = 64 << 20;
  // Memtables (the active one plus frozen ones waiting for their flush) that
  // may exist at once. When that many exist, writes wait for a flush: memory
  // never grows without bound. At least 2.
  int max_write_buffer_number = 2;

  // --- Tables ---
  CompressionType compression = CompressionType::kLZ4;
  int zstd_level = 3;  // 1..19 (higher: smaller and slower to write)
  // Target size of a data block before compression. Larger blocks: smaller
  // index, better compression, more bytes read per point lookup.
  size_t block_size = 4096;
  // Bloom filter bits per key in every table; 0: no filter. 10 bits give
  // about a 1% false-positive rate, so most lookups of absent keys read no
  // data block.
  int bloom_bits_per_key = 10;
  // The cache of table data blocks, shared by every table (and by several
  // databases, if they are given the same one). Null: the database makes
  // its own ARC cache of 8 MiB, unless no_block_cache is set.
  std::shared_ptr<Cache> block_cache;
  // Read every data block from the file (and the OS page cache).
  bool no_block_cache = false;
  // Table files kept open, with their index and filter blocks in memory.
  // -1: no limit. Small values cost a reopen on every miss.
  int max_open_files = 1000;

  // The compression of tables written to the bottommost level (no older data
  // below them), where most of the data ends up and is rewritten least
  // often, so a slower, tighter codec pays. nullopt: `compression`.
  std::optional<CompressionType> bottommost_compression = CompressionType::kZstd;

  // --- Compaction (docs/design/compaction.md) ---
  // kLeveled: levels of disjoint tables, each a multiplier larger than the
  //   one above; least space, more rewriting.
  // kUniversal: sorted runs (level-0 tables and whole levels) merged when
  //   their sizes are similar; less rewriting, more space and more runs to
  //   read. A database keeps the style it is opened with each time; opening
  //   with the other style is allowed and the new picker takes over.
  CompactionStyle compaction_style = CompactionStyle::kLeveled;
  // Background threads: one flushes memtables, the rest (at least one)
  // compact, so a flush never waits behind a compaction. At least 2. Each
  // kind starts with its first work (a flush, a compaction), not at Open.
  int max_background_jobs = 2;
  // Leveled: level 0 is compacted once it holds this many tables.
  // Universal: runs are merged once this many sorted runs exist, and the
  // count is brought back to it when size ratios alone would not.
  int level0_file_num_compaction_trigger = 4;
  // With this many level-0 tables each write is delayed by 1 ms, so
  // compaction can catch up; with level0_stop_writes_trigger writes wait.
  int level0_slowdown_writes_trigger = 20;
  int level0_stop_writes_trigger = 36;
  // Leveled: the byte target of the first level level 0 compacts into; each
  // deeper level's is max_bytes_for_level_multiplier times the one above.
  uint64_t max_bytes_for_level_base = 256ull << 20;
  double max_bytes_for_level_multiplier = 10;
  // Leveled: targets are derived from the last level's size downwards, so
  // about 90% of the data sits in the last level (space amplification ~1.1)
  // and level 0 compacts into the highest level that needs to exist. false:
  // level 1 gets max_bytes_for_level_base and targets grow downwards.
  bool level_compaction_dynamic_level_bytes = true;
  // Compaction output files are cut at about this size (between user keys);
  // universal compaction writes one file when its output goes to level 0.
  uint64_t target_file_size_base = 64ull << 20;
  // Leveled: an output file is also cut before it overlaps more than this
  // many bytes of the level below its output level, so compacting it later
  // rewrites at most that much. 0: 25 * target_file_size_base.
  uint64_t max_compaction_bytes = 0;
  // Universal compaction's policy (see UniversalCompactionOptions).
  UniversalCompactionOptions compaction_options_universal;
  // When the estimated bytes compaction must still rewrite to bring every
  // level within target (property synapsed.estimate-pending-compaction-bytes)
  // passes the soft limit each write is delayed by 1 ms; past the hard limit
  // writes wait. 0: no limit.
  uint64_t soft_pending_compaction_bytes_limit = 64ull << 30;
  uint64_t hard_pending_compaction_bytes_limit = 256ull << 30;
};

struct ReadOptions {
  // Read as of this snapshot (from DB::GetSnapshot); null = the latest state.
  const Snapshot* snapshot = nullptr;
  // Iterators only: keys < *iterate_lower_bound are invisible (inclusive bound).
  std::optional<std::string> iterate_lower_bound;
  // Iterators only: keys >= *iterate_upper_bound are invisible (exclusive bound).
  std::optional<std::string> iterate_upper_bound;
  // Verify the checksum of every table block read from a file (blocks served
  // from the block cache were verified when they were read).
  bool verify_checksums = true;
  // Insert data blocks read from files into the block cache. Set it to false
  // for a one-time scan that should not displace the hot set.
  bool fill_cache = true;
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
