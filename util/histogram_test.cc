#include "util/histogram.h"

#include <gtest/gtest.h>

namespace synapsed {

TEST(HistogramTest, EmptyIsZero) {
  Histogram h;
  EXPECT_EQ(0u, h.count());
  EXPECT_EQ(0, h.Average());
  EXPECT_EQ(0, h.Percentile(99));
}

TEST(HistogramTest, StatsAndPercentiles) {
  Histogram h;
  for (int i = 1; i <= 1000; i++) h.Add(i);
  EXPECT_EQ(1000u, h.count());
  EXPECT_DOUBLE_EQ(500.5, h.Average());
  EXPECT_NEAR(288.7, h.StandardDeviation(), 0.1);
  EXPECT_EQ(1, h.min());
  EXPECT_EQ(1000, h.max());
  // Bucket interpolation keeps percentiles within a bucket's width (~15%).
  EXPECT_NEAR(500, h.Median(), 500 * 0.15);
  EXPECT_NEAR(990, h.Percentile(99), 990 * 0.15);
  EXPECT_LE(h.Percentile(99.99), 1000);
  EXPECT_LE(h.Percentile(50), h.Percentile(75));
  EXPECT_LE(h.Percentile(75), h.Percentile(99));
}

TEST(HistogramTest, MergeEqualsAddingAll) {
  Histogram a, b, all;
  for (int i = 0; i < 500; i++) {
    a.Add(i * 0.5);
    all.Add(i * 0.5);
    b.Add(i * 7.0);
    all.Add(i * 7.0);
  }
  a.Merge(b);
  EXPECT_EQ(all.count(), a.count());
  EXPECT_DOUBLE_EQ(all.Average(), a.Average());
  EXPECT_DOUBLE_EQ(all.Percentile(99), a.Percentile(99));
  EXPECT_EQ(all.ToString(), a.ToString());
}

TEST(HistogramTest, ToStringHasDbBenchPercentileLine) {
  Histogram h;
  for (int i = 0; i < 100; i++) h.Add(3);
  std::string s = h.ToString();
  EXPECT_NE(std::string::npos, s.find("Count: 100 Average: 3.0000")) << s;
  EXPECT_NE(std::string::npos, s.find("Percentiles: P50: ")) << s;
  EXPECT_NE(std::string::npos, s.find("P99.99: ")) << s;
}

}  // namespace synapsed
