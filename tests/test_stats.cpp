// Percentiles, summaries and the log-linear histogram against values worked out by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include "harness/stats.hpp"

namespace ipcbench {
namespace {

std::vector<double> one_to(int n) {
  std::vector<double> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 1.0);
  return v;
}

TEST(Percentile, NearestRankOnOneToHundred) {
  auto v = one_to(100);
  EXPECT_EQ(percentile_sorted(v, 50), 50);
  EXPECT_EQ(percentile_sorted(v, 90), 90);
  EXPECT_EQ(percentile_sorted(v, 99), 99);
  EXPECT_EQ(percentile_sorted(v, 99.9), 100);
  EXPECT_EQ(percentile_sorted(v, 0), 1);
  EXPECT_EQ(percentile_sorted(v, 100), 100);
  EXPECT_EQ(percentile_sorted(v, 0.5), 1);
  EXPECT_EQ(percentile_sorted(v, 50.1), 51);
}

TEST(Percentile, SingleAndTwoElements) {
  std::vector<double> one{42};
  for (double p : {0.0, 1.0, 50.0, 99.9, 100.0}) EXPECT_EQ(percentile_sorted(one, p), 42) << p;
  std::vector<double> two{10, 20};
  EXPECT_EQ(percentile_sorted(two, 0), 10);
  EXPECT_EQ(percentile_sorted(two, 50), 10);  // half the samples are <= 10
  EXPECT_EQ(percentile_sorted(two, 50.5), 20);
  EXPECT_EQ(percentile_sorted(two, 90), 20);
  EXPECT_EQ(percentile_sorted(two, 100), 20);
  EXPECT_THROW(percentile_sorted(std::vector<double>{}, 50), std::invalid_argument);
}

// The definition, in integers: the smallest rank k with k/n >= p/100. Floating-point rounding in
// p/100*n must never move the answer by one sample.
TEST(Percentile, MatchesIntegerNearestRankForManySizes) {
  for (int n = 1; n <= 300; ++n) {
    auto v = one_to(n);
    for (int p_tenths = 1; p_tenths < 1000; ++p_tenths) {
      const long rank = (static_cast<long>(p_tenths) * n + 999) / 1000;  // ceil(p_tenths*n/1000)
      ASSERT_EQ(percentile_sorted(v, p_tenths / 10.0), static_cast<double>(rank)) << "n=" << n << " p=" << p_tenths / 10.0;
    }
  }
}

TEST(Summarize, MinMaxMeanStddevByHand) {
  std::vector<double> v{9, 2, 4, 5, 4, 7, 4, 5};
  auto s = summarize(v);
  EXPECT_EQ(s.count, 8u);
  EXPECT_EQ(s.min, 2);
  EXPECT_EQ(s.max, 9);
  EXPECT_DOUBLE_EQ(s.mean, 5.0);
  EXPECT_NEAR(s.stddev, std::sqrt(32.0 / 7.0), 1e-12);  // sample standard deviation (n-1)
  // Mid-quantiles: 4 (ranks 1-3) sits at mid-rank 2.5 of 8, 5 (ranks 4-5) at 5; the median, at 4, is 4 + 1.5/2.5.
  EXPECT_DOUBLE_EQ(s.p50, 4.6);
  EXPECT_DOUBLE_EQ(s.p90, 8.4);  // rank 7.2, between 7 (6.5) and 9 (7.5)
  EXPECT_TRUE(std::is_sorted(v.begin(), v.end())) << "summarize sorts in place";
}

TEST(MidQuantile, DistinctValuesInterpolateBetweenNeighbours) {
  const std::vector<double> odd{1, 2, 3}, even{1, 2, 3, 4}, two{10, 20};
  EXPECT_DOUBLE_EQ(mid_quantile_sorted(odd, 50), 2);
  EXPECT_DOUBLE_EQ(mid_quantile_sorted(even, 50), 2.5);
  EXPECT_DOUBLE_EQ(mid_quantile_sorted(two, 50), 15);
  EXPECT_DOUBLE_EQ(mid_quantile_sorted(even, 0), 1);
  EXPECT_DOUBLE_EQ(mid_quantile_sorted(even, 100), 4);
  EXPECT_DOUBLE_EQ(mid_quantile_sorted(even, 10), 1) << "below the first mid-rank: the minimum";
  EXPECT_DOUBLE_EQ(mid_quantile_sorted(std::vector<double>{7}, 99.9), 7);
  EXPECT_THROW(mid_quantile_sorted(std::vector<double>{}, 50), std::invalid_argument);
}

// Round trips of 136 +- 2 ns read through a clock that moves every 10 ns (an AMD TSC here): the samples land on
// 130 and 140 ns. The nearest rank says 140; the mid-quantile finds the median to within half a nanosecond.
// The same for a 128 ns floor (samples on 120 and 130: nearest rank 130).
TEST(MidQuantile, RecoversTheMedianThroughAStepwiseClock) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> jitter(0.0, 2.0);
  std::uniform_real_distribution<double> phase(0.0, 10.0);
  for (double true_median : {136.0, 128.0, 143.0}) {
    std::vector<double> v(200000);
    for (auto& x : v) {
      const double start = phase(rng), end = start + true_median + jitter(rng);
      x = std::floor(end / 10) * 10 - std::floor(start / 10) * 10;  // what two reads of the clock show
    }
    std::sort(v.begin(), v.end());
    EXPECT_NEAR(mid_quantile_sorted(v, 50), true_median, 0.5) << true_median;
    EXPECT_GT(std::abs(percentile_sorted(v, 50) - true_median), 1.9) << "nearest rank is a step's worth off";
  }
}

