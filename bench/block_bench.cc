// Block compression on the read and write paths: one 4 KiB block of
// db_bench-like entries (16-byte keys, 100-byte values half compressible)
// compressed and uncompressed with each codec, as every table write and
// every block-cache miss does.
#include <benchmark/benchmark.h>

#include <string>

#include "sstable/compression.h"
#include "util/random.h"

namespace synapsed {
namespace {

std::string BenchBlock() {
  Random rnd(301);
  std::string block;
  while (block.size() < 4096) {
    for (int i = 0; i < 16; i++) block.push_back(static_cast<char>('a' + rnd.Uniform(26)));
    for (int i = 0; i < 50; i++) block.push_back(static_cast<char>(rnd.Uniform(256)));
    block.append(50, 'x');
  }
  block.resize(4096);
  return block;
}

void BM_CompressBlock(benchmark::State& state) {
  const auto type = static_cast<BlockCompression>(state.range(0));
  const std::string block = BenchBlock();
  std::string out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(CompressBlock(type, 3, block, &out));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(block.size()));
  state.SetLabel(std::string(CompressionName(type)));
}
BENCHMARK(BM_CompressBlock)
    ->Arg(static_cast<int>(BlockCompression::kLZ4))
    ->Arg(static_cast<int>(BlockCompression::kZstd));

void BM_UncompressBlock(benchmark::State& state) {
  const auto type = static_cast<BlockCompression>(state.range(0));
  const std::string block = BenchBlock();
  std::string compressed;
  if (!CompressBlock(type, 3, block, &compressed)) state.SkipWithError("not compressible");
  std::string out;
  for (auto _ : state) {
    Status s = UncompressBlock(type, compressed, &out);
    if (!s.ok()) state.SkipWithError("corrupt");
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(block.size()));
  state.SetLabel(std::string(CompressionName(type)));
}
BENCHMARK(BM_UncompressBlock)
    ->Arg(static_cast<int>(BlockCompression::kLZ4))
    ->Arg(static_cast<int>(BlockCompression::kZstd));

}  // namespace
}  // namespace synapsed
