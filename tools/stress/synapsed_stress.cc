// synapsed_stress: the kill loop of issue 7, protocol 2 (docs/testing.md).
//
//   synapsed_stress --db=DIR [options]        worker: verify DIR against its
//                                             expected state, then stress it
//   synapsed_stress --kill_loop [--kills=N]   driver: run workers and SIGKILL
//                                             them, with random options
//   synapsed_stress --self_test_verifier      the verifier must catch wrong states
//
// The driver reports its counts (protocol 2) through $SYNAPSED_PROTOCOL_REPORT.
#include <gflags/gflags.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "testutil/testutil.h"
#include "tools/stress/db_config.h"
#include "tools/stress/driver.h"
#include "tools/stress/self_test.h"
#include "tools/stress/worker.h"

DEFINE_string(db, "", "Database directory (driver default: $TEST_TMPDIR or /tmp, per process).");
DEFINE_string(expected_state, "", "Expected-state file (default: <db>.expected).");
DEFINE_uint32(max_key, 20000, "Size of the key space.");
DEFINE_int32(threads, 4, "Worker threads.");
DEFINE_uint64(ops, 0, "Worker: operations per thread; 0 = no limit.");
DEFINE_double(seconds, 0, "Worker: seconds to run; 0 = no limit.");
DEFINE_uint64(seed, 0, "Random seed; 0 picks one from the clock and prints it.");
DEFINE_bool(verify_only, false, "Worker: open, verify, close.");

DEFINE_bool(kill_loop, false, "Run the kill-loop driver.");
DEFINE_int32(kills, 30, "Driver: rounds ended by SIGKILL.");
DEFINE_int32(clean_every, 10, "Driver: every Nth round closes cleanly instead; 0 = never.");
DEFINE_double(clean_seconds, 0.5, "Driver: how long a clean round runs.");
DEFINE_int32(kill_delay_ms_min, 300, "Driver: shortest delay before a kill.");
DEFINE_int32(kill_delay_ms_max, 3000, "Driver: longest delay before a kill.");
DEFINE_int32(early_kill_one_in, 6, "Driver: one round in N is killed within 60 ms of its start.");
DEFINE_bool(keep_db, false, "Driver: keep the database and state file after success.");
DEFINE_int32(corrupt_at_round, 0,
             "Driver self test: after this round, make the expected state wrong; the loop "
             "must then fail.");
DEFINE_bool(self_test_verifier, false, "Check that the verifier reports each kind of wrong state.");

// The database options (db_config.h); the driver draws them per round.
DEFINE_int32(compaction_style, 0, "0 = leveled, 1 = universal.");
DEFINE_int64(write_buffer_size, 4 << 20, "Memtable size in bytes.");
DEFINE_int32(max_write_buffer_number, 2, "Memtables that may exist at once.");
DEFINE_int32(block_size, 4096, "Table block size in bytes.");
DEFINE_string(compression_type, "lz4", "none, lz4 or zstd.");
DEFINE_string(bottommost_compression, "zstd", "none, lz4, zstd, or same (as compression_type).");
DEFINE_int32(bloom_bits, 10, "Bloom filter bits per key; 0 = none.");
DEFINE_string(io_engine, "io_uring", "posix or io_uring.");
DEFINE_bool(use_direct_reads, false, "Read tables with O_DIRECT.");
DEFINE_bool(use_direct_io_for_flush_and_compaction, false, "Write tables with O_DIRECT.");
DEFINE_int32(max_background_jobs, 2, "Background threads (>= 2).");
DEFINE_int32(level0_file_num_compaction_trigger, 4, "L0 files that trigger a compaction.");
DEFINE_int32(level0_slowdown_writes_trigger, 20, "L0 files that slow writes.");
DEFINE_int32(level0_stop_writes_trigger, 36, "L0 files that stop writes.");
DEFINE_int64(target_file_size_base, 2 << 20, "Compaction output file size.");
DEFINE_int64(max_bytes_for_level_base, 8 << 20, "Leveled: target size of the base level.");
DEFINE_bool(level_compaction_dynamic_level_bytes, true, "Leveled: dynamic level targets.");
DEFINE_int64(cache_size, 8 << 20, "Block cache bytes; <= 0 = no block cache.");
DEFINE_int32(open_files, 1000, "Table files kept open; -1 = no limit.");
DEFINE_int32(universal_size_ratio, 1, "Universal: size ratio percentage.");
DEFINE_int32(universal_max_size_amplification_percent, 200, "Universal: space amplification.");
DEFINE_int32(sync_one_in, 0, "Sync one write in N; 0 = none.");

