#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace ipcbench {

struct Summary {
  std::size_t count = 0;
  double min = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0, stddev = 0;
};

// Nearest-rank percentile of sorted data: the smallest value with at least p% of samples at or below it.
double percentile_sorted(std::span<const double> sorted, double p);
// Mid-quantile of sorted data (Ma, Genton and Parzen, "Asymptotic properties of sample quantiles of discrete
// distributions", 2011): each distinct value v sits at its mid-rank, (samples below v + half the samples equal to
// v) / n, and a quantile is read by linear interpolation between neighbouring values' mid-ranks. Where every value
// is distinct it is the Hazen quantile, within one sample of the nearest rank. Where a clock moves in steps (10 ns
// on an AMD TSC) the samples pile up on a few values and the nearest rank jumps a whole step as half the samples
// cross from one to the next; the mid-quantile moves with them, and recovers the median of a narrow distribution
// read through a step-wise clock to well within a step (tests/test_stats.cpp).
double mid_quantile_sorted(std::span<const double> sorted, double p);
// Sorts `values` in place. Percentiles are mid-quantiles.
Summary summarize(std::vector<double>& values);

// Log-linear histogram (HDR style): values below 2^kSubBits ns get one bucket per nanosecond; above that,
// every power of two is split into 2^kSubBits equal buckets, so a bucket is at most 1/32 (3.1%) wide
// relative to its lower bound. Only non-empty buckets are kept.
struct Histogram {
  static constexpr int kSubBits = 5;
  struct Bucket {
    std::uint64_t lo_ns, hi_ns, count;  // [lo, hi)
  };
  std::vector<Bucket> buckets;

  static Histogram from(std::span<const double> values_ns);
  static std::uint64_t bucket_lo(std::uint64_t v);
  static std::uint64_t bucket_hi(std::uint64_t v);
};

}  // namespace ipcbench
