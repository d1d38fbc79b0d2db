#include "harness/table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

#include "harness/open_loop.hpp"
#include "harness/parse.hpp"
#include "harness/repeat.hpp"
#include "harness/topology.hpp"

namespace ipcbench {

using nlohmann::json;

std::string format_ns(double ns) {
  char b[32];
  if (ns < 1e4) std::snprintf(b, sizeof b, "%.0f ns", ns);
  else if (ns < 1e7) std::snprintf(b, sizeof b, "%.1f us", ns / 1e3);
  else std::snprintf(b, sizeof b, "%.2f ms", ns / 1e6);
  return b;
}

std::string format_rate(double v) {
  char b[32];
  if (v >= 1e9) std::snprintf(b, sizeof b, "%.2fG", v / 1e9);
  else if (v >= 1e6) std::snprintf(b, sizeof b, "%.2fM", v / 1e6);
  else if (v >= 1e3) std::snprintf(b, sizeof b, "%.1fK", v / 1e3);
  else std::snprintf(b, sizeof b, "%.0f", v);
  return b;
}

std::optional<std::pair<double, double>> floor_range(const json& runs, const json& run_ids) {
  std::optional<std::pair<double, double>> out;
  for (const auto& id : run_ids) {
    const auto i = id.get<std::size_t>();
    if (i >= runs.size() || runs[i].value("status", "") != "ok" || !runs[i].contains("floor")) continue;
    const double p50 = runs[i]["floor"]["rtt_ns"]["p50"].get<double>();
    if (!out) out = {p50, p50};
    out->first = std::min(out->first, p50);
    out->second = std::max(out->second, p50);
  }
  return out;
}

std::string floor_range_text(const std::pair<double, double>& range) {
  const std::string lo = format_ns(range.first), hi = format_ns(range.second);
  if (lo == hi) return lo;
  // "66-255 ns" when both have the same unit, else both in full
  const auto unit = [](const std::string& s) { return s.substr(s.find(' ')); };
  return unit(lo) == unit(hi) ? lo.substr(0, lo.find(' ')) + "-" + hi : lo + "-" + hi;
}

bool regimes_mixed(const std::pair<double, double>& range) { return range.second > 1.2 * range.first; }

namespace {
// Adds one ok run's messages and its consumer's in_sequence_messages (when it has the count) to the totals.
void count_in_sequence(const json& run, double& read, double& in_sequence) {
  if (run["status"] != "ok" || !run.contains("cpu")) return;
  const auto& consumer = run["cpu"]["consumer"];
  if (!consumer.contains("in_sequence_messages")) return;
  read += run["messages"].get<double>();
  in_sequence += consumer["in_sequence_messages"].get<double>();
}

std::string in_sequence_text(double read, double in_sequence) {
  if (in_sequence >= read) return "";
  char b[96];  // rounded down, so that 99.99 % does not read as 100.0 %
  std::snprintf(b, sizeof b, "only %.1f%% of the messages read were the ones sent",
                std::floor(1000 * in_sequence / read) / 10);
  return b;
}
}  // namespace

std::string in_sequence_note(const json& runs, const json& run_ids) {
  double read = 0, in_sequence = 0;
  for (const auto& id : run_ids)
    if (const auto i = id.get<std::size_t>(); i < runs.size()) count_in_sequence(runs[i], read, in_sequence);
  return in_sequence_text(read, in_sequence);
}

namespace {
std::string pair_of(const json& cpus) {
  return std::to_string(cpus["producer"].get<int>()) + ":" + std::to_string(cpus["consumer"].get<int>());
}

std::string cpu_cost(const json& side) {
  char b[48];
  std::snprintf(b, sizeof b, "%.0f+%.0f", side["user_ns_per_msg"].get<double>(), side["sys_ns_per_msg"].get<double>());
  return b;
}

// "cap 16", "cap 0 (emulated: ack per message)", "cap unbounded"; "" without --capacity.
std::string capacity_note(const json& r) {
  if (!r.contains("capacity_requested") || r["capacity_requested"].is_null()) return "";
  const auto& cap = r["capacity_requested"];
  std::string n = "cap " + (cap.is_string() ? cap.get<std::string>() : std::to_string(cap.get<std::uint64_t>()));
  if (r.contains("effective") && r["effective"]["rendezvous"].is_string())
    n += " (" + r["effective"]["rendezvous"].get<std::string>() + ")";
  return n;
}

// System calls per message (per round trip for pingpong) of each side, counted by the transport.
std::string syscalls_cell(const json& cpu) {
  auto one = [](double v) {
    char b[16];
    if (v == 0) return std::string("0");
    std::snprintf(b, sizeof b, v < 10 ? "%.2f" : "%.0f", v);
    return std::string(b);
  };
  return one(cpu["producer"].value("syscalls_per_msg", 0.0)) + "+" + one(cpu["consumer"].value("syscalls_per_msg", 0.0));
}

// "2P→2C"
std::string mailbox_shape(const json& r) {
  return std::to_string(r["mailbox"]["producers"].get<unsigned>()) + "P->" +
         std::to_string(r["mailbox"]["consumers"].get<unsigned>()) + "C";
}

// "64" for a symmetric round trip, "64/4K" (request/reply) for rpc with its own reply size.
std::string size_cell(const json& r) {
  std::string s = format_size(r["payload_bytes"].get<std::size_t>());
  if (r["pattern"] == "rpc") s += "/" + format_size(r.value("reply_bytes", r["payload_bytes"].get<std::size_t>()));
  return s;
}

std::string fixed2(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

std::string notes(const json& r) {
  std::string n = capacity_note(r);
  auto add = [&](const std::string& s) { n += (n.empty() ? "" : ", ") + s; };
  if (r["status"] == "skipped") return "skipped: " + r.value("error", "");
  if (r["status"] != "ok") return "FAILED: " + r.value("error", "");
  if (r["spin"].value("yields", std::uint64_t{0}) > 0)
    add("yielded " + std::to_string(r["spin"]["yields"].get<std::uint64_t>()) + "x");
  const auto& full = r.contains("cpu") ? r["cpu"]["producer"]["full_waits"] : json();
  if (full.is_number() && full.get<std::uint64_t>() > 0) add("sender found it full " + std::to_string(full.get<std::uint64_t>()) + "x");
  if (r.contains("reply_line") && r["reply_line"]["line"] == "shared") add("in place");
  if (r.value("verify", false)) add("verified");
  double read = 0, in_sequence = 0;
  count_in_sequence(r, read, in_sequence);
  if (auto s = in_sequence_text(read, in_sequence); !s.empty()) add(s);
  return n;
}

void row(std::ostream& out, const std::vector<std::string>& cells, const std::vector<int>& widths) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    char b[256];
    if (i + 1 == cells.size()) std::snprintf(b, sizeof b, "%s", cells[i].c_str());
    else if (i < 5) std::snprintf(b, sizeof b, "%-*s ", widths[i], cells[i].c_str());
    else std::snprintf(b, sizeof b, "%*s ", widths[i], cells[i].c_str());
    line += b;
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  out << line << '\n';
}
}  // namespace

std::map<std::string, double> floor_p50_by_pair(const json& floors) {
  std::map<std::string, std::vector<double>> all;
  for (const auto& f : floors)
    if (f["status"] == "ok") all[pair_of(f["cpus"])].push_back(f["rtt_ns"]["p50"].get<double>());
  std::map<std::string, double> mean;
  for (const auto& [k, v] : all) {
    double sum = 0;
    for (double x : v) sum += x;
    mean[k] = sum / static_cast<double>(v.size());
  }
  return mean;
}

std::vector<std::string> floor_drift_warnings(const json& floors) {
  std::map<std::string, std::pair<double, double>> lo_hi;
  for (const auto& f : floors) {
    if (f["status"] != "ok") continue;
    double p50 = f["rtt_ns"]["p50"];
    auto [it, fresh] = lo_hi.try_emplace(pair_of(f["cpus"]), p50, p50);
    if (!fresh) it->second = {std::min(it->second.first, p50), std::max(it->second.second, p50)};
  }
  std::vector<std::string> out;
  for (const auto& [pair, v] : lo_hi)
    if (v.first > 0 && v.second > 1.25 * v.first)
      out.push_back("cache-line floor for cpus " + pair + " moved from " + format_ns(v.first) + " to " +
                    format_ns(v.second) + " during the sweep (vCPU migration or frequency change?): "
                    "ratios to the floor use the mean");
  return out;
}

std::string host_floors_line(const json& floors) {
  std::string line;
  if (floors.contains("clock"))
    line += "clock read " + format_ns(floors["clock"]["read_overhead_ns"]) + " (resolution " +
            format_ns(floors["clock"]["resolution_ns"]) + "), ";
  line += "null syscall " + format_ns(floors["null_syscall"]["ns_per_call"]) + ", FUTEX_WAKE with no waiter " +
          format_ns(floors["futex_wake"]["ns_per_call"]) + "; memcpy";
  for (const auto& p : floors["memcpy"]["sizes"]) {
    const auto bytes = p["bytes"].get<std::size_t>();
    // Five of the eleven sizes keep the line short; the JSON has all of them.
    if (bytes != 64 && bytes != 4096 && bytes != (64 << 10) && bytes != (1 << 20) && bytes != (64 << 20)) continue;
    line.append(" ").append(format_size(bytes)).append("B ").append(format_rate(p["bytes_per_s"])).append("B/s");
  }
  return line + " (cpu " + std::to_string(floors["null_syscall"]["cpu"].get<int>()) + ")";
}

std::vector<std::string> pair_floor_lines(const json& floors) {
  // One line per CPU pair, in the order the pairs were first measured.
  std::vector<std::string> order;
  std::map<std::string, std::string> lines;
  auto rtt = [](const json& f) {
    return f["status"] == "ok" ? format_ns(f["rtt_ns"]["p50"]) : "FAILED: " + f.value("error", std::string());
  };
  for (const auto& f : floors.value("cacheline_pingpong", json::array())) {
    const std::string key = pair_of(f["cpus"]);
    if (!lines.count(key)) {
      order.push_back(key);
      lines[key] = "cpus " + key + " (" + f["placement"].get<std::string>() + "): cache line " + rtt(f) +
                   (f["cpus"]["producer"] == f["cpus"]["consumer"] ? " (one CPU: sched_yield)" : "");
    } else {
      lines[key] += ", " + f.value("when", std::string()) + " " + rtt(f);
    }
  }
  for (const auto& [kind, label] : {std::pair{"two_line_pingpong", "; two lines "},
                                     std::pair{"futex_pingpong", "; futex ping-pong "}}) {
    for (const auto& f : floors.value(kind, json::array())) {
      const std::string key = pair_of(f["cpus"]);
      if (!lines.count(key)) order.push_back(key);
      lines[key] += label + rtt(f);
    }
  }
  std::vector<std::string> out;
  for (const auto& k : order) out.push_back(lines[k]);
  return out;
}

std::string progress_line(const json& r) {
  std::string head = r["transport"].get<std::string>() + "/" + r["wait"].get<std::string>() + " " +
                     r["pattern"].get<std::string>() + " " + format_size(r["payload_bytes"].get<std::size_t>()) +
                     "B cpus " + pair_of(r["cpus"]) + " (" + r["placement"].get<std::string>() +
                     (r.contains("placement_class") && r["placement_class"] != r["placement"]
                          ? ": " + r["placement_class"].get<std::string>()
                          : std::string()) +
                     ")";
  if (const auto cap = capacity_note(r); !cap.empty()) head += " " + cap;
  if (r["pattern"] == "rpc") head += " reply " + format_size(r["reply_bytes"].get<std::size_t>()) + "B";
  if (r.contains("mailbox"))
    head = r["transport"].get<std::string>() + "/" + r["wait"].get<std::string>() + " mailbox " +
           format_size(r["payload_bytes"].get<std::size_t>()) + "B " + mailbox_shape(r);
  if (r["status"] != "ok") return head + "  " + notes(r);
  if (r.contains("mailbox"))
    return head + "  " + format_rate(r["throughput"]["msgs_per_s"]) + " msg/s  one-way p50 " +
           format_ns(r["latency"]["one_way_ns"]["p50"]) + "  Jain " + fixed2(r["mailbox"]["fairness"]["jain_index"]);
  if (r["pattern"] == "rate") return head + "  " + rate_progress(r);
  if (r["pattern"] == "pingpong" || r["pattern"] == "rpc")
    return head + "  p50 " + format_ns(r["latency"]["rtt_ns"]["p50"]) + "  p99 " + format_ns(r["latency"]["rtt_ns"]["p99"]);
  return head + "  " + format_rate(r["throughput"]["msgs_per_s"]) + " msg/s  " +
         format_rate(r["throughput"]["bytes_per_s"]) + "B/s";
}

namespace {
// "482 ns ±3%": the median across repetitions and the larger half of its 95% CI, relative to it.
std::string with_ci(const json& m, bool rate, bool mark = true) {
  if (!m.contains("median") || m["median"].is_null()) return "-";
  const double v = m["median"];
  std::string s = rate ? format_rate(v) : format_ns(v);
  if (!m["ci_half_width_rel"].is_null()) {
    char b[32];
    std::snprintf(b, sizeof b, " \u00b1%.0f%%", 100 * m["ci_half_width_rel"].get<double>());
    s += b;
  }
  return s + (mark && m.value("unstable", false) ? "!" : "");
}

std::string cv_text(const json& m) {
  if (!m.contains("cv") || m["cv"].is_null()) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", 100 * m["cv"].get<double>());
  return b;
}

std::string summary_notes(const json& e, const json& runs) {
  // The capacity first, as in the one-repetition table: without it, a --capacity sweep's rows look alike.
  std::string n;
  if (const auto& ids = e["run_ids"]; !ids.empty() && ids[0].get<std::size_t>() < runs.size())
    n = capacity_note(runs[ids[0].get<std::size_t>()]);
  for (const auto& id : e["run_ids"]) {
    const auto i = id.get<std::size_t>();
    if (i < runs.size() && runs[i]["status"] == "skipped") return "skipped: " + runs[i].value("error", "");
  }
  if (e["ok_repetitions"] == 0) {
    for (const auto& id : e["run_ids"])
      if (id.get<std::size_t>() < runs.size()) return notes(runs[id.get<std::size_t>()]);
    return "no result";
  }
  // Round trips that answered in place (--reply-line auto decides per repetition, by the floors before it).
  std::size_t in_place = 0, ok = 0;
  for (const auto& id : e["run_ids"]) {
    const auto i = id.get<std::size_t>();
    if (i >= runs.size() || runs[i]["status"] != "ok") continue;
    ++ok;
    if (runs[i].contains("reply_line") && runs[i]["reply_line"]["line"] == "shared") ++in_place;
  }
  if (in_place > 0)
    n += (n.empty() ? "" : "; ") + std::string("in place") +
         (in_place < ok ? " " + std::to_string(in_place) + "/" + std::to_string(ok) : std::string());
  const auto& reasons = e["unstable_reasons"];
  for (std::size_t i = 0; i < reasons.size(); ++i)
    n += (i ? "; " : n.empty() ? "unstable: " : "; unstable: ") + reasons[i].get<std::string>();
  if (auto s = in_sequence_note(runs, e["run_ids"]); !s.empty()) n += (n.empty() ? "" : "; ") + s;
  return n;
}

// One line per configuration: the median across repetitions with its CI, the CV, and why a row is unstable.
void print_repeated_tables(std::ostream& out, const json& report) {
  const auto& runs = report["runs"];
  const std::vector<int> wl = {9, 6, 5, 5, 11, 13, 13, 8, 9, 6, 4, 0};
  out << "\nPing-pong: round-trip time per message, median across repetitions \u00b1 half-width of its bootstrap 95% CI\n";
  row(out, {"transport", "wait", "size", "cpus", "placement", "p50", "p99", "vs floor", "rt/s", "p50 CV", "reps", "notes"},
      wl);
  for (const auto& e : report["summary"]) {
    if (e["pattern"] != "pingpong" && e["pattern"] != "rpc") continue;
    std::vector<std::string> c = {e["transport"], e["wait"], size_cell(runs[e["run_ids"][0].get<std::size_t>()]),
                                  pair_of(e["cpus"]), e["placement"]};
    const auto& m = e["metrics"];
    if (e["ok_repetitions"].get<std::size_t>() > 0) {
      std::vector<double> ratios;
      for (const auto& id : e["run_ids"]) {
        const auto i = id.get<std::size_t>();
        if (i < runs.size() && runs[i].contains("floor")) ratios.push_back(runs[i]["floor"]["p50_ratio"].get<double>());
      }
      char ratio[32] = "";
      if (!ratios.empty()) std::snprintf(ratio, sizeof ratio, "%.2fx", median(ratios));
      c.insert(c.end(), {with_ci(m["p50_rtt_ns"], false), with_ci(m["p99_rtt_ns"], false, false), ratio,
                         format_rate(m["msgs_per_s"]["median"].get<double>()), cv_text(m["p50_rtt_ns"])});
    } else {
      c.insert(c.end(), {"-", "-", "", "", ""});
    }
    c.push_back(std::to_string(e["ok_repetitions"].get<std::size_t>()) + "/" +
                std::to_string(e["repetitions"].get<std::size_t>()));
    c.push_back(summary_notes(e, runs));
    row(out, c, wl);
  }
  const std::vector<int> ws = {9, 6, 5, 5, 11, 14, 10, 6, 13, 4, 0};
  out << "\nStream: one-way throughput, median across repetitions \u00b1 half-width of its bootstrap 95% CI\n";
  row(out, {"transport", "wait", "size", "cpus", "placement", "msgs/s", "bytes/s", "CV", "floors", "reps", "notes"}, ws);
  for (const auto& e : report["summary"]) {
    if (e["pattern"] != "stream") continue;
    std::vector<std::string> c = {e["transport"], e["wait"], format_size(e["payload_bytes"].get<std::size_t>()),
                                  pair_of(e["cpus"]), e["placement"]};
    const auto& m = e["metrics"]["msgs_per_s"];
    const auto floors = floor_range(runs, e["run_ids"]);
    if (e["ok_repetitions"].get<std::size_t>() > 0)
      c.insert(c.end(), {with_ci(m, true),
                         format_rate(m["median"].get<double>() * e["payload_bytes"].get<double>()) + "B", cv_text(m),
                         floors ? floor_range_text(*floors) : ""});
    else
      c.insert(c.end(), {"-", "-", "", ""});
    c.push_back(std::to_string(e["ok_repetitions"].get<std::size_t>()) + "/" +
                std::to_string(e["repetitions"].get<std::size_t>()));
    std::string n = summary_notes(e, runs);
    if (floors && regimes_mixed(*floors))
      n += std::string(n.empty() ? "" : "; ") + "floors differ by more than 20%: repetitions from different regimes";
    c.push_back(n);
    row(out, c, ws);
  }
  out << "\n! = unstable: the headline metric (p50 for ping-pong, msgs/s for stream) has a CV above 5% or a 95% CI\n"
         "wider than \u00b15% of its median. Usual causes: other load on the same CPUs, CPU frequency scaling or\n"
         "boost, the hypervisor moving or descheduling vCPUs, too few samples per run (raise --duration).\n"
         "vs floor: median over repetitions of p50 / the cache-line floor measured just before each run.\n"
         "floors: lowest-highest p50 of the cache-line floor measured just before each repetition; a stream's rate\n"
         "moves with it on a VM, so compare designs within one regime (plot/claims.py same_regime).\n"
         "runs[] in the JSON holds every repetition; summary[] the medians, CIs and CVs shown here.\n";
}
// One row per mailbox run: aggregate throughput, one-way latency and each consumer's share.
void print_mailbox_table(std::ostream& out, const json& runs) {
  bool any = false;
  for (const auto& r : runs) any |= r["pattern"] == "mailbox";
  if (!any) return;
  const std::vector<int> w = {9, 6, 5, 6, 10, 10, 9, 9, 13, 5, 0};
  out << "\nMailbox: P producers and C consumers share one mailbox; aggregate throughput, one-way latency, who got what\n";
  row(out, {"transport", "wait", "size", "P->C", "msgs/s", "bytes/s", "p50", "p99", "shares", "Jain", "notes"}, w);
  for (const auto& r : runs) {
    if (r["pattern"] != "mailbox") continue;
    std::vector<std::string> c = {r["transport"], r["wait"], format_size(r["payload_bytes"].get<std::size_t>()),
                                  mailbox_shape(r)};
    if (r["status"] == "ok") {
      std::string shares;
      for (const auto& s : r["mailbox"]["fairness"]["shares"])
        shares.append(shares.empty() ? "" : "/").append(std::to_string(std::lround(100 * s.get<double>())));
      const auto& l = r["latency"]["one_way_ns"];
      c.insert(c.end(), {format_rate(r["throughput"]["msgs_per_s"]), format_rate(r["throughput"]["bytes_per_s"]) + "B",
                         format_ns(l["p50"]), format_ns(l["p99"]), shares + "%",
                         fixed2(r["mailbox"]["fairness"]["jain_index"])});
    } else {
      c.insert(c.end(), {"-", "-", "-", "-", "", ""});
    }
    c.push_back(notes(r));
    row(out, c, w);
  }
  out << "shares: each consumer's part of the messages received; Jain: fairness index over the consumers (1 = equal).\n";
}
}  // namespace

void print_tables(std::ostream& out, const json& report) {
  const auto& ctx = report["context"];
  bool repeated = false;
  for (const auto& e : report.value("summary", json::array())) repeated |= e["repetitions"].get<std::size_t>() > 1;
  if (repeated) {
    out << "\nFloors (p50; context.floors has the distributions and how each was measured):\n";
    if (ctx["floors"].contains("null_syscall")) out << "  " << host_floors_line(ctx["floors"]) << '\n';
    for (const auto& line : pair_floor_lines(ctx["floors"])) out << "  " << line << '\n';
    print_repeated_tables(out, report);
    topo::print_class_tables(out, report);
    print_rate_curves(out, report);
    print_mailbox_table(out, report["runs"]);
    for (const auto& w : ctx["warnings"]) out << "warning: " << w.get<std::string>() << '\n';
    return;
  }
  const auto floor_p50 = floor_p50_by_pair(ctx["floors"]["cacheline_pingpong"]);
  out << "\nFloors (p50; context.floors has the distributions and how each was measured):\n";
  if (ctx["floors"].contains("null_syscall")) out << "  " << host_floors_line(ctx["floors"]) << '\n';
  for (const auto& line : pair_floor_lines(ctx["floors"])) out << "  " << line << '\n';

  const std::vector<int> wl = {9, 6, 5, 5, 11, 9, 9, 9, 9, 8, 9, 11, 11, 9, 0};
  out << "\nPing-pong and rpc: round-trip time per message (request + reply; size is request/reply for rpc), percentiles\n";
  row(out, {"transport", "wait", "size", "cpus", "placement", "p50", "p90", "p99", "p99.9", "vs floor", "rt/s",
            "prod CPU", "cons CPU", "syscalls", "notes"},
      wl);
  for (const auto& r : report["runs"]) {
    if (r["pattern"] != "pingpong" && r["pattern"] != "rpc") continue;
    std::vector<std::string> c = {r["transport"], r["wait"], size_cell(r), pair_of(r["cpus"]), r["placement"]};
    if (r["status"] == "ok") {
      const auto& l = r["latency"]["rtt_ns"];
      // Prefer the floor measured just before this row; else the pair's before/after mean.
      auto it = floor_p50.find(pair_of(r["cpus"]));
      double floor = r.contains("floor") ? r["floor"]["rtt_ns"]["p50"].get<double>()
                                         : (it != floor_p50.end() ? it->second : 0.0);
      char ratio[32] = "";
      if (floor > 0) std::snprintf(ratio, sizeof ratio, "%.2fx", l["p50"].get<double>() / floor);
      c.insert(c.end(), {format_ns(l["p50"]), format_ns(l["p90"]), format_ns(l["p99"]), format_ns(l["p999"]), ratio,
                         format_rate(r["throughput"]["msgs_per_s"]), cpu_cost(r["cpu"]["producer"]),
                         cpu_cost(r["cpu"]["consumer"]), syscalls_cell(r["cpu"])});
    } else {
      c.insert(c.end(), {"-", "-", "-", "-", "", "", "", "", ""});
    }
    c.push_back(notes(r));
    row(out, c, wl);
  }

  const std::vector<int> ws = {9, 6, 5, 5, 11, 10, 10, 8, 11, 11, 9, 0};
  out << "\nStream: one-way throughput, first send until the consumer confirmed the last byte\n";
  row(out, {"transport", "wait", "size", "cpus", "placement", "msgs/s", "bytes/s", "floor", "prod CPU", "cons CPU",
            "syscalls", "notes"},
      ws);
  for (const auto& r : report["runs"]) {
    if (r["pattern"] != "stream") continue;
    std::vector<std::string> c = {r["transport"], r["wait"], format_size(r["payload_bytes"].get<std::size_t>()),
                                  pair_of(r["cpus"]), r["placement"]};
    if (r["status"] == "ok") {
      c.insert(c.end(), {format_rate(r["throughput"]["msgs_per_s"]), format_rate(r["throughput"]["bytes_per_s"]) + "B",
                         r.contains("floor") ? format_ns(r["floor"]["rtt_ns"]["p50"].get<double>()) : "",
                         cpu_cost(r["cpu"]["producer"]), cpu_cost(r["cpu"]["consumer"]), syscalls_cell(r["cpu"])});
    } else {
      c.insert(c.end(), {"-", "-", "", "", "", ""});
    }
    c.push_back(notes(r));
    row(out, c, ws);
  }
  print_mailbox_table(out, report["runs"]);
  out << "\nvs floor: pingpong p50 / p50 of the cache-line floor measured on the same CPUs just before the row.\n"
         "floor (stream): that floor's p50 for a stream row, which says the coherence regime it ran in.\n"
         "runs[].decomposition in the JSON splits each pingpong p50 into that floor + system calls x null syscall\n"
         "+ the rest (a model; see results/README.md).\n"
         "CPU columns: user+system CPU time per message in ns for each side (spinning shows up here).\n"
         "syscalls: system calls per message (per round trip for pingpong) made by each side's transport, "
         "producer+consumer.\n";
  topo::print_class_tables(out, report);
  print_rate_curves(out, report);
  for (const auto& w : ctx["warnings"]) out << "warning: " << w.get<std::string>() << '\n';
}

}  // namespace ipcbench
