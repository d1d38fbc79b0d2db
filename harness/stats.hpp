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
// Sorts `values` in place.
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
