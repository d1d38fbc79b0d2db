#pragma once
// `ipcbench compare A.json B.json`: row-by-row ratios of two result files (B / A). Rows are matched on
// transport, wait, pattern, size, CPU pair and capacity; pingpong compares p50 RTT, stream msgs/s. With
// repetitions (runs[] holding several rows of one configuration) each row is the ratio of the medians across
// repetitions, a two-sided Mann-Whitney U test over the per-repetition values, and whether the two bootstrap
// 95% CIs of the median overlap. Files with one run per configuration compare as before.
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace ipcbench {

struct CompareRow {
  std::string key;      // "shm/spin pingpong 64B cpus 0:1"
  std::string metric;   // "p50_rtt_ns" or "msgs_per_s"
  double a = 0, b = 0;  // the metric in A and in B
  double ratio = 0;     // b / a
  bool within = false;  // |ratio - 1| <= tolerance
  std::size_t na = 0, nb = 0;          // ok repetitions in A and in B
  std::optional<double> p_value;       // U test, when both sides have >= 2 repetitions
  double min_p = 1;                    // the smallest p-value these repetition counts allow
  std::optional<bool> cis_overlap;     // bootstrap 95% CIs of the medians, when both sides have >= 2
  double a_lo = 0, a_hi = 0, b_lo = 0, b_hi = 0;
};

struct Comparison {
  std::vector<CompareRow> rows;
  std::size_t latency_rows = 0, latency_within = 0;
  std::size_t unmatched = 0;  // ok rows present in only one file
  std::size_t latency_ci_rows = 0, latency_ci_overlap = 0;  // pingpong rows with CIs on both sides
  std::size_t ci_rows = 0, ci_overlap = 0;                  // all rows with CIs on both sides
  std::size_t tested = 0, significant = 0, too_few = 0;     // U tests run, p < alpha, min_p > alpha
};

Comparison compare_results(const nlohmann::json& a, const nlohmann::json& b, double tolerance, double alpha = 0.05);
void print_comparison(std::ostream& out, const Comparison& c, double tolerance, double alpha = 0.05);
// Entry point for `ipcbench compare ...`; returns the exit status (2 on bad input).
int compare_main(int argc, char** argv);

}  // namespace ipcbench
