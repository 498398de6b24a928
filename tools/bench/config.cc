#include "tools/bench/config.h"

#include <gflags/gflags.h>
#include <unistd.h>

#include <algorithm>
#include <set>

// db_bench's names, meanings and defaults.
DEFINE_string(benchmarks,
              "fillseq,fillsync,fillrandom,overwrite,readrandom,readseq,readreverse,seekrandom,"
              "multireadrandom,deleterandom,stats",
              "Comma-separated list of benchmarks to run, in order.");
DEFINE_int64(num, 1000000, "Number of key/values to place in the database.");
DEFINE_int64(reads, -1, "Number of read operations per thread; < 0 means --num.");
DEFINE_int32(threads, 1, "Number of concurrent threads; each does the full count.");
DEFINE_int32(key_size, 16, "Size of each key in bytes.");
DEFINE_int32(value_size, 100, "Size of each value in bytes.");
DEFINE_double(compression_ratio, 0.5, "Values compress to this fraction of their size.");
DEFINE_string(compression_type, "lz4",
              "Block compression: none, lz4 or zstd (db_bench's default, snappy, is not built).");
DEFINE_int32(compression_level, -1, "Zstd level; -1 = the library default (3).");
DEFINE_int64(cache_size, 8 << 20, "Block cache (ARC) size in bytes; <= 0 means no block cache.");
DEFINE_int32(open_files, -1,
             "Table files kept open; -1 = no limit, every reader pinned (db_bench's "
             "default); 0 = the engine's default (Options::max_open_files).");
DEFINE_int32(bloom_bits, -1, "Bloom filter bits per key; <= 0 means no filter.");
DEFINE_int32(block_size, 4096, "Table block size in bytes.");
DEFINE_int64(write_buffer_size, 64 << 20, "Memtable size in bytes before a flush.");
DEFINE_int32(max_write_buffer_number, 2, "Memtables that may exist at once.");
DEFINE_int32(max_background_jobs, 2, "Background threads: one flushes, the rest compact (>= 2).");
DEFINE_int32(compaction_style, 0, "0 = leveled, 1 = universal.");
DEFINE_int32(level0_file_num_compaction_trigger, 4,
             "L0 files (universal: sorted runs) that trigger a compaction.");
DEFINE_int32(level0_slowdown_writes_trigger, 20, "L0 files that delay each write by 1 ms.");
DEFINE_int32(level0_stop_writes_trigger, 36, "L0 files that stop writes.");
DEFINE_int64(target_file_size_base, 64 << 20, "Target size of compaction output files.");
DEFINE_int64(max_bytes_for_level_base, 256 << 20, "Target size of the base level.");
DEFINE_double(max_bytes_for_level_multiplier, 10, "Size ratio of adjacent levels.");
DEFINE_bool(level_compaction_dynamic_level_bytes, true,
            "Derive level targets from the last level's size (synapsed's default: true).");
DEFINE_uint64(max_compaction_bytes, 0,
              "Grandparent overlap at which outputs are cut; 0 = 25 * target_file_size_base.");
DEFINE_int32(universal_size_ratio, 1, "Universal: size ratio percentage for merging runs.");
DEFINE_int32(universal_min_merge_width, 2, "Universal: fewest runs merged by size ratio.");
DEFINE_int32(universal_max_merge_width, 0x7fffffff, "Universal: most runs merged by size ratio.");
DEFINE_int32(universal_max_size_amplification_percent, 200,
             "Universal: space amplification that merges every run.");
DEFINE_uint64(soft_pending_compaction_bytes_limit, 64ull << 30,
              "Pending compaction bytes that delay writes; 0 = none.");
DEFINE_uint64(hard_pending_compaction_bytes_limit, 256ull << 30,
              "Pending compaction bytes that stop writes; 0 = none.");
DEFINE_string(
    bottommost_compression, "disable",
    "Compression of bottommost tables: none, lz4, zstd, or disable (= compression_type, as in "
    "db_bench, which has no such flag).");
