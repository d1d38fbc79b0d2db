// Statistics across repetitions: shuffle, median, CV, bootstrap CI, Mann-Whitney U, summary[].
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <vector>

#include "harness/repeat.hpp"
#include "harness/sweep.hpp"

namespace ipcbench {
namespace {

using nlohmann::json;

TEST(Shuffle, IsAPermutationAndReproducible) {
  for (std::size_t n : {0u, 1u, 2u, 7u, 100u}) {
    auto a = shuffled_order(n, 42);
    auto sorted = a;
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::size_t> identity(n);
    std::iota(identity.begin(), identity.end(), 0);
    EXPECT_EQ(sorted, identity) << n;
    EXPECT_EQ(a, shuffled_order(n, 42)) << n;
  }
  EXPECT_NE(shuffled_order(100, 1), shuffled_order(100, 2));
  std::vector<std::size_t> identity(100);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_NE(shuffled_order(100, 1), identity);
}

TEST(Shuffle, EveryPositionIsReachedRoughlyEvenly) {
  // 3 items, 6000 seeds: each of the 6 orders about 1000 times (a biased draw would skew this far more).
  std::map<std::vector<std::size_t>, int> seen;
  for (std::uint64_t seed = 0; seed < 6000; ++seed) ++seen[shuffled_order(3, seed)];
  EXPECT_EQ(seen.size(), 6u);
  for (const auto& [order, count] : seen) EXPECT_NEAR(count, 1000, 150);
}

TEST(RepeatRuns, EveryConfigurationRTimesShuffledWithTheSeed) {
  std::vector<PlannedRun> planned(4);
  for (std::size_t i = 0; i < planned.size(); ++i) planned[i].config_id = i;
  auto runs = repeat_runs(planned, 3, 9);
  ASSERT_EQ(runs.size(), 12u);
  std::set<std::pair<std::size_t, std::size_t>> pairs;
  for (const auto& r : runs) pairs.insert({r.config_id, r.repetition});
  EXPECT_EQ(pairs.size(), 12u);  // each (configuration, repetition) once
  auto again = repeat_runs(planned, 3, 9);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i].config_id, again[i].config_id);
    EXPECT_EQ(runs[i].repetition, again[i].repetition);
  }
  // One repetition keeps the sweep order.
  auto single = repeat_runs(planned, 1, 9);
  for (std::size_t i = 0; i < single.size(); ++i) EXPECT_EQ(single[i].config_id, i);
}

TEST(Median, OddEvenAndEmpty) {
  EXPECT_EQ(median({3, 1, 2}), 2);
  EXPECT_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_EQ(median({7}), 7);
  EXPECT_THROW(median({}), std::invalid_argument);
}

TEST(CoefficientOfVariation, KnownValues) {
  // mean 5, sample sd sqrt(((2^2)*2 + 0)/2) = 2 -> 0.4
  std::vector<double> v{3, 5, 7};
  EXPECT_NEAR(coefficient_of_variation(v), 0.4, 1e-12);
  std::vector<double> same{9, 9, 9, 9};
  EXPECT_EQ(coefficient_of_variation(same), 0);
  std::vector<double> one{9};
  EXPECT_EQ(coefficient_of_variation(one), 0);
}

TEST(Bootstrap, DeterministicContainsTheMedianAndIsBoundedByTheData) {
  std::vector<double> v{480, 495, 470, 510, 488, 502, 476, 491, 499};
  auto a = bootstrap_median_ci(v, 1234);
  auto b = bootstrap_median_ci(v, 1234);
  EXPECT_EQ(a.lo, b.lo);
  EXPECT_EQ(a.hi, b.hi);
  EXPECT_EQ(a.median, 491);
  EXPECT_LE(a.lo, a.median);
  EXPECT_GE(a.hi, a.median);
  EXPECT_LT(a.lo, a.hi);
  EXPECT_GE(a.lo, 470);
  EXPECT_LE(a.hi, 510);
  // A median of 9 values is rarely the extreme: the interval is inside the range.
  EXPECT_GT(a.lo, 470);
  EXPECT_LT(a.hi, 510);
}

TEST(Bootstrap, ConstantDataGivesAZeroWidthInterval) {
  std::vector<double> v(5, 612.0);
  auto ci = bootstrap_median_ci(v, 7);
  EXPECT_EQ(ci.lo, 612);
  EXPECT_EQ(ci.hi, 612);
  EXPECT_EQ(ci.median, 612);
}

TEST(Bootstrap, NarrowsWithMoreRepetitions) {
  std::vector<double> few{90, 100, 110, 95, 105}, many;
  for (int i = 0; i < 20; ++i) many.insert(many.end(), few.begin(), few.end());
  auto a = bootstrap_median_ci(few, 3), b = bootstrap_median_ci(many, 3);
  EXPECT_LT(b.hi - b.lo, a.hi - a.lo);
}

