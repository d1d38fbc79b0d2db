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

double mid_quantile_sorted(std::span<const double> sorted, double p) {
  if (sorted.empty()) throw std::invalid_argument("quantile of an empty sample");
  const auto n = static_cast<double>(sorted.size());
  // The run of samples equal to sorted[i], and its mid-rank (in samples: first index + half its length).
  struct Group {
    double value, mid;
    std::size_t lo, hi;
  };
  auto group_at = [&](std::size_t i) {
    auto [lo, hi] = std::equal_range(sorted.begin(), sorted.end(), sorted[i]);
    const auto l = static_cast<std::size_t>(lo - sorted.begin()), h = static_cast<std::size_t>(hi - sorted.begin());
    return Group{sorted[i], (static_cast<double>(l) + static_cast<double>(h)) / 2.0, l, h};
  };
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * n;  // the mid-rank wanted
  const Group g = group_at(std::min(static_cast<std::size_t>(rank), sorted.size() - 1));
  if (rank >= g.mid) {
    if (g.hi == sorted.size()) return g.value;
    const Group next = group_at(g.hi);
    return g.value + (next.value - g.value) * (rank - g.mid) / (next.mid - g.mid);
  }
  if (g.lo == 0) return g.value;
  const Group prev = group_at(g.lo - 1);
  return prev.value + (g.value - prev.value) * (rank - prev.mid) / (g.mid - prev.mid);
}

Summary summarize(std::vector<double>& values) {
  Summary s;
  s.count = values.size();
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.min = values.front();
  s.max = values.back();
  s.p50 = mid_quantile_sorted(values, 50);
  s.p90 = mid_quantile_sorted(values, 90);
  s.p99 = mid_quantile_sorted(values, 99);
  s.p999 = mid_quantile_sorted(values, 99.9);
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
