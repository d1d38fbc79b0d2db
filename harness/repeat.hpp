#pragma once
// Repetitions: the statistics across independent runs of one configuration (median, percentile-bootstrap
// confidence interval, coefficient of variation), the Mann-Whitney U test that `ipcbench compare` uses, and
// the seeded shuffle of the sweep. Every random draw comes from std::mt19937_64 (its output is fixed by the
// standard) through our own bounded draw, so a seed gives the same order and the same intervals with any
// standard library; std::shuffle and std::uniform_int_distribution do not promise that.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace ipcbench {

inline constexpr int kBootstrapResamples = 2000;
inline constexpr double kConfidenceLevel = 0.95;
// A row is unstable when its headline metric's CV or its CI half-width exceeds this fraction of the median.
inline constexpr double kUnstableFraction = 0.05;

// Uniform integer in [0, bound) without modulo bias (rejection of the incomplete last block).
std::uint64_t bounded_draw(std::mt19937_64& rng, std::uint64_t bound);
// A permutation of 0..n-1 (Fisher-Yates), the same for the same seed everywhere.
std::vector<std::size_t> shuffled_order(std::size_t n, std::uint64_t seed);

// Median (mean of the two middle values for an even count); throws on empty input.
double median(std::vector<double> values);
// Sample standard deviation / mean; 0 for fewer than two values or a zero mean.
double coefficient_of_variation(std::span<const double> values);

struct Interval {
  double median = 0, lo = 0, hi = 0;
};
// Percentile bootstrap of the median: `resamples` resamples with replacement, the (1-level)/2 and (1+level)/2
// nearest-rank percentiles of their medians. Constant data gives lo == hi == median.
Interval bootstrap_median_ci(std::span<const double> values, std::uint64_t seed, int resamples = kBootstrapResamples,
                             double level = kConfidenceLevel);

struct UTest {
  double u = 0;        // U of the first sample: pairs (x, y) with x > y, ties counting 1/2
  double z = 0;        // normal approximation, continuity- and tie-corrected
  double p_value = 1;  // two-sided
};
// Two-sided Mann-Whitney U test, normal approximation with tie and continuity correction (as scipy's
// mannwhitneyu(method="asymptotic")). Needs at least one value on each side.
UTest mann_whitney_u(std::span<const double> x, std::span<const double> y);
// The smallest two-sided p-value the test above can give for these sample sizes (complete separation, no
// ties): above alpha, no difference can ever be called significant with this few repetitions.
double min_attainable_p(std::size_t nx, std::size_t ny);

// Identifies a configuration across repetitions and across files: "shm/spin pingpong 64B cpus 0:1"
// (+ " threads", + " cap N" when given). Works on rows of any version of the schema.
std::string config_key(const nlohmann::json& run);

// summary[]: one entry per configuration of `runs` (in order of first appearance, or of config_id), over its
// ok repetitions. See results/README.md.
nlohmann::json summarize_configurations(const nlohmann::json& runs, std::uint64_t seed);

}  // namespace ipcbench
