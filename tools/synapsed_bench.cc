// synapsed_bench: RocksDB db_bench's command line and output, run against
// synapsed. See docs/performance.md.
#include <gflags/gflags.h>

#include <cstdio>

#include "tools/bench/config.h"
#include "tools/bench/runner.h"

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "synapsed_bench --benchmarks=fillseq,readrandom [--num=N --reads=N ...]\n"
      "db_bench's flags, benchmarks and output format; see docs/performance.md.");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (argc > 1) {
    std::fprintf(stderr, "synapsed_bench: unexpected argument '%s'\n", argv[1]);
    return 1;
  }
  synapsed::bench::BenchConfig config;
  synapsed::Status s = synapsed::bench::ConfigFromFlags(&config);
  if (!s.ok()) {
    std::fprintf(stderr, "synapsed_bench: %s\n", s.ToString().c_str());
    return 1;
  }
  synapsed::bench::Runner runner(std::move(config), stdout, stderr);
  s = runner.Run();
  if (!s.ok()) {
    std::fprintf(stderr, "synapsed_bench: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