TEST(Summarize, StableForLargeOffsets) {
  std::vector<double> v{1e12 + 16, 1e12 + 4, 1e12 + 13, 1e12 + 7};
  auto s = summarize(v);
  EXPECT_DOUBLE_EQ(s.mean, 1e12 + 10);
  EXPECT_NEAR(s.stddev, std::sqrt(30.0), 1e-3);
  EXPECT_EQ(s.min, 1e12 + 4);
  EXPECT_EQ(s.max, 1e12 + 16);
}

TEST(Summarize, EmptyAndSingle) {
  std::vector<double> none;
  EXPECT_EQ(summarize(none).count, 0u);
  std::vector<double> one{123.5};
  auto s = summarize(one);
  EXPECT_EQ(s.count, 1u);
  EXPECT_EQ(s.min, 123.5);
  EXPECT_EQ(s.p999, 123.5);
  EXPECT_EQ(s.max, 123.5);
  EXPECT_EQ(s.mean, 123.5);
  EXPECT_EQ(s.stddev, 0);
}

TEST(HistogramLayout, ExactBelowThirtyTwo) {
  for (std::uint64_t v = 0; v < 32; ++v) {
    EXPECT_EQ(Histogram::bucket_lo(v), v);
    EXPECT_EQ(Histogram::bucket_hi(v), v + 1);
  }
}

void check_bucket(std::uint64_t v) {
  const auto lo = Histogram::bucket_lo(v), hi = Histogram::bucket_hi(v);
  ASSERT_LE(lo, v);
  ASSERT_LT(v, hi);
  ASSERT_LE((hi - lo) * 32, std::max<std::uint64_t>(lo, 32)) << "v=" << v;  // at most 1/32 of lo wide
  ASSERT_EQ(Histogram::bucket_lo(lo), lo);
  ASSERT_EQ(Histogram::bucket_lo(hi - 1), lo);  // one bucket covers [lo, hi)
  ASSERT_EQ(Histogram::bucket_lo(hi), hi);      // and the next one starts at hi: no gaps
}

TEST(HistogramLayout, EveryValueInsideItsBucket) {
  for (std::uint64_t v = 0; v < 200000; ++v) check_bucket(v);
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) check_bucket(rng() >> (rng() % 63 + 1));
  check_bucket((std::uint64_t{1} << 62) + 12345);
}

TEST(HistogramLayout, ThirtyTwoBucketsPerPowerOfTwo) {
  for (int k = 5; k <= 20; ++k) {
    std::set<std::uint64_t> los;
    for (std::uint64_t v = std::uint64_t{1} << k; v < std::uint64_t{1} << (k + 1); ++v) los.insert(Histogram::bucket_lo(v));
    EXPECT_EQ(los.size(), 32u) << "octave 2^" << k;
    EXPECT_EQ(*los.begin(), std::uint64_t{1} << k);
  }
}

TEST(HistogramFrom, CountsSumToNAndOrderDoesNotMatter) {
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> dist(7.0, 1.5);
  std::vector<double> values(5000);
  for (auto& x : values) x = dist(rng);
  values.push_back(0.0);
  values.push_back(31.9);
  auto shuffled = values;
  std::sort(values.begin(), values.end());

  auto a = Histogram::from(values);
  auto b = Histogram::from(shuffled);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < a.buckets.size(); ++i) {
    const auto& bk = a.buckets[i];
    EXPECT_GT(bk.count, 0u);
    EXPECT_EQ(bk.hi_ns, Histogram::bucket_hi(bk.lo_ns));
    if (i > 0) {
      EXPECT_LE(a.buckets[i - 1].hi_ns, bk.lo_ns) << "buckets ascending, not overlapping";
    }
    total += bk.count;
  }
  EXPECT_EQ(total, values.size());
  ASSERT_EQ(a.buckets.size(), b.buckets.size());
  for (std::size_t i = 0; i < a.buckets.size(); ++i) {
    EXPECT_EQ(a.buckets[i].lo_ns, b.buckets[i].lo_ns);
    EXPECT_EQ(a.buckets[i].count, b.buckets[i].count);
  }
  // Each value is counted in the bucket that holds it.
  for (double x : values) {
    auto v = static_cast<std::uint64_t>(x);
    auto it = std::find_if(a.buckets.begin(), a.buckets.end(), [&](const auto& bk) { return bk.lo_ns <= v && v < bk.hi_ns; });
    ASSERT_NE(it, a.buckets.end()) << x;
  }
}

TEST(HistogramFrom, HandCountedBuckets) {
  std::vector<double> v{40, 3, 3, 33, 32, 1000, 1001, 1023, 1024};
  auto h = Histogram::from(v);
  // 3 x2 | 32 | 33 | 40 | [992,1008): 1000,1001 | [1008,1024): 1023 | [1024,1056): 1024
  ASSERT_EQ(h.buckets.size(), 7u);
  EXPECT_EQ(h.buckets[0].lo_ns, 3u);
  EXPECT_EQ(h.buckets[0].count, 2u);
  EXPECT_EQ(h.buckets[3].lo_ns, 40u);
  EXPECT_EQ(h.buckets[3].hi_ns, 41u);
  EXPECT_EQ(h.buckets[4].lo_ns, 992u);
  EXPECT_EQ(h.buckets[4].hi_ns, 1008u);
  EXPECT_EQ(h.buckets[4].count, 2u);
  EXPECT_EQ(h.buckets[5].lo_ns, 1008u);
  EXPECT_EQ(h.buckets[5].count, 1u);
  EXPECT_EQ(h.buckets[6].lo_ns, 1024u);
  EXPECT_EQ(h.buckets[6].hi_ns, 1056u);
  EXPECT_EQ(h.buckets[6].count, 1u);
  EXPECT_TRUE(Histogram::from(std::vector<double>{}).buckets.empty());
}

}  // namespace
}  // namespace ipcbench
