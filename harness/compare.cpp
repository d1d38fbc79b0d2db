#include "harness/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>

#include "harness/cli_parse.hpp"
#include "harness/parse.hpp"
#include "harness/repeat.hpp"

namespace ipcbench {

using nlohmann::json;

namespace {
struct Group {
  std::string pattern;
  std::vector<double> values;  // the row's metric, one per ok repetition
};

// Ok runs grouped by configuration: one value per repetition (a single-run file gives groups of one).
std::map<std::string, Group> ok_groups(const json& doc) {
  std::map<std::string, Group> groups;
  for (const auto& r : doc.at("runs")) {
    if (r.value("status", "") != "ok") continue;
    auto& g = groups[config_key(r)];
    g.pattern = r["pattern"];
    g.values.push_back(g.pattern == "pingpong" || g.pattern == "rpc" ? r["latency"]["rtt_ns"]["p50"].get<double>()
                                               : r["throughput"]["msgs_per_s"].get<double>());
  }
  return groups;
}

std::uint64_t bootstrap_seed(const json& doc) {
  const auto& ctx = doc.value("context", json::object());
  return ctx.contains("repetitions") ? ctx["repetitions"].value("seed", std::uint64_t{0}) : 0;
}

json load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("cannot read " + path);
  try {
    auto doc = json::parse(in);
    if (!doc.contains("runs") || !doc.contains("schema_version"))
      throw std::invalid_argument(path + " is not an ipcbench results file (no schema_version/runs)");
    return doc;
  } catch (const json::parse_error& e) {
    throw std::invalid_argument(path + " is not valid JSON: " + e.what());
  }
}

double share(std::size_t part, std::size_t whole) {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}
}  // namespace

Comparison compare_results(const json& a, const json& b, double tolerance, double alpha) {
  Comparison c;
  auto ga = ok_groups(a), gb = ok_groups(b);
  const auto seed_a = bootstrap_seed(a), seed_b = bootstrap_seed(b);
  for (const auto& [key, x] : ga) {
    auto it = gb.find(key);
    if (it == gb.end()) {
      ++c.unmatched;
      continue;
    }
    const Group& y = it->second;
    CompareRow row;
    row.key = key;
    row.metric = x.pattern == "pingpong" || x.pattern == "rpc" ? "p50_rtt_ns" : "msgs_per_s";
    row.a = median(x.values);
    row.b = median(y.values);
    row.ratio = row.a > 0 ? row.b / row.a : 0;
    row.within = std::fabs(row.ratio - 1.0) <= tolerance;
    row.na = x.values.size();
    row.nb = y.values.size();
    if (row.metric == "p50_rtt_ns") {
      ++c.latency_rows;
      c.latency_within += row.within;
    }
    if (row.na >= 2 && row.nb >= 2) {
      row.p_value = mann_whitney_u(x.values, y.values).p_value;
      row.min_p = min_attainable_p(row.na, row.nb);
      ++c.tested;
      c.significant += *row.p_value < alpha;
      c.too_few += row.min_p >= alpha;
      // The same seeds as each file's summary[], so these are the intervals the files show.
      const auto ia = bootstrap_median_ci(x.values, seed_a), ib = bootstrap_median_ci(y.values, seed_b);
      row.a_lo = ia.lo, row.a_hi = ia.hi, row.b_lo = ib.lo, row.b_hi = ib.hi;
      row.cis_overlap = ia.lo <= ib.hi && ib.lo <= ia.hi;
      ++c.ci_rows;
      c.ci_overlap += *row.cis_overlap;
      if (row.metric == "p50_rtt_ns") {
        ++c.latency_ci_rows;
        c.latency_ci_overlap += *row.cis_overlap;
      }
    }
    c.rows.push_back(row);
  }
  for (const auto& [key, y] : gb)
    if (!ga.count(key)) ++c.unmatched;
  return c;
}

