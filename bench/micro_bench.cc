// Micro-benchmarks of the hot paths (Google Benchmark), one binary:
//   build/release/bench/synapsed_micro_bench [--benchmark_filter=...]
// Speed targets live here and in synapsed_bench, never in timed unit tests.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "memtable/arena.h"
#include "memtable/memtable.h"
#include "memtable/skiplist.h"
#include "synapsed/file_system.h"
#include "util/hash.h"
#include "util/internal_key.h"
#include "util/random.h"
#include "wal/log_writer.h"

namespace synapsed {
namespace {

// db_bench-like 16-byte keys: 8 bytes big-endian number, then '0' padding.
std::string BenchKey(uint64_t n) {
  std::string k(16, '0');
  for (int i = 0; i < 8; i++) k[i] = static_cast<char>(n >> (56 - 8 * i));
  return k;
}

void BM_ArenaAllocate(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    Arena arena;
    for (int i = 0; i < 10000; i++) benchmark::DoNotOptimize(arena.Allocate(size));
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_ArenaAllocate)->Arg(16)->Arg(128);

void BM_Checksum(benchmark::State& state) {
  std::string data(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(Checksum32(data, 7));
  state.SetBytesProcessed(state.iterations() * data.size());
}
BENCHMARK(BM_Checksum)->Arg(128)->Arg(4096)->Arg(32768);

void BM_CompareInternalKeys(benchmark::State& state) {
  std::vector<std::string> keys;
  for (uint64_t i = 0; i < 1024; i++) {
    std::string k;
    AppendInternalKey(&k, BenchKey(i * 7919 % 1024), i, ValueType::kValue);
    keys.push_back(k);
  }
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(CompareInternalKeys(keys[i & 1023], keys[(i + 1) & 1023]));
    i++;
  }
}
BENCHMARK(BM_CompareInternalKeys);

struct U64Cmp {
  int operator()(uint64_t a, uint64_t b) const { return a < b ? -1 : (a > b ? 1 : 0); }
};

void BM_SkipListInsert(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    Arena arena;
    SkipList<uint64_t, U64Cmp> list(U64Cmp(), &arena);
    Random rnd(1);
    std::vector<uint64_t> keys(n);
    for (auto& k : keys) k = rnd.Next64();
    state.ResumeTiming();
    for (uint64_t k : keys) list.Insert(k);
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_SkipListInsert)->Arg(100000);

void BM_MemTableAddRandom(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::string value(100, 'v');
  for (auto _ : state) {
    state.PauseTiming();
    auto mem = std::make_unique<MemTable>();
    Random rnd(1);
    std::vector<std::string> keys(n);
    for (auto& k : keys) k = BenchKey(rnd.Uniform(n));
    state.ResumeTiming();
    SequenceNumber seq = 1;
    for (const auto& k : keys) mem->Add(seq++, ValueType::kValue, k, value);
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_MemTableAddRandom)->Arg(100000);

void BM_MemTableGet(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  MemTable mem;
  std::string value(100, 'v');
  for (int i = 0; i < n; i++) mem.Add(i + 1, ValueType::kValue, BenchKey(i), value);
  Random rnd(2);
  std::string out;
  for (auto _ : state) {
    bool found;
    LookupKey key(BenchKey(rnd.Uniform(n)), kMaxSequenceNumber);
    benchmark::DoNotOptimize(mem.Get(key, &out, &found));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MemTableGet)->Arg(100000)->Arg(1000000);

void BM_MemTableSeek(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto mem = std::make_shared<MemTable>();
  std::string value(100, 'v');
  for (int i = 0; i < n; i++) mem->Add(i + 1, ValueType::kValue, BenchKey(i), value);
  auto iter = MemTable::NewIterator(mem);
  Random rnd(3);
  std::string target;
  for (auto _ : state) {
    target.clear();
    AppendInternalKey(&target, BenchKey(rnd.Uniform(n)), kMaxSequenceNumber, kValueTypeForSeek);
    iter->Seek(target);
    benchmark::DoNotOptimize(iter->Valid());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MemTableSeek)->Arg(100000);

// A sink that keeps nothing: the cost of framing and checksumming a record.
class NullFile final : public WritableFile {
 public:
  Status Append(std::string_view data) override {
    size_ += data.size();
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  uint64_t Size() const override { return size_; }

 private:
  uint64_t size_ = 0;
};

void BM_WalAddRecord(benchmark::State& state) {
  wal::Writer writer(std::make_unique<NullFile>(), 1);
  std::string record(static_cast<size_t>(state.range(0)), 'r');
  for (auto _ : state) {
    Status s = writer.AddRecord(record);
    if (!s.ok()) state.SkipWithError("append failed");
  }
  state.SetBytesProcessed(state.iterations() * record.size());
}
BENCHMARK(BM_WalAddRecord)->Arg(128)->Arg(4096)->Arg(100000);

}  // namespace
}  // namespace synapsed

BENCHMARK_MAIN();
