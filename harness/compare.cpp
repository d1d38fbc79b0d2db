#include "harness/compare.hpp"

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>

#include "harness/parse.hpp"

namespace ipcbench {

using nlohmann::json;

namespace {
std::string row_key(const json& r) {
  const auto& c = r["cpus"];
  std::string key = r["transport"].get<std::string>() + "/" + r["wait"].get<std::string>() + " " +
                    r["pattern"].get<std::string>() + " " + format_size(r["payload_bytes"].get<std::size_t>()) +
                    "B cpus " + std::to_string(c["producer"].get<int>()) + ":" + std::to_string(c["consumer"].get<int>());
  if (r.value("mode", "processes") == "threads") key += " threads";
  if (r.contains("capacity_requested") && !r["capacity_requested"].is_null()) {  // a count, 0 or "unbounded"
    const auto& cap = r["capacity_requested"];
    key += " cap " + (cap.is_string() ? cap.get<std::string>() : std::to_string(cap.get<std::size_t>()));
  }
  return key;
}

std::map<std::string, json> ok_rows(const json& doc) {
  std::map<std::string, json> rows;
  for (const auto& r : doc.at("runs"))
    if (r.value("status", "") == "ok") rows[row_key(r)] = r;
  return rows;
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
}  // namespace

Comparison compare_results(const json& a, const json& b, double tolerance) {
  Comparison c;
  auto ra = ok_rows(a), rb = ok_rows(b);
  for (const auto& [key, x] : ra) {
    auto it = rb.find(key);
    if (it == rb.end()) {
      ++c.unmatched;
      continue;
    }
    const json& y = it->second;
    CompareRow row;
    row.key = key;
    if (x["pattern"] == "pingpong") {
      row.metric = "p50_rtt_ns";
      row.a = x["latency"]["rtt_ns"]["p50"];
      row.b = y["latency"]["rtt_ns"]["p50"];
    } else {
      row.metric = "msgs_per_s";
      row.a = x["throughput"]["msgs_per_s"];
      row.b = y["throughput"]["msgs_per_s"];
    }
    row.ratio = row.a > 0 ? row.b / row.a : 0;
    row.within = std::fabs(row.ratio - 1.0) <= tolerance;
    if (row.metric == "p50_rtt_ns") {
      ++c.latency_rows;
      c.latency_within += row.within;
    }
    c.rows.push_back(row);
  }
  for (const auto& [key, y] : rb)
    if (!ra.count(key)) ++c.unmatched;
  return c;
}

void print_comparison(std::ostream& out, const Comparison& c, double tolerance) {
  char line[256];
  std::snprintf(line, sizeof line, "%-44s %-11s %12s %12s %7s\n", "row", "metric", "A", "B", "B/A");
  out << line;
  for (const auto& r : c.rows) {
    std::snprintf(line, sizeof line, "%-44s %-11s %12.1f %12.1f %6.3f%s\n", r.key.c_str(), r.metric.c_str(), r.a, r.b,
                  r.ratio, r.within ? "" : "  *");
    out << line;
  }
  std::size_t all_within = 0;
  for (const auto& r : c.rows) all_within += r.within;
  std::snprintf(line, sizeof line,
                "\np50 RTT within %.0f%%: %zu of %zu pingpong rows (%.0f%%); all metrics: %zu of %zu rows; "
                "%zu rows in only one file\n",
                tolerance * 100, c.latency_within, c.latency_rows,
                c.latency_rows ? 100.0 * static_cast<double>(c.latency_within) / static_cast<double>(c.latency_rows) : 0.0,
                all_within, c.rows.size(), c.unmatched);
  out << line << "(* = outside the tolerance)\n";
}

int compare_main(int argc, char** argv) {
  CLI::App app{"ipcbench compare: row-by-row ratios (B/A) of two result files; pingpong p50 RTT, stream msgs/s"};
  std::string a_path, b_path, tolerance_text = "0.10";
  app.add_option("A", a_path, "Baseline results file")->required();
  app.add_option("B", b_path, "Results file to compare with A")->required();
  app.add_option("--tolerance", tolerance_text, "Relative difference counted as agreement (default 0.10)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "ipcbench compare: error: " << e.what() << " (see ipcbench compare --help)\n";
    return 2;
  }
  try {
    double tolerance = parse_positive(tolerance_text, "--tolerance", "a fraction (e.g. 0.10 for 10%)");
    auto c = compare_results(load(a_path), load(b_path), tolerance);
    print_comparison(std::cout, c, tolerance);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ipcbench compare: error: " << e.what() << '\n';
    return 2;
  }
}

}  // namespace ipcbench