void print_comparison(std::ostream& out, const Comparison& c, double tolerance, double alpha) {
  char line[1024];
  // The row column is as wide as the longest key (at least 44), so that long names keep the columns aligned.
  int w = 44;
  for (const auto& r : c.rows) w = std::max(w, static_cast<int>(r.key.size()));
  std::snprintf(line, sizeof line, "%-*s %-11s %12s %12s %7s %5s %9s %s\n", w, "row", "metric", "A", "B", "B/A", "reps",
                "U test p", "CIs overlap");
  out << line;
  for (const auto& r : c.rows) {
    char p[32] = "-";
    if (r.p_value) std::snprintf(p, sizeof p, "%.3f%s", *r.p_value, *r.p_value < alpha ? "+" : "");
    const char* overlap = !r.cis_overlap ? "-" : *r.cis_overlap ? "yes" : "no";
    char reps[32];
    std::snprintf(reps, sizeof reps, "%zu/%zu", r.na, r.nb);
    std::snprintf(line, sizeof line, "%-*s %-11s %12.1f %12.1f %6.3f%s %5s %9s %s\n", w, r.key.c_str(), r.metric.c_str(),
                  r.a, r.b, r.ratio, r.within ? " " : "*", reps, p, overlap);
    out << line;
  }
  std::size_t all_within = 0;
  for (const auto& r : c.rows) all_within += r.within;
  std::snprintf(line, sizeof line,
                "\np50 RTT within %.0f%%: %zu of %zu pingpong rows (%.0f%%); all metrics: %zu of %zu rows; "
                "%zu rows in only one file\n",
                tolerance * 100, c.latency_within, c.latency_rows, share(c.latency_within, c.latency_rows), all_within,
                c.rows.size(), c.unmatched);
  out << line;
  if (c.latency_ci_rows > 0) {
    std::snprintf(line, sizeof line, "p50 CIs overlap for %zu of %zu rows (%.1f%%)\n", c.latency_ci_overlap,
                  c.latency_ci_rows, share(c.latency_ci_overlap, c.latency_ci_rows));
    out << line;
  } else {
    out << "p50 CIs overlap: no pingpong row has repetitions in both files (run both with --repetitions 5 or more)\n";
  }
  if (c.ci_rows > 0) {
    std::snprintf(line, sizeof line, "all metrics' CIs overlap for %zu of %zu rows (%.1f%%)\n", c.ci_overlap, c.ci_rows,
                  share(c.ci_overlap, c.ci_rows));
    out << line;
    std::snprintf(line, sizeof line, "significant (U test, p < %g): %zu of %zu rows\n", alpha, c.significant, c.tested);
    out << line;
    if (c.too_few > 0) {
      std::snprintf(line, sizeof line,
                    "note: %zu rows have too few repetitions for any difference to reach p < %g (4 per file are "
                    "the least; 9 or more, as Google Benchmark advises, give the test real power)\n",
                    c.too_few, alpha);
      out << line;
    }
  }
  out << "(* = outside the tolerance; + = p < alpha: the repetitions of A and B differ more than chance explains; "
         "CIs: bootstrap 95% of the median)\n";
}

int compare_main(int argc, char** argv) {
  CLI::App app{"ipcbench compare: row-by-row ratios (B/A) of two result files; pingpong p50 RTT, stream msgs/s; with "
                "repetitions also a Mann-Whitney U test and whether the 95% CIs overlap"};
  std::string a_path, b_path, tolerance_text = "0.10", alpha_text = "0.05";
  app.add_option("A", a_path, "Baseline results file")->required();
  app.add_option("B", b_path, "Results file to compare with A")->required();
  app.add_option("--tolerance", tolerance_text, "Relative difference counted as agreement (default 0.10)");
  app.add_option("--alpha", alpha_text, "Significance level of the U test over repetitions (default 0.05)");
  if (auto status = parse_command_line(app, argc, argv, "ipcbench compare")) return *status;
  try {
    double tolerance = parse_positive(tolerance_text, "--tolerance", "a fraction (e.g. 0.10 for 10%)");
    double alpha = parse_positive(alpha_text, "--alpha", "a probability (e.g. 0.05)");
    if (alpha >= 1) throw std::invalid_argument("--alpha: '" + alpha_text + "' is not below 1 (e.g. 0.05)");
    auto c = compare_results(load(a_path), load(b_path), tolerance, alpha);
    print_comparison(std::cout, c, tolerance, alpha);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ipcbench compare: error: " << e.what() << '\n';
    return 2;
  }
}

}  // namespace ipcbench
