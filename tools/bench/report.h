// Result lines and headers in db_bench's exact format, so one regular
// expression parses the output of both tools:
//
//   fillseq      :       6.925 micros/op 144352 ops/sec 0.069 seconds 10000 operations;   16.0 MB/s
//   readrandom   :       1.559 micros/op 634517 ops/sec 0.002 seconds 1000 operations;   70.2 MB/s (1000 of 1000 found)
#ifndef SYNAPSED_TOOLS_BENCH_REPORT_H_
#define SYNAPSED_TOOLS_BENCH_REPORT_H_

#include <cstdint>
#include <string>

namespace synapsed::bench {

struct Result {
  std::string name;
  uint64_t ops = 0;
  double elapsed_seconds = 0;       // wall time, first thread start to last finish
  double thread_seconds = 0;        // sum of the threads' own times
  uint64_t bytes = 0;               // 0: no MB/s column
  std::string message;              // e.g. "(1000 of 1000 found)"
};

// The db_bench result line (with its trailing newline).
std::string FormatResultLine(const Result& r);

// The regular expression the bench harness and the tests use to parse a
// result line (groups: name, micros/op, ops/sec, seconds, operations).
extern const char kResultLineRegex[];

}  // namespace synapsed::bench

#endif  // SYNAPSED_TOOLS_BENCH_REPORT_H_