DEFINE_bool(use_existing_db, false, "Use the existing database instead of a fresh one.");
DEFINE_string(db, "", "Database directory (default /tmp/synapsedtest-<uid>/dbbench).");
DEFINE_bool(sync, false, "Sync every write.");
DEFINE_bool(disable_wal, false, "Write without the write-ahead log.");
DEFINE_int64(batch_size, 1, "Updates per write batch; keys per MultiGet.");
DEFINE_int64(seek_nexts, 0, "Next() calls after each Seek in seekrandom.");
DEFINE_int32(duration, 0, "Seconds each benchmark runs instead of a count (0 = use counts).");
DEFINE_int64(seed, 0, "Random seed; 0 picks one from the clock and prints it.");
DEFINE_bool(histogram, false, "Print latency histograms.");
DEFINE_bool(statistics, false, "Print engine statistics at the end.");
DEFINE_bool(use_direct_reads, false, "Read tables with O_DIRECT.");
DEFINE_bool(use_direct_io_for_flush_and_compaction, false,
            "Write tables (flushes and compactions) with O_DIRECT.");
DEFINE_string(io_engine, "io_uring",
              "synapsed only: io_uring or posix (Options::io_engine); db_bench has no such flag.");
DEFINE_bool(multiread_batched, false, "Use the batched MultiGet API in multireadrandom.");
DEFINE_uint64(benchmark_write_rate_limit, 0, "Bytes per second writers may write; 0 = no limit.");
DEFINE_uint64(max_write_batch_group_size_bytes, 1 << 20, "Group commit size limit in bytes.");
DEFINE_int64(writes_before_delete_range, 0,
             "Write benchmarks: writes before the first range tombstone.");
DEFINE_int64(writes_per_range_tombstone, 0,
             "Write benchmarks: one DeleteRange every this many writes (0 = none).");
DEFINE_int64(range_tombstone_width, 100, "Keys each range tombstone covers.");
DEFINE_int64(max_num_range_tombstones, 0,
             "At most this many range tombstones (db_bench's default 0 writes none).");

namespace synapsed::bench {

namespace {

// A feature a flag needs and when synapsed gets it; `ok` says which values
// ask nothing of the missing feature.
struct Unbuilt {
  const char* flag;
  const char* feature;
  bool (*ok)(const std::string& value);
};

bool IsOneOf(const std::string& v, std::initializer_list<const char*> values) {
  for (const char* x : values) {
    if (v == x) return true;
  }
  return false;
}
bool FalseValue(const std::string& v) { return IsOneOf(v, {"false", "0", "no", "f", "n"}); }

const Unbuilt kUnbuilt[] = {
    {"compression_type", "snappy, zlib, bzip2 or lz4hc compression (only none, lz4, zstd)",
     [](const std::string& v) {
       return IsOneOf(v, {"none", "kNoCompression", "lz4", "kLZ4Compression", "zstd", "kZSTD"});
     }},
    {"compaction_style", "FIFO compaction (only leveled, 0, and universal, 1)",
     [](const std::string& v) { return v == "0" || v == "1"; }},
    {"disable_wal", "writes without the WAL", FalseValue},
};

const std::set<std::string>& KnownBenchmarks() {
  static const std::set<std::string> names = {
      "fillseq",         "fillrandom",       "filluniquerandom", "overwrite",   "fillsync",
      "readrandom",      "readmissing",      "readseq",          "readreverse", "seekrandom",
      "multireadrandom", "readwhilewriting", "deleterandom",     "stats",       "levelstats",
      "flush",           "compact",          "waitforcompaction"};
  return names;
}

}  // namespace

std::vector<std::string> SplitCommaList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

Status ValidateExplicitFlags(const std::map<std::string, std::string>& flags) {
  for (const Unbuilt& u : kUnbuilt) {
    auto it = flags.find(u.flag);
    if (it == flags.end() || (u.ok != nullptr && u.ok(it->second))) continue;
    return Status::InvalidArgument("--" + std::string(u.flag) + "=" + it->second,
                                   std::string("synapsed has no ") + u.feature + " yet");
  }
  return Status::OK();
}

Status ValidateBenchmarks(const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (KnownBenchmarks().count(name) == 0)
      return Status::InvalidArgument("unknown benchmark", name);
  }
  return Status::OK();
}

