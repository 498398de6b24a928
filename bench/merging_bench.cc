// Micro-benchmarks of the merging iterator, part of synapsed_micro_bench:
//   synapsed_micro_bench --benchmark_filter=BM_Merging
// Next() over 4 and 16 children of 100K entries each, keys dealt round-robin
// so consecutive entries come from different children (the heap's worst
// case). Memtable children show the read-path cost; flat (array) children
// isolate the merge itself.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "compaction/merging_iterator.h"
#include "memtable/memtable.h"
#include "util/internal_key.h"

namespace synapsed {
namespace {

constexpr uint64_t kEntriesPerChild = 100000;
constexpr size_t kUserKeyBytes = 16;
constexpr size_t kKeyBytes = kUserKeyBytes + kTagBytes;
constexpr size_t kValueBytes = 8;

// Child c of n holds the numbers c, c + n, c + 2n, ...: 16-byte big-endian
// keys, as in micro_bench.cc.
void AppendBenchEntry(std::string* dst, uint64_t n) {
  std::string k(kUserKeyBytes, '0');
  for (int i = 0; i < 8; i++) k[i] = static_cast<char>(n >> (56 - 8 * i));
  AppendInternalKey(dst, k, n + 1, ValueType::kValue);
}

// Fixed-size entries packed in one buffer, so the child itself costs next to
// nothing and the numbers show the merge.
class FlatIterator final : public InternalIterator {
 public:
  explicit FlatIterator(const std::string* keys) : keys_(keys), n_(keys->size() / kKeyBytes) {}
  bool Valid() const override { return pos_ < n_; }
  void SeekToFirst() override { pos_ = 0; }
  void SeekToLast() override { pos_ = n_ == 0 ? 0 : n_ - 1; }
  void Seek(std::string_view target) override {
    size_t lo = 0, hi = n_;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (CompareInternalKeys(At(mid), target) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    pos_ = lo;
  }
  void SeekForPrev(std::string_view target) override {
    Seek(target);
    if (pos_ < n_ && CompareInternalKeys(At(pos_), target) == 0) return;
    pos_ = pos_ == 0 ? n_ : pos_ - 1;
  }
  void Next() override { pos_++; }
  void Prev() override { pos_ = pos_ == 0 ? n_ : pos_ - 1; }
  std::string_view key() const override { return At(pos_); }
  std::string_view value() const override { return key().substr(0, kValueBytes); }
  Status status() const override { return Status::OK(); }

 private:
  std::string_view At(size_t i) const {
    return std::string_view(*keys_).substr(i * kKeyBytes, kKeyBytes);
  }
  const std::string* keys_;
  size_t n_;
  size_t pos_ = 0;
};

// Built once per child count and kept for the process: Google Benchmark calls
// each benchmark several times while sizing its iteration count.
template <typename Source>
const std::vector<Source>& Sources(int n, Source (*make)(int child, int n)) {
  static std::map<int, std::vector<Source>> cache;
  auto& sources = cache[n];
  if (sources.empty()) {
    for (int c = 0; c < n; c++) sources.push_back(make(c, n));
  }
  return sources;
}

std::shared_ptr<MemTable> MakeMemTable(int child, int n) {
  auto mem = std::make_shared<MemTable>();
  const std::string value(kValueBytes, 'v');
  std::string ikey;
  for (uint64_t i = 0; i < kEntriesPerChild; i++) {
    const uint64_t num = i * n + child;
    ikey.clear();
    AppendBenchEntry(&ikey, num);
    mem->Add(num + 1, ValueType::kValue, ExtractUserKey(ikey), value);
  }
  return mem;
}

std::string MakeFlat(int child, int n) {
  std::string keys;
  keys.reserve(kEntriesPerChild * kKeyBytes);
  for (uint64_t i = 0; i < kEntriesPerChild; i++) AppendBenchEntry(&keys, i * n + child);
  return keys;
}

void RunNext(benchmark::State& state, std::vector<std::unique_ptr<InternalIterator>> children) {
  auto it = NewMergingIterator(std::move(children));
  it->SeekToFirst();
  for (auto _ : state) {
    it->Next();
    if (!it->Valid()) [[unlikely]]
      it->SeekToFirst();
    benchmark::DoNotOptimize(it->key().data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_MergingNextMemTable(benchmark::State& state) {
  std::vector<std::unique_ptr<InternalIterator>> children;
  for (const auto& mem : Sources(static_cast<int>(state.range(0)), &MakeMemTable)) {
    children.push_back(MemTable::NewIterator(mem));
  }
  RunNext(state, std::move(children));
}
BENCHMARK(BM_MergingNextMemTable)->Arg(4)->Arg(16);

void BM_MergingNextFlat(benchmark::State& state) {
  std::vector<std::unique_ptr<InternalIterator>> children;
  for (const auto& keys : Sources(static_cast<int>(state.range(0)), &MakeFlat)) {
    children.push_back(std::make_unique<FlatIterator>(&keys));
  }
  RunNext(state, std::move(children));
}
BENCHMARK(BM_MergingNextFlat)->Arg(4)->Arg(16);

}  // namespace
}  // namespace synapsed