namespace {

synapsed::stress::WorkerConfig WorkerFromFlags() {
  synapsed::stress::WorkerConfig w;
  w.db = FLAGS_db;
  w.expected_state = FLAGS_expected_state.empty() ? FLAGS_db + ".expected" : FLAGS_expected_state;
  w.max_key = FLAGS_max_key;
  w.threads = FLAGS_threads;
  w.ops_per_thread = FLAGS_ops;
  w.seconds = FLAGS_seconds;
  w.seed = FLAGS_seed;
  w.verify_only = FLAGS_verify_only;
  synapsed::stress::DbConfig& d = w.db_config;
  d.compaction_style = FLAGS_compaction_style;
  d.write_buffer_size = FLAGS_write_buffer_size;
  d.max_write_buffer_number = FLAGS_max_write_buffer_number;
  d.block_size = FLAGS_block_size;
  d.compression_type = FLAGS_compression_type;
  d.bottommost_compression = FLAGS_bottommost_compression;
  d.bloom_bits = FLAGS_bloom_bits;
  d.io_engine = FLAGS_io_engine;
  d.use_direct_reads = FLAGS_use_direct_reads;
  d.use_direct_io_for_flush_and_compaction = FLAGS_use_direct_io_for_flush_and_compaction;
  d.max_background_jobs = FLAGS_max_background_jobs;
  d.level0_file_num_compaction_trigger = FLAGS_level0_file_num_compaction_trigger;
  d.level0_slowdown_writes_trigger = FLAGS_level0_slowdown_writes_trigger;
  d.level0_stop_writes_trigger = FLAGS_level0_stop_writes_trigger;
  d.target_file_size_base = FLAGS_target_file_size_base;
  d.max_bytes_for_level_base = FLAGS_max_bytes_for_level_base;
  d.level_compaction_dynamic_level_bytes = FLAGS_level_compaction_dynamic_level_bytes;
  d.cache_size = FLAGS_cache_size;
  d.open_files = FLAGS_open_files;
  d.universal_size_ratio = FLAGS_universal_size_ratio;
  d.universal_max_size_amplification_percent = FLAGS_universal_max_size_amplification_percent;
  d.sync_one_in = FLAGS_sync_one_in;
  return w;
}

std::string DefaultDb(const char* tag) {
  const char* base = std::getenv("TEST_TMPDIR");
  return std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/synapsed_stress-" + tag +
         "-" + std::to_string(getpid());
}

int RunDriver() {
  synapsed::stress::DriverConfig c;
  c.worker = WorkerFromFlags();
  if (FLAGS_kills < 1 || FLAGS_kill_delay_ms_min < 0 ||
      FLAGS_kill_delay_ms_max < FLAGS_kill_delay_ms_min) {
    std::fprintf(stderr,
                 "synapsed_stress: want --kills >= 1 and 0 <= --kill_delay_ms_min <= "
                 "--kill_delay_ms_max\n");
    return 2;
  }
  c.self_path = "/proc/self/exe";
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n > 0) c.self_path.assign(buf, static_cast<size_t>(n));
  c.kills = FLAGS_kills;
  c.clean_every = FLAGS_clean_every;
  c.clean_seconds = FLAGS_clean_seconds;
  c.kill_delay_ms_min = FLAGS_kill_delay_ms_min;
  c.kill_delay_ms_max = FLAGS_kill_delay_ms_max;
  c.early_kill_one_in = FLAGS_early_kill_one_in;
  c.seed = FLAGS_seed;
  c.keep_db = FLAGS_keep_db;
  c.corrupt_at_round = FLAGS_corrupt_at_round;
  synapsed::stress::DriverReport r;
  const int rc = synapsed::stress::RunKillLoop(c, &r);
  const std::string counts =
      "kills=" + std::to_string(r.kills) + " verifications=" + std::to_string(r.verifications) +
      " keys_checked=" + std::to_string(r.keys_checked) + " failures=" + std::to_string(r.failures);
  std::printf(
      "synapsed_stress: %s rounds=%llu clean_rounds=%llu in_flight_keys=%llu ops=%llu "
      "seconds=%.1f\n",
      counts.c_str(), static_cast<unsigned long long>(r.rounds),
      static_cast<unsigned long long>(r.clean_rounds),
      static_cast<unsigned long long>(r.pending_keys), static_cast<unsigned long long>(r.ops),
      r.seconds);
  // A self test that makes the loop fail on purpose is no protocol count.
  if (c.corrupt_at_round == 0) synapsed::test::ReportProtocol(2, "synapsed_stress", counts);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "the kill loop of protocol 2: --kill_loop runs workers and kills them; without it, one "
      "worker on --db (docs/testing.md)");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc > 1) {
    std::fprintf(stderr, "synapsed_stress: unexpected argument '%s'\n", argv[1]);
    return 2;
  }
  const bool driver = FLAGS_kill_loop || FLAGS_self_test_verifier;
  if (driver && FLAGS_db.empty()) FLAGS_db = DefaultDb(FLAGS_kill_loop ? "loop" : "selftest");
  if (FLAGS_db.empty()) {
    std::fprintf(stderr, "synapsed_stress: --db is required (or --kill_loop)\n");
    return 2;
  }
  if (FLAGS_seed == 0) {
    FLAGS_seed =
        static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) %
        1000000007;
    std::printf("synapsed_stress: --seed=%llu\n", static_cast<unsigned long long>(FLAGS_seed));
  }
  if (FLAGS_kill_loop) return RunDriver();
  if (FLAGS_self_test_verifier) {
    int cases = 0;
    return synapsed::stress::RunVerifierSelfTest(WorkerFromFlags(), &cases);
  }
  return synapsed::stress::RunWorker(WorkerFromFlags());
}
