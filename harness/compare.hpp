#pragma once
// `ipcbench compare A.json B.json`: row-by-row ratios of two result files (B / A). Rows are matched on
// transport, wait, pattern, size, CPU pair and capacity; pingpong compares p50 RTT, stream msgs/s.
#include <nlohmann/json.hpp>
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
};

struct Comparison {
  std::vector<CompareRow> rows;
  std::size_t latency_rows = 0, latency_within = 0;
  std::size_t unmatched = 0;  // ok rows present in only one file
};

Comparison compare_results(const nlohmann::json& a, const nlohmann::json& b, double tolerance);
void print_comparison(std::ostream& out, const Comparison& c, double tolerance);
// Entry point for `ipcbench compare ...`; returns the exit status (2 on bad input).
int compare_main(int argc, char** argv);

}  // namespace ipcbench
