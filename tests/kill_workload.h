// The deterministic workload shared by kill_writer (the child) and kill_test
// (the parent that checks what survived): batch i depends on i alone.
#ifndef SYNAPSED_TESTS_KILL_WORKLOAD_H_
#define SYNAPSED_TESTS_KILL_WORKLOAD_H_

#include <map>
#include <string>

#include "synapsed/write_batch.h"
#include "util/random.h"

namespace synapsed::test {

// Batch i: "last" = i, a few puts and deletes over a small key space, and
// sometimes a large value so records span WAL blocks.
template <typename Sink>
void ForEachKillUpdate(uint64_t i, Sink&& sink) {
  Random rnd(i * 7919 + 1);
  sink("last", std::to_string(i), true);
  int n = 1 + static_cast<int>(rnd.Uniform(4));
  for (int j = 0; j < n; j++) {
    std::string key = "k" + std::to_string(rnd.Uniform(300));
    if (rnd.OneIn(4)) {
      sink(key, std::string(), false);
    } else {
      size_t len = rnd.OneIn(200) ? 40000 : rnd.Uniform(200);
      sink(key, std::to_string(i) + ":" + std::string(len, 'v'), true);
    }
  }
}

inline WriteBatch KillWorkloadBatch(uint64_t i) {
  WriteBatch batch;
  ForEachKillUpdate(i, [&](const std::string& k, const std::string& v, bool put) {
    if (put) {
      batch.Put(k, v);
    } else {
      batch.Delete(k);
    }
  });
  return batch;
}

inline void ApplyKillBatch(uint64_t i, std::map<std::string, std::string>* kv) {
  ForEachKillUpdate(i, [&](const std::string& k, const std::string& v, bool put) {
    if (put) {
      (*kv)[k] = v;
    } else {
      kv->erase(k);
    }
  });
}

}  // namespace synapsed::test

#endif  // SYNAPSED_TESTS_KILL_WORKLOAD_H_
