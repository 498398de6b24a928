#include "sstable/bloom_filter.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace synapsed {

namespace {
std::string Key(uint64_t i) { return "key" + std::to_string(i); }

double FalsePositiveRate(int bits_per_key, uint64_t n) {
  BloomFilterBuilder builder(bits_per_key);
  for (uint64_t i = 0; i < n; i++) builder.AddHash(FilterHash(Key(i)));
  std::string filter = builder.Finish();
  BloomFilterReader reader(filter);
  EXPECT_TRUE(reader.valid());
  for (uint64_t i = 0; i < n; i++) {
    EXPECT_TRUE(reader.MayMatch(FilterHash(Key(i)))) << "false negative for " << i;
  }
  uint64_t fp = 0;
  const uint64_t probes = 200000;
  for (uint64_t i = 0; i < probes; i++) fp += reader.MayMatch(FilterHash(Key(n + 1000000 + i)));
  return static_cast<double>(fp) / probes;
}
}  // namespace

TEST(BloomFilterTest, NoFalseNegativesAndTheAdvertisedRate) {
  // DESIGN: at most 1.2% false positives at 10 bits per key.
  for (uint64_t n : {1000u, 100000u}) {
    double rate = FalsePositiveRate(10, n);
    std::printf("bits/key 10, %llu keys: false-positive rate %.3f%%\n",
                static_cast<unsigned long long>(n), rate * 100);
    EXPECT_LE(rate, 0.012) << n;
  }
  EXPECT_LE(FalsePositiveRate(16, 50000), 0.002);
  EXPECT_LE(FalsePositiveRate(5, 50000), 0.12);
}

TEST(BloomFilterTest, SmallAndEmptyFilters) {
  BloomFilterBuilder empty(10);
  std::string f = empty.Finish();
  BloomFilterReader r(f);
  ASSERT_TRUE(r.valid());
  EXPECT_FALSE(r.MayMatch(FilterHash("anything")));
  BloomFilterBuilder one(10);
  one.AddHash(FilterHash("x"));
  std::string g = one.Finish();
  BloomFilterReader r1(g);
  EXPECT_TRUE(r1.MayMatch(FilterHash("x")));
}

TEST(BloomFilterTest, MalformedFiltersMatchEverything) {
  BloomFilterBuilder b(10);
  for (int i = 0; i < 100; i++) b.AddHash(FilterHash(Key(i)));
  std::string good = b.Finish();
  for (std::string bad :
       {std::string(), std::string("abc"), good.substr(1), good.substr(0, good.size() - 1)}) {
    BloomFilterReader r(bad);
    EXPECT_FALSE(r.valid());
    EXPECT_TRUE(r.MayMatch(FilterHash("never added")));  // costs a read, never correctness
  }
  std::string wrong_version = good;
  wrong_version.back() = 9;
  EXPECT_FALSE(BloomFilterReader(wrong_version).valid());
}

}  // namespace synapsed