Status ConfigFromFlags(BenchConfig* c) {
  std::map<std::string, std::string> explicit_flags;
  std::vector<gflags::CommandLineFlagInfo> all;
  gflags::GetAllFlags(&all);
  for (const auto& f : all) {
    if (!f.is_default) explicit_flags[f.name] = f.current_value;
  }
  Status s = ValidateExplicitFlags(explicit_flags);
  if (!s.ok()) return s;
  c->benchmarks = SplitCommaList(FLAGS_benchmarks);
  s = ValidateBenchmarks(c->benchmarks);
  if (!s.ok()) return s;
  if (FLAGS_num <= 0) return Status::InvalidArgument("--num must be > 0");
  if (FLAGS_threads <= 0) return Status::InvalidArgument("--threads must be > 0");
  if (FLAGS_key_size <= 0) return Status::InvalidArgument("--key_size must be > 0");
  if (FLAGS_value_size < 0 || FLAGS_value_size > (1 << 20)) {
    return Status::InvalidArgument("--value_size must be in [0, 1048576]");
  }
  if (FLAGS_batch_size <= 0) return Status::InvalidArgument("--batch_size must be > 0");
  if (FLAGS_compression_ratio <= 0 || FLAGS_compression_ratio > 1) {
    return Status::InvalidArgument("--compression_ratio must be in (0, 1]");
  }
  c->num = FLAGS_num;
  c->reads = FLAGS_reads;
  c->threads = FLAGS_threads;
  c->key_size = FLAGS_key_size;
  c->value_size = FLAGS_value_size;
  c->compression_ratio = FLAGS_compression_ratio;
  c->db =
      FLAGS_db.empty() ? "/tmp/synapsedtest-" + std::to_string(geteuid()) + "/dbbench" : FLAGS_db;
  c->use_existing_db = FLAGS_use_existing_db;
  c->sync = FLAGS_sync;
  c->batch_size = FLAGS_batch_size;
  c->seek_nexts = FLAGS_seek_nexts;
  c->duration_seconds = FLAGS_duration;
  c->seed = static_cast<uint64_t>(FLAGS_seed);
  c->histogram = FLAGS_histogram;
  c->statistics = FLAGS_statistics;
  c->multiread_batched = FLAGS_multiread_batched;
  c->use_direct_reads = FLAGS_use_direct_reads;
  c->use_direct_io_for_flush_and_compaction = FLAGS_use_direct_io_for_flush_and_compaction;
  if (FLAGS_io_engine != "io_uring" && FLAGS_io_engine != "posix") {
    return Status::InvalidArgument("--io_engine must be io_uring or posix");
  }
  c->io_engine = FLAGS_io_engine == "posix" ? IoEngine::kPosix : IoEngine::kIoUring;
  c->write_rate_limit_bytes = FLAGS_benchmark_write_rate_limit;
  c->max_write_batch_group_size_bytes = FLAGS_max_write_batch_group_size_bytes;
  const std::string& ct = FLAGS_compression_type;
  c->compression = IsOneOf(ct, {"none", "kNoCompression"}) ? CompressionType::kNone
                   : IsOneOf(ct, {"zstd", "kZSTD"})        ? CompressionType::kZstd
                                                           : CompressionType::kLZ4;
  if (FLAGS_compression_level > 0) c->zstd_level = FLAGS_compression_level;
  c->cache_size = FLAGS_cache_size;
  c->bloom_bits = std::max(0, FLAGS_bloom_bits);
  if (FLAGS_block_size <= 0) return Status::InvalidArgument("--block_size must be > 0");
  c->block_size = FLAGS_block_size;
  if (FLAGS_write_buffer_size <= 0)
    return Status::InvalidArgument("--write_buffer_size must be > 0");
  c->write_buffer_size = FLAGS_write_buffer_size;
  c->max_write_buffer_number = std::max(2, FLAGS_max_write_buffer_number);
  if (FLAGS_open_files != 0) c->open_files = FLAGS_open_files;
  if (FLAGS_level0_file_num_compaction_trigger < 1 || FLAGS_target_file_size_base <= 0 ||
      FLAGS_max_bytes_for_level_base <= 0) {
    return Status::InvalidArgument(
        "--level0_file_num_compaction_trigger, --target_file_size_base and "
        "--max_bytes_for_level_base must be > 0");
  }
  if (FLAGS_writes_before_delete_range < 0 || FLAGS_writes_per_range_tombstone < 0 ||
      FLAGS_range_tombstone_width <= 0 || FLAGS_max_num_range_tombstones < 0) {
    return Status::InvalidArgument(
        "--writes_before_delete_range, --writes_per_range_tombstone and "
        "--max_num_range_tombstones must be >= 0, --range_tombstone_width > 0");
  }
  c->writes_before_delete_range = FLAGS_writes_before_delete_range;
  c->writes_per_range_tombstone = FLAGS_writes_per_range_tombstone;
  c->range_tombstone_width = FLAGS_range_tombstone_width;
  c->max_num_range_tombstones = FLAGS_max_num_range_tombstones;
  c->level0_file_num_compaction_trigger = FLAGS_level0_file_num_compaction_trigger;
  c->target_file_size_base = static_cast<uint64_t>(FLAGS_target_file_size_base);
  c->max_bytes_for_level_base = static_cast<uint64_t>(FLAGS_max_bytes_for_level_base);
  if (FLAGS_max_background_jobs < 2) {
    return Status::InvalidArgument(
        "--max_background_jobs must be >= 2 (one flush, one compaction)");
  }
  if (FLAGS_universal_min_merge_width < 2 ||
      FLAGS_universal_max_merge_width < FLAGS_universal_min_merge_width ||
      FLAGS_universal_size_ratio < 0 || FLAGS_universal_max_size_amplification_percent < 0) {
    return Status::InvalidArgument(
        "--universal_* need 2 <= min_merge_width <= max_merge_width and ratios >= 0");
  }
  if (FLAGS_max_bytes_for_level_multiplier < 1) {
    return Status::InvalidArgument("--max_bytes_for_level_multiplier must be >= 1");
  }
  Options& o = c->compaction;
  o.compaction_style =
      FLAGS_compaction_style == 1 ? CompactionStyle::kUniversal : CompactionStyle::kLeveled;
  o.max_background_jobs = FLAGS_max_background_jobs;
  o.level0_slowdown_writes_trigger =
      std::max(FLAGS_level0_slowdown_writes_trigger, FLAGS_level0_file_num_compaction_trigger);
  o.level0_stop_writes_trigger =
      std::max(FLAGS_level0_stop_writes_trigger, o.level0_slowdown_writes_trigger);
  o.max_bytes_for_level_multiplier = FLAGS_max_bytes_for_level_multiplier;
  o.level_compaction_dynamic_level_bytes = FLAGS_level_compaction_dynamic_level_bytes;
  o.max_compaction_bytes = FLAGS_max_compaction_bytes;
  o.compaction_options_universal.size_ratio = static_cast<unsigned>(FLAGS_universal_size_ratio);
  o.compaction_options_universal.min_merge_width =
      static_cast<unsigned>(FLAGS_universal_min_merge_width);
  o.compaction_options_universal.max_merge_width =
      static_cast<unsigned>(FLAGS_universal_max_merge_width);
  o.compaction_options_universal.max_size_amplification_percent =
      static_cast<unsigned>(FLAGS_universal_max_size_amplification_percent);
  o.soft_pending_compaction_bytes_limit = FLAGS_soft_pending_compaction_bytes_limit;
  o.hard_pending_compaction_bytes_limit = FLAGS_hard_pending_compaction_bytes_limit;
  const std::string& bc = FLAGS_bottommost_compression;
  if (bc == "disable") {
    o.bottommost_compression = std::nullopt;
  } else if (IsOneOf(bc, {"none", "kNoCompression"})) {
    o.bottommost_compression = CompressionType::kNone;
  } else if (IsOneOf(bc, {"lz4", "kLZ4Compression"})) {
    o.bottommost_compression = CompressionType::kLZ4;
  } else if (IsOneOf(bc, {"zstd", "kZSTD"})) {
    o.bottommost_compression = CompressionType::kZstd;
  } else {
    return Status::InvalidArgument("--bottommost_compression must be none, lz4, zstd or disable");
  }
  return Status::OK();
}

}  // namespace synapsed::bench
