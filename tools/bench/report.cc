#include "tools/bench/report.h"

#include <cinttypes>
#include <cstdio>

namespace synapsed::bench {

const char kResultLineRegex[] =
    R"(^(\w+)\s*:\s*([0-9.]+) micros/op ([0-9]+) ops/sec ([0-9.]+) seconds ([0-9]+) operations;)";

std::string FormatResultLine(const Result& r) {
  std::string extra;
  const double elapsed = r.elapsed_seconds > 0 ? r.elapsed_seconds : 1e-9;
  if (r.bytes > 0) {
    char rate[64];
    std::snprintf(rate, sizeof(rate), "%6.1f MB/s", (r.bytes / 1048576.0) / elapsed);
    extra = rate;
  }
  if (!r.message.empty()) {
    if (!extra.empty()) extra += " ";
    extra += r.message;
  }
  const uint64_t ops = r.ops > 0 ? r.ops : 1;
  char line[512];
  std::snprintf(line, sizeof(line),
                "%-12s : %11.3f micros/op %ld ops/sec %.3f seconds %" PRIu64 " operations;%s%s\n",
                r.name.c_str(), r.thread_seconds * 1e6 / ops,
                static_cast<long>(r.ops / elapsed), r.elapsed_seconds, r.ops,
                extra.empty() ? "" : " ", extra.c_str());
  return line;
}

}  // namespace synapsed::bench
