// `ipcbench multikernel`: the command line, the sweep over points and repetitions, the JSON file and the table.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "harness/cli_parse.hpp"
#include "harness/clock.hpp"
#include "harness/env.hpp"
#include "harness/floor.hpp"
#include "harness/sweep.hpp"
#include "harness/multikernel.hpp"
#include "harness/os/affinity.hpp"
#include "harness/os/cancel.hpp"
#include "harness/parse.hpp"
#include "harness/report.hpp"

namespace ipcbench::multikernel {

using nlohmann::json;

namespace {

void check_writable(const std::string& path) {
  namespace fs = std::filesystem;
  fs::path p(path);
  if (fs::is_directory(p)) throw std::invalid_argument("--out: " + path + " is a directory; give a file name");
  if (p.has_parent_path() && !fs::is_directory(p.parent_path()))
    throw std::invalid_argument("--out: directory " + p.parent_path().string() + " does not exist; create it first");
  const std::string probe = path + ".tmp";
  std::ofstream f(probe);
  if (!f) throw std::invalid_argument("--out: cannot write " + path + " (check the directory is writable)");
  f.close();
  fs::remove(probe);
}

std::vector<int> parse_lines(const std::string& text) {
  std::vector<int> out;
  for (const auto& item : split_list(text, "--lines")) {
    const auto v = parse_count(item, "--lines");
    if (v < 1 || v > kMaxLines)
      throw std::invalid_argument("--lines: '" + item + "' is out of range; give line counts from 1 to " +
                                  std::to_string(kMaxLines) + ", e.g. 1,2,4,8");
    if (std::find(out.begin(), out.end(), static_cast<int>(v)) != out.end())
      throw std::invalid_argument("--lines: '" + item + "' is given twice");
    out.push_back(static_cast<int>(v));
  }
  return out;
}

std::vector<Method> parse_variants(const std::string& text) {
  std::vector<Method> out;
  for (const auto& item : split_list(text, "--variant")) {
    Method m;
    if (item == "store") m = Method::shm_store;
    else if (item == "atomic") m = Method::shm_atomic;
    else if (item == "msg") m = Method::msg;
    else throw std::invalid_argument("--variant: unknown value '" + item + "' (known: store, atomic, msg)");
    if (std::find(out.begin(), out.end(), m) != out.end())
      throw std::invalid_argument("--variant: '" + item + "' is given twice");
    out.push_back(m);
  }
  return out;
}

std::vector<int> parse_cpus(const std::string& text) {
  std::vector<int> cpus;
  try {
    cpus = os::parse_cpu_list(text);
  } catch (const std::exception&) {
    throw std::invalid_argument("--cpus: '" + text + "' is not a CPU list (e.g. 0-3 or 0,2,4)");
  }
  if (cpus.empty()) throw std::invalid_argument("--cpus: '" + text + "' names no CPU (e.g. 0-1)");
  const auto online = os::online_cpus(), allowed = os::allowed_cpus();
  for (int c : cpus) {
    if (std::find(online.begin(), online.end(), c) == online.end())
      throw std::invalid_argument("--cpus: CPU " + std::to_string(c) + " does not exist here (online: " +
                                  std::to_string(online.size()) + " CPUs)");
    if (std::find(allowed.begin(), allowed.end(), c) == allowed.end())
      throw std::invalid_argument("--cpus: CPU " + std::to_string(c) +
                                  " is outside this process's affinity mask; check taskset or the cgroup cpuset");
  }
  if (cpus.size() > static_cast<std::size_t>(kMaxProcesses))
    throw std::invalid_argument("--cpus: at most " + std::to_string(kMaxProcesses) + " CPUs");
  return cpus;
}

std::string format_ns(double ns) {
  char b[32];
  std::snprintf(b, sizeof b, ns < 10 ? "%.2f ns" : ns < 1000 ? "%.1f ns" : "%.0f ns", ns);
  return b;
}

std::string stat_text(const json& s, const char* unit_fmt) {
  if (s.is_null()) return "-";
  char b[48];
  std::snprintf(b, sizeof b, unit_fmt, s["median"].get<double>());
  return b;
}

void print_table(std::ostream& out, const json& doc) {
  char line[160];
  std::snprintf(line, sizeof line, "%-10s %3s %3s  %14s %14s %16s  %s\n", "method", "k", "n", "per-op ns (p50)",
                "server ns/upd", "updates/s", "status");
  out << line;
  for (const auto& p : doc["points"]) {
    std::snprintf(line, sizeof line, "%-10s %3d %3d  %14s %14s %16s  %s%s\n", p["method"].get<std::string>().c_str(),
                  p["k"].get<int>(), p["n"].get<int>(), stat_text(p["per_op_ns"], "%.1f").c_str(),
                  stat_text(p["server_per_update_ns"], "%.1f").c_str(), stat_text(p["updates_per_s"], "%.4g").c_str(),
                  p["status"].get<std::string>().c_str(), p["degenerate"].get<bool>() ? " (server alone)" : "");
    out << line;
  }
}

}  // namespace

int multikernel_main(int argc, char** argv, const std::vector<std::string>& full_argv) {
  CLI::App app{
      "ipcbench multikernel: the Multikernel paper's Fig. 3 (SOSP 2009, section 2.6). k = 1..N processes, one per "
      "CPU, update the same n cache lines by shared memory (plain stores, or atomic fetch-and-add), against k-1 "
      "clients sending synchronous cache-line requests to one server process that owns the lines."};
  app.footer(
      "Examples:\n"
      "  ipcbench multikernel                                  every CPU, n = 1,2,4,8, 0.1 s per trial, 3 trials\n"
      "  ipcbench multikernel --cpus 0-3 --duration 0.5 --repetitions 5 --out results/mk.json\n"
      "  ipcbench multikernel --variant atomic,msg --lines 1,8 --ops-per-point 100000\n"
      "Exit status: 0 every trial ok, 1 some trial failed (recorded in the JSON), 2 bad input, 130 interrupted.");
  std::string cpus, lines, ops, duration, warmup, variant, repetitions, timeout, out_path, clock = "auto";
  bool quiet = false, no_cycles = false;
  app.add_option("--cpus", cpus, "CPUs to use, e.g. 0-3 (default: every CPU this process may run on); k runs "
                                 "from 1 to their number; the msg server runs on the first");
  app.add_option("--lines", lines, "Numbers of shared cache lines n (default: 1,2,4,8; at most 64)");
  app.add_option("--ops-per-point", ops, "Measured updates per process (shm) or per client (msg) in each trial, "
                                         "after a tenth as many (at least 100) discarded; instead of --duration");
  app.add_option("--duration", duration, "Measured seconds per trial (default: 0.1)");
  app.add_option("--warmup", warmup, "Discarded seconds before each measured phase (default: 0.02)");
  app.add_option("--variant", variant, "store (plain stores), atomic (fetch-and-add), msg (client/server); "
                                       "default: all three");
  app.add_option("--repetitions", repetitions, "Trials per point, each in new processes (default: 3)");
  app.add_option("--timeout", timeout, "Fail a trial after this many seconds without progress (default: 5)");
  app.add_option("--clock", clock, "auto, tsc or monotonic (default: auto)");
  app.add_option("--out", out_path, "Result file (default: results/multikernel-<host>-<UTC time>.json)");
  app.add_flag("--no-cycles", no_cycles, "Do not open a perf cycle counter even where one is available");
  app.add_flag("--quiet", quiet, "No progress lines, no table");
  if (auto status = parse_command_line(app, argc, argv, "ipcbench multikernel")) return *status;
  auto given = [&](const char* name) { return app.count(name) > 0; };
  Options opt;
  Clock::Source clock_source = Clock::Source::automatic;
  try {
    opt.cpus = given("--cpus") ? parse_cpus(cpus) : os::allowed_cpus();
    if (given("--lines")) opt.lines = parse_lines(lines);
    if (given("--variant")) opt.methods = parse_variants(variant);
    if (given("--ops-per-point") && given("--duration"))
      throw std::invalid_argument("--ops-per-point and --duration both given: use one of them");
    if (given("--ops-per-point")) {
      opt.ops_per_point = parse_count(ops, "--ops-per-point");
      if (opt.ops_per_point == 0) throw std::invalid_argument("--ops-per-point: must be at least 1");
    }
    if (given("--duration")) opt.duration_s = parse_seconds(duration, "--duration");
    if (given("--warmup")) {
      if (given("--ops-per-point"))
        throw std::invalid_argument("--warmup is in seconds and applies to --duration; --ops-per-point warms up "
                                    "with a tenth of its updates");
      opt.warmup_s = parse_seconds(warmup, "--warmup");
    }
    if (given("--repetitions")) {
      const auto r = parse_count(repetitions, "--repetitions");
      if (r == 0 || r > 1000)
        throw std::invalid_argument("--repetitions: '" + repetitions + "' is out of range; give 1 to 1000");
      opt.repetitions = static_cast<unsigned>(r);
    }
    if (given("--timeout")) opt.timeout_s = parse_seconds(timeout, "--timeout");
    opt.cycles = !no_cycles;
    if (clock == "tsc") clock_source = Clock::Source::tsc;
    else if (clock == "monotonic") clock_source = Clock::Source::monotonic;
    else if (clock != "auto")
      throw std::invalid_argument("--clock: unknown value '" + clock + "' (known: auto, tsc, monotonic)");
    if (clock_source == Clock::Source::tsc) {
      std::string why;
      if (!Clock::tsc_usable(&why)) throw std::invalid_argument("--clock tsc: the TSC is not usable here: " + why);
    }
    if (given("--out") && out_path.empty()) throw std::invalid_argument("--out: empty file name");
    if (out_path.empty()) {
      std::filesystem::create_directories("results");
      out_path = "results/multikernel-" + hostname() + "-" + utc_timestamp(true) + ".json";
    }
    check_writable(out_path);
  } catch (const std::exception& e) {
    std::cerr << "ipcbench multikernel: error: " << e.what() << '\n';
    return 2;
  }

  try {
    os::install_signal_handlers();
    Clock::init(clock_source);
    json context = describe_environment(full_argv);
    context.erase("floors");
    const json cycles = opt.cycles ? cycles_availability()
                                   : json{{"available", false}, {"reason", "--no-cycles was given"}};
    if (!cycles["available"].get<bool>()) opt.cycles = false;
    context["cycles"] = cycles;
    std::vector<int> sorted = opt.cpus;
    if (auto busy = busy_cpus_warning(sorted)) context["warnings"].push_back(*busy);
    if (opt.cpus.size() < 2)
      context["warnings"].push_back("only one CPU: k = 1 only, and msg has no client (the server alone)");
    // What msg at k = 2 stands on: one cache line bounced between the server's CPU and the first client's.
    context["floors"] = {{"cacheline_pingpong", json::array()}};
    if (opt.cpus.size() >= 2) {
      const CpuPair pair{opt.cpus[0], opt.cpus[1]};
      auto floor = floor_to_json(measure_cacheline_floor(pair, classify_pair(pair), 0.1, opt.timeout_s));
      floor["when"] = "before";
      context["floors"]["cacheline_pingpong"].push_back(floor);
    }

    json methods = json::array();
    for (auto m : opt.methods) methods.push_back(method_name(m));
    json params = {{"cpus", opt.cpus},
                   {"max_k", opt.cpus.size()},
                   {"lines", opt.lines},
                   {"methods", methods},
                   {"mode", opt.ops_per_point ? "ops" : "duration"},
                   {"ops_per_point", opt.ops_per_point ? json(opt.ops_per_point) : json(nullptr)},
                   {"warmup_ops", opt.ops_per_point ? json(std::max<std::uint64_t>(100, opt.ops_per_point / 10))
                                                    : json(nullptr)},
                   {"duration_s", opt.ops_per_point ? json(nullptr) : json(opt.duration_s)},
                   {"warmup_s", opt.ops_per_point ? json(nullptr) : json(opt.warmup_s)},
                   {"repetitions", opt.repetitions},
                   {"timeout_s", opt.timeout_s},
                   {"line_bytes", 64},
                   {"request_bytes", kRequestBytes},
                   {"server_sample_every", kServerSampleEvery},
                   {"placement", "k processes on the first k CPUs of cpus; msg: the server on cpus[0], client i on "
                                 "cpus[i]"}};

    // points[] in method, k, n order; trials are run repetition by repetition, so slow drift spreads evenly.
    struct Key {
      Method m;
      int k, n;
    };
    std::vector<Key> keys;
    for (auto m : opt.methods)
      for (int k = 1; k <= static_cast<int>(opt.cpus.size()); ++k)
        for (int n : opt.lines) keys.push_back({m, k, n});
    std::vector<json> trials(keys.size(), json::array());
    auto document = [&] {
      json points = json::array();
      for (std::size_t i = 0; i < keys.size(); ++i)
        points.push_back(summarize_point(keys[i].m, keys[i].k, keys[i].n, opt.cpus, trials[i]));
      return json{{"schema_version", kSchemaVersion},
                  {"kind", "multikernel"},
                  {"context", context},
                  {"parameters", params},
                  {"points", points}};
    };
    write_json_atomic(out_path, document());
    if (!quiet)
      std::cerr << "ipcbench multikernel: clock " << Clock::info().source << ", " << keys.size() << " points x "
                << opt.repetitions << " trials on " << opt.cpus.size() << " CPUs, writing " << out_path << std::endl;

    bool failed = false;
    const std::size_t total = keys.size() * opt.repetitions;
    std::size_t done = 0;
    for (unsigned rep = 0; rep < opt.repetitions && !os::interrupted(); ++rep)
      for (std::size_t i = 0; i < keys.size() && !os::interrupted(); ++i) {
        json t = run_trial(keys[i].m, keys[i].k, keys[i].n, opt, rep);
        if (os::interrupted()) break;  // the trial cut short is not a measurement
        failed |= t["status"] != "ok";
        trials[i].push_back(t);
        ++done;
        write_json_atomic(out_path, document());
        if (!quiet) {
          std::string what = t["status"] != "ok" ? "FAILED: " + t["error"].get<std::string>()
                             : "per op " + (t["per_op_ns"].is_null() ? std::string("-")
                                                                     : format_ns(t["per_op_ns"]["median"]));
          if (t["status"] == "ok" && !t["server_per_update_ns"].is_null())
            what += ", server " + format_ns(t["server_per_update_ns"]) + "/update";
          std::cerr << "[" << done << "/" << total << "] " << method_name(keys[i].m) << " k=" << keys[i].k
                    << " n=" << keys[i].n << ": " << what << std::endl;
        }
      }
    json doc = document();
    if (os::interrupted()) {
      doc["context"]["warnings"].push_back("interrupted by the user after " + std::to_string(done) + " of " +
                                           std::to_string(total) + " trials; the file holds what was measured");
      doc["context"]["incomplete"] = true;
      write_json_atomic(out_path, doc);
    }
    if (!quiet) print_table(std::cout, doc);
    std::cout << "\nresults: " << out_path << std::endl;
    if (os::interrupted()) return 130;
    return failed ? 1 : 0;
  } catch (const std::exception& e) {
    std::cerr << "ipcbench multikernel: error: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace ipcbench::multikernel
