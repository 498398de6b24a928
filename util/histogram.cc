#include "util/histogram.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <limits>

namespace synapsed {

const std::vector<double>& Histogram::BucketLimits() {
  // 1, 2, 3, ..., 10, then steps growing ~15% per bucket, rounded to two
  // significant figures so the printed limits read well, up to 1e10.
  static const std::vector<double> limits = [] {
    std::vector<double> v;
    for (int i = 1; i <= 10; i++) v.push_back(i);
    double x = 10;
    while (x < 1e10) {
      x *= 1.15;
      double scale = std::pow(10, std::floor(std::log10(x)) - 1);
      double rounded = std::round(x / scale) * scale;
      if (rounded > v.back()) v.push_back(rounded);
    }
    v.push_back(std::numeric_limits<double>::infinity());
    return v;
  }();
  return limits;
}

Histogram::Histogram() : buckets_(BucketLimits().size(), 0) {}

void Histogram::Clear() {
  std::fill(buckets_.begin(), buckets_.end(), 0);
  count_ = 0;
  min_ = max_ = sum_ = sum_squares_ = 0;
}

void Histogram::Add(double value) {
  const auto& limits = BucketLimits();
  size_t b = std::upper_bound(limits.begin(), limits.end(), value) - limits.begin();
  buckets_[std::min(b, buckets_.size() - 1)]++;
  min_ = count_ == 0 ? value : std::min(min_, value);
  max_ = count_ == 0 ? value : std::max(max_, value);
  count_++;
  sum_ += value;
  sum_squares_ += value * value;
}

void Histogram::Merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (size_t b = 0; b < buckets_.size(); b++) buckets_[b] += other.buckets_[b];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = count_ == 0 ? other.max_ : std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
  sum_squares_ += other.sum_squares_;
}

double Histogram::Average() const { return count_ == 0 ? 0 : sum_ / count_; }

double Histogram::StandardDeviation() const {
  if (count_ == 0) return 0;
  double variance = (sum_squares_ * count_ - sum_ * sum_) / (static_cast<double>(count_) * count_);
  return std::sqrt(std::max(0.0, variance));
}

double Histogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  const auto& limits = BucketLimits();
  const double threshold = count_ * (p / 100.0);
  double cumulative = 0;
  for (size_t b = 0; b < buckets_.size(); b++) {
    cumulative += buckets_[b];
    if (cumulative >= threshold && buckets_[b] > 0) {
      // Interpolate linearly within the bucket, clamped to what was seen.
      double left = b == 0 ? 0 : limits[b - 1];
      double right = std::isinf(limits[b]) ? max_ : limits[b];
      double before = cumulative - buckets_[b];
      double pos = (threshold - before) / buckets_[b];
      double r = left + (right - left) * pos;
      return std::clamp(r, min_, max_);
    }
  }
  return max_;
}

std::string Histogram::ToString() const {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof(buf), "Count: %" PRIu64 " Average: %.4f  StdDev: %.2f\n", count_,
                Average(), StandardDeviation());
  out += buf;
  std::snprintf(buf, sizeof(buf), "Min: %.4f  Median: %.4f  Max: %.4f\n", min(), Median(), max_);
  out += buf;
  std::snprintf(buf, sizeof(buf),
                "Percentiles: P50: %.2f P75: %.2f P99: %.2f P99.9: %.2f P99.99: %.2f\n",
                Percentile(50), Percentile(75), Percentile(99), Percentile(99.9),
                Percentile(99.99));
  out += buf;
  out += "------------------------------------------------------\n";
  const auto& limits = BucketLimits();
  double cumulative = 0;
  for (size_t b = 0; b < buckets_.size(); b++) {
    if (buckets_[b] == 0) continue;
    cumulative += buckets_[b];
    double left = b == 0 ? 0 : limits[b - 1];
    std::snprintf(buf, sizeof(buf), "[ %7.0f, %7.0f ) %8" PRIu64 " %7.3f%% %7.3f%%\n", left,
                  limits[b], buckets_[b], 100.0 * buckets_[b] / count_,
                  100.0 * cumulative / count_);
    out += buf;
  }
  return out;
}

}  // namespace synapsed
