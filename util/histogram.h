// Histogram: counts of non-negative samples (latencies in microseconds) in
// exponentially growing buckets, with percentiles interpolated inside a
// bucket. Used by synapsed_bench (--histogram) and, later, statistics.
//
// Thread safety: none; merge per-thread histograms with Merge.
#ifndef SYNAPSED_UTIL_HISTOGRAM_H_
#define SYNAPSED_UTIL_HISTOGRAM_H_

#include <cstdint>
#include <string>
#include <vector>

namespace synapsed {

class Histogram {
 public:
  Histogram();
  void Clear();
  void Add(double value);
  void Merge(const Histogram& other);

  uint64_t count() const { return count_; }
  double min() const { return count_ == 0 ? 0 : min_; }
  double max() const { return max_; }
  double Average() const;
  double StandardDeviation() const;
  // p in [0, 100].
  double Percentile(double p) const;
  double Median() const { return Percentile(50); }

  // The db_bench layout: count, average, stddev, min/median/max, the
  // P50..P99.99 line, then one row per non-empty bucket with its share and
  // the cumulative share.
  std::string ToString() const;

  // Upper (exclusive) limits of the buckets; the last one is unbounded.
  static const std::vector<double>& BucketLimits();

 private:
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  double min_ = 0;
  double max_ = 0;
  double sum_ = 0;
  double sum_squares_ = 0;
};

}  // namespace synapsed

#endif  // SYNAPSED_UTIL_HISTOGRAM_H_