TEST(MannWhitney, WorkedExample) {
  // U of x: pairs with x > y (ties 1/2). 5x4 = 20 pairs, U = 17. mean 10, variance 5*4*10/12 = 16.67,
  // z = (7 - 0.5) / 4.082 = 1.592, two-sided p = 0.1113 (scipy mannwhitneyu method="asymptotic" agrees).
  std::vector<double> x{19, 22, 16, 29, 24}, y{20, 11, 17, 12};
  auto r = mann_whitney_u(x, y);
  EXPECT_EQ(r.u, 17);
  EXPECT_NEAR(r.p_value, 0.11134688653314041, 1e-12);
  auto swapped = mann_whitney_u(y, x);
  EXPECT_EQ(swapped.u, 3);
  EXPECT_NEAR(swapped.p_value, r.p_value, 1e-12);
}

TEST(MannWhitney, TiesAreCorrected) {
  std::vector<double> x{1, 2, 2, 3, 4, 5}, y{2, 3, 6, 7, 7, 8, 9};
  auto r = mann_whitney_u(x, y);
  EXPECT_EQ(r.u, 6.5);
  EXPECT_NEAR(r.p_value, 0.043727859914373765, 1e-12);
}

TEST(MannWhitney, AllEqualMeansNoEvidence) {
  std::vector<double> x{5, 5, 5}, y{5, 5, 5};
  auto r = mann_whitney_u(x, y);
  EXPECT_EQ(r.u, 4.5);
  EXPECT_EQ(r.p_value, 1);
}

TEST(MannWhitney, SmallestAttainablePByRepetitions) {
  // Complete separation: 3 vs 3 can never reach p < 0.05, 4 vs 4 can.
  EXPECT_NEAR(min_attainable_p(3, 3), 0.08085559837005224, 1e-12);
  EXPECT_NEAR(min_attainable_p(4, 4), 0.03038282197657749, 1e-12);
  EXPECT_NEAR(min_attainable_p(5, 5), 0.012185780355344813, 1e-12);
  EXPECT_EQ(min_attainable_p(0, 5), 1);
}

json pingpong_run(std::size_t id, std::size_t rep, double p50, const char* status = "ok") {
  json r = {{"id", id},
            {"config_id", 0},
            {"repetition", rep},
            {"transport", "shm"},
            {"wait", "spin"},
            {"pattern", "pingpong"},
            {"payload_bytes", 64},
            {"cpus", {{"producer", 0}, {"consumer", 1}}},
            {"placement", "cross-core"},
            {"capacity_requested", nullptr},
            {"status", status}};
  if (std::string(status) == "ok") {
    r["latency"]["rtt_ns"] = {{"p50", p50}, {"p99", 2 * p50}};
    r["throughput"]["msgs_per_s"] = 1e9 / p50;
  } else {
    r["error"] = "consumer died";
  }
  return r;
}

TEST(Summary, StableAndUnstableRows) {
  json steady = json::array({pingpong_run(0, 0, 500), pingpong_run(1, 1, 501), pingpong_run(2, 2, 499)});
  auto s = summarize_configurations(steady, 1);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0]["key"], "shm/spin pingpong 64B cpus 0:1");
  EXPECT_EQ(s[0]["repetitions"], 3);
  EXPECT_EQ(s[0]["ok_repetitions"], 3);
  EXPECT_EQ(s[0]["metrics"]["p50_rtt_ns"]["median"], 500);
  EXPECT_FALSE(s[0]["unstable"].get<bool>());

  json noisy = json::array({pingpong_run(0, 0, 500), pingpong_run(1, 1, 650), pingpong_run(2, 2, 480)});
  s = summarize_configurations(noisy, 1);
  EXPECT_TRUE(s[0]["unstable"].get<bool>());
  EXPECT_NE(s[0]["unstable_reasons"][0].get<std::string>().find("CV"), std::string::npos);
}

TEST(Summary, OneRepetitionHasNoInterval) {
  auto s = summarize_configurations(json::array({pingpong_run(0, 0, 500)}), 1);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0]["metrics"]["p50_rtt_ns"]["median"], 500);
  EXPECT_TRUE(s[0]["metrics"]["p50_rtt_ns"]["ci_lo"].is_null());
  EXPECT_FALSE(s[0]["unstable"].get<bool>());
}

TEST(Summary, FailedRepetitionsAreLeftOutAndNamed) {
  json runs = json::array({pingpong_run(0, 0, 500), pingpong_run(1, 1, 0, "error"), pingpong_run(2, 2, 502)});
  auto s = summarize_configurations(runs, 1);
  EXPECT_EQ(s[0]["ok_repetitions"], 2);
  EXPECT_EQ(s[0]["metrics"]["p50_rtt_ns"]["values"].size(), 2u);
  EXPECT_TRUE(s[0]["unstable"].get<bool>());
  EXPECT_NE(s[0]["unstable_reasons"].back().get<std::string>().find("1 of 3 repetitions failed"), std::string::npos);
}

}  // namespace
}  // namespace ipcbench
