// BenchConfig: synapsed_bench's settings, taken from db_bench-named flags.
//
// Every db_bench flag that maps onto a synapsed option is accepted with the
// same name and meaning. A flag that names an engine feature synapsed does
// not have yet is rejected with a one-line reason (never silently ignored);
// ValidateExplicitFlags holds that list so tests can check it.
#ifndef SYNAPSED_TOOLS_BENCH_CONFIG_H_
#define SYNAPSED_TOOLS_BENCH_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "synapsed/options.h"
#include "synapsed/status.h"

namespace synapsed::bench {

struct BenchConfig {
  std::vector<std::string> benchmarks;
  int64_t num = 1000000;
  int64_t reads = -1;  // < 0: num
  int threads = 1;
  int key_size = 16;
  int value_size = 100;
  double compression_ratio = 0.5;
  std::string db;
  bool use_existing_db = false;
  bool sync = false;
  int64_t batch_size = 1;
  int64_t seek_nexts = 0;
  int64_t duration_seconds = 0;
  uint64_t seed = 0;
  bool histogram = false;
  bool statistics = false;
  bool multiread_batched = false;
  bool use_direct_reads = false;
  bool use_direct_io_for_flush_and_compaction = false;
  IoEngine io_engine = IoEngine::kIoUring;
  uint64_t write_rate_limit_bytes = 0;  // benchmark_write_rate_limit; 0 = none
  uint64_t max_write_batch_group_size_bytes = 1 << 20;
  CompressionType compression = CompressionType::kLZ4;
  int zstd_level = 3;
  int64_t cache_size = 8 << 20;  // <= 0: no block cache
  int bloom_bits = 0;            // db_bench's default: no filter
  int64_t block_size = 4096;
  int64_t write_buffer_size = 64 << 20;
  int max_write_buffer_number = 2;
  int open_files = Options().max_open_files;  // --open_files=0; the flag defaults to -1
  int level0_file_num_compaction_trigger = 4;
  uint64_t target_file_size_base = 64ull << 20;
  uint64_t max_bytes_for_level_base = 256ull << 20;
  // Range tombstones in write benchmarks, as db_bench: after
  // writes_before_delete_range writes, one DeleteRange of
  // range_tombstone_width keys every writes_per_range_tombstone writes (0:
  // none), at most max_num_range_tombstones of them (0: no limit).
  int64_t writes_before_delete_range = 0;
  int64_t writes_per_range_tombstone = 0;
  int64_t range_tombstone_width = 100;
  int64_t max_num_range_tombstones = 0;
  // The remaining compaction settings, applied over the engine's defaults
  // (compaction style, background jobs, dynamic levels, universal options,
  // stall limits, bottommost compression).
  Options compaction;

  int64_t reads_or_num() const { return reads < 0 ? num : reads; }
};

// Flags given on the command line (name -> value as typed), checked against
// features that are not built: InvalidArgument naming the flag and why.
Status ValidateExplicitFlags(const std::map<std::string, std::string>& flags);

// Benchmark names: the known ones pass; the ones that need an engine feature
// not built yet, and unknown names, are InvalidArgument.
Status ValidateBenchmarks(const std::vector<std::string>& names);

// Reads the parsed gflags into *config and validates them.
Status ConfigFromFlags(BenchConfig* config);

std::vector<std::string> SplitCommaList(const std::string& s);

}  // namespace synapsed::bench

#endif  // SYNAPSED_TOOLS_BENCH_CONFIG_H_
