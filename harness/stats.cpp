#include "harness/stats.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>

namespace ipcbench {

double percentile_sorted(std::span<const double> sorted, double p) {
  if (sorted.empty()) throw std::invalid_argument("percentile of an empty sample");
  if (p <= 0) return sorted.front();
  if (p >= 100) return sorted.back();
  // p*n/100 is often an exact integer (p=28, n=25 -> 7) that rounding lifts just above it, and ceil would
  // then skip a sample; the relative slack is far above rounding error and far below any real fraction.
  const double exact_rank = p * static_cast<double>(sorted.size()) / 100.0;
  auto rank = static_cast<std::size_t>(std::ceil(exact_rank * (1.0 - 1e-14)));
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

Summary summarize(std::vector<double>& values) {
  Summary s;
  s.count = values.size();
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.min = values.front();
  s.max = values.back();
  s.p50 = percentile_sorted(values, 50);
  s.p90 = percentile_sorted(values, 90);
  s.p99 = percentile_sorted(values, 99);
  s.p999 = percentile_sorted(values, 99.9);
  // Welford: stable for millions of samples.
  double mean = 0, m2 = 0;
  std::size_t n = 0;
  for (double v : values) {
    ++n;
    double d = v - mean;
    mean += d / static_cast<double>(n);
    m2 += d * (v - mean);
  }
  s.mean = mean;
  s.stddev = n > 1 ? std::sqrt(m2 / static_cast<double>(n - 1)) : 0.0;
  return s;
}

std::uint64_t Histogram::bucket_lo(std::uint64_t v) {
  if (v < (1u << kSubBits)) return v;
  int shift = static_cast<int>(std::bit_width(v)) - 1 - kSubBits;
  return (v >> shift) << shift;
}

std::uint64_t Histogram::bucket_hi(std::uint64_t v) {
  if (v < (1u << kSubBits)) return v + 1;
  int shift = static_cast<int>(std::bit_width(v)) - 1 - kSubBits;
  return ((v >> shift) + 1) << shift;
}

Histogram Histogram::from(std::span<const double> values_ns) {
  std::vector<double> copy;
  if (!std::is_sorted(values_ns.begin(), values_ns.end())) {
    copy.assign(values_ns.begin(), values_ns.end());
    std::sort(copy.begin(), copy.end());
    values_ns = copy;
  }
  Histogram h;
  for (double v : values_ns) {
    auto lo = bucket_lo(static_cast<std::uint64_t>(std::max(0.0, v)));
    if (h.buckets.empty() || h.buckets.back().lo_ns != lo) h.buckets.push_back({lo, bucket_hi(lo), 0});
    ++h.buckets.back().count;
  }
  return h;
}

}  // namespace ipcbench
