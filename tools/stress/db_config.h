// DbConfig: the database options one stress round runs with, as a value that
// the kill-loop driver draws at random, passes to the worker as flags, and
// prints as one line (the same flags), so any round can be rerun by hand.
//
// A plain value type; no shared state.
#ifndef SYNAPSED_TOOLS_STRESS_DB_CONFIG_H_
#define SYNAPSED_TOOLS_STRESS_DB_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "synapsed/options.h"
#include "synapsed/status.h"
#include "util/random.h"

namespace synapsed::stress {

struct DbConfig {
  int compaction_style = 0;  // 0 leveled, 1 universal
  int64_t write_buffer_size = 4 << 20;
  int max_write_buffer_number = 2;
  int block_size = 4096;
  std::string compression_type = "lz4";         // none | lz4 | zstd
  std::string bottommost_compression = "zstd";  // none | lz4 | zstd | same
  int bloom_bits = 10;
  std::string io_engine = "io_uring";  // posix | io_uring
  bool use_direct_reads = false;
  bool use_direct_io_for_flush_and_compaction = false;
  int max_background_jobs = 2;
  int level0_file_num_compaction_trigger = 4;
  int level0_slowdown_writes_trigger = 20;
  int level0_stop_writes_trigger = 36;
  int64_t target_file_size_base = 2 << 20;
  int64_t max_bytes_for_level_base = 8 << 20;
  bool level_compaction_dynamic_level_bytes = true;
  int64_t cache_size = 8 << 20;  // <= 0: no block cache
  int open_files = 1000;
  int universal_size_ratio = 1;
  int universal_max_size_amplification_percent = 200;
  int sync_one_in = 0;  // 0: no write is synced; N: one write in N is

  // Options drawn from rnd: small memtables and files, so a round of a few
  // seconds flushes and compacts. direct_io_ok: the file system takes O_DIRECT.
  static DbConfig Random(synapsed::Random* rnd, bool direct_io_ok);

  // InvalidArgument naming the flag for a value Options cannot take.
  Status ToOptions(Options* options) const;
  // The worker's flags for this config ("--name=value" each).
  std::vector<std::string> ToFlags() const;
};

}  // namespace synapsed::stress

#endif  // SYNAPSED_TOOLS_STRESS_DB_CONFIG_H_
