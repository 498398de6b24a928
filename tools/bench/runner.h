// Runner: runs db_bench-style benchmarks against a synapsed database and
// prints db_bench's header and result lines on stdout, progress on stderr.
//
// Semantics follow db_bench: fill benchmarks start from a fresh database
// (they are skipped with --use_existing_db), every thread does the full
// count, keys are uniform in [0, num) from --seed (+ thread id).
#ifndef SYNAPSED_TOOLS_BENCH_RUNNER_H_
#define SYNAPSED_TOOLS_BENCH_RUNNER_H_

#include <cstdio>
#include <memory>

#include "synapsed/cache.h"
#include "synapsed/db.h"
#include "tools/bench/config.h"
#include "tools/bench/report.h"

namespace synapsed::bench {

class Runner {
 public:
  Runner(BenchConfig config, std::FILE* out, std::FILE* progress);
  ~Runner();
  // Runs every benchmark of the config; non-OK on the first engine error.
  Status Run();
  // The results printed so far.
  const std::vector<Result>& results() const { return results_; }

 private:
  struct ThreadState;
  using Method = void (Runner::*)(ThreadState*);

  void PrintHeader();
  Status OpenDb(bool fresh);
  Status RunOne(const std::string& name);
  Result RunThreads(const std::string& name, int n, Method method, bool extra_writer);

  void DoWrite(ThreadState* t);
  void DoReadRandom(ThreadState* t);
  void DoReadSeq(ThreadState* t);
  void DoReadReverse(ThreadState* t);
  void DoSeekRandom(ThreadState* t);
  void DoMultiReadRandom(ThreadState* t);
  void DoDeleteRandom(ThreadState* t);
  void DoBackgroundWriter(ThreadState* t);
  void Fail(const Status& s);

  BenchConfig config_;
  std::FILE* const out_;
  std::FILE* const progress_;
  std::shared_ptr<Cache> block_cache_;  // one cache across reopens, as db_bench
  std::unique_ptr<DB> db_;
  std::vector<Result> results_;
  uint64_t threads_started_ = 0;  // over the whole run: offsets each thread's seed
  struct Shared;
  std::unique_ptr<Shared> shared_;
};

}  // namespace synapsed::bench

#endif  // SYNAPSED_TOOLS_BENCH_RUNNER_H_
