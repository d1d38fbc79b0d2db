// ipcbench: sweep -> runs -> JSON (rewritten after every run) -> console table.
#include <algorithm>
#include <iostream>
#include <optional>
#include <set>
#include <string_view>

#include "harness/cli.hpp"
#include "harness/compare.hpp"
#include "harness/decomposition.hpp"
#include "harness/env.hpp"
#include "harness/floor.hpp"
#include "harness/open_loop.hpp"
#include "harness/multikernel.hpp"
#include "harness/mailbox.hpp"
#include "harness/os/affinity.hpp"
#include "harness/os/cancel.hpp"
#include "harness/repeat.hpp"
#include "harness/report.hpp"
#include "harness/runner.hpp"
#include "harness/table.hpp"
#include "harness/topology.hpp"
#include "transports/registry.hpp"

using namespace ipcbench;
using nlohmann::json;

namespace {
std::string seconds_text(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", s);
  return b;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "compare") return compare_main(argc - 1, argv + 1);
  if (argc >= 2 && std::string_view(argv[1]) == "multikernel")
    return multikernel::multikernel_main(argc - 1, argv + 1, std::vector<std::string>(argv, argv + argc));
  CliOptions opt;
  if (int rc = parse_cli(argc, argv, opt); rc >= 0) return rc;

  try {
    os::install_signal_handlers();
    Clock::init(opt.clock);
    json context = describe_environment(std::vector<std::string>(argv, argv + argc));
    context["repetitions"] = {
        {"count", opt.repetitions},
        {"seed", opt.seed},
        {"order", opt.repetitions > 1 ? "shuffled" : "sweep"},
        {"bootstrap", {{"statistic", "median"},
                       {"method", "percentile"},
                       {"resamples", kBootstrapResamples},
                       {"level", kConfidenceLevel},
                       {"seed", opt.seed}}},
        {"unstable_threshold", kUnstableFraction},
        {"unstable_causes",
         "other load on the same CPUs, CPU frequency scaling or boost, the hypervisor moving or descheduling "
         "vCPUs, or too few samples per run (raise --duration or --messages)"}};
    context["topology"] = topo::topology_json(topo::system_topology(), os::allowed_cpus());
    if (!opt.matrix) {
      context["placements"] = json::array();  // the pair picked for each placement, and its class
      for (const auto& pr : opt.spec.pairs)
        context["placements"].push_back(
            {{"placement", pr.placement},
             {"cpus", {{"producer", pr.cpus.producer}, {"consumer", pr.cpus.consumer}}},
             {"class", topo::pair_class(topo::system_topology(), pr.cpus.producer, pr.cpus.consumer)}});
    }
    json runs = json::array();
    json summary = json::array();  // summary[], in config_id order, updated after each run for its configuration
    auto update_summary = [&](const json& run) {
      const std::string key = config_key(run);
      json group = json::array();
      for (const auto& r : runs)
        if (config_key(r) == key) group.push_back(r);
      json entry = summarize_configurations(group, opt.seed).at(0);
      auto it = summary.begin();
      while (it != summary.end() && (*it)["config_id"] < entry["config_id"]) ++it;
      if (it != summary.end() && (*it)["config_id"] == entry["config_id"]) *it = entry;
      else summary.insert(it, entry);
    };
    auto report = [&] {
      json doc = make_report(context, runs, summary);
      if (opt.matrix)
        doc["matrix"] = topo::matrix_json(runs, context["floors"]["cacheline_pingpong"], opt.matrix_cpus,
                                          opt.matrix_plan, opt.matrix_budget_s);
      return doc;
    };
    auto save = [&] { write_json_atomic(opt.out_path, report()); };
    auto say = [&](const std::string& line) {
      if (!opt.quiet) std::cerr << line << std::endl;
    };
    const auto& ci = Clock::info();
    say("ipcbench: clock " + ci.source + " (read " + format_ns(ci.read_overhead_ns) + "), " +
        std::to_string(opt.runs.size()) + " runs" +
        (opt.repetitions > 1 ? " (" + std::to_string(opt.repetitions) + " repetitions of each configuration, "
                                   "shuffled with --seed " + std::to_string(opt.seed) + ")"
                             : std::string()) +
        ", writing " + opt.out_path);
    if (opt.matrix)
      say("ipcbench: matrix over CPUs " + std::to_string(opt.matrix_cpus.size()) + " allowed: " +
          std::to_string(opt.matrix_plan.pairs.size()) + " of " + std::to_string(opt.matrix_plan.pairs_total) +
          " ordered pairs" + (opt.matrix_plan.sampled ? " (sampled per class to fit --matrix-budget)" : "") +
          ", --matrix-budget " + seconds_text(opt.matrix_budget_s) + " s");
    else
      for (const auto& p : context["placements"])
        say("ipcbench: placement " + p["placement"].get<std::string>() + ": cpus " +
            std::to_string(p["cpus"]["producer"].get<int>()) + ":" + std::to_string(p["cpus"]["consumer"].get<int>()) +
            " (class " + p["class"].get<std::string>() + ")");
    const auto sweep_start_ns = Clock::mono_ns();

    // The floors of every CPU pair the sweep uses. The cache line is measured before and after the sweep: on
    // a VM the hypervisor may move vCPUs, and a floor that moved says so instead of skewing every ratio. The
    // two-line ping-pong (one writer per line, as in a ring) and the futex ping-pong (a kernel wake-up each way)
    // are measured before only.
    auto measure_floors = [&](const char* when) {
      std::set<std::pair<int, int>> seen;
      const bool before = std::string_view(when) == "before";
      // Measures one pair floor, stores it in context.floors[key] and returns its part of the progress line.
      using Measure = RunResult (*)(const CpuPair&, const std::string&, double, double);
      auto floor_of = [&](Measure measure, const char* key, const char* label, const PlacedPair& pr) {
        const auto f = measure(pr.cpus, pr.placement, opt.floor_duration_s, opt.spec.base.timeout_s);
        auto j = floor_to_json(f);
        j["when"] = when;
        context["floors"][key].push_back(j);
        return std::string(label) + (f.status == "ok" ? "p50 " + format_ns(f.rtt.p50) + " p99 " + format_ns(f.rtt.p99)
                                                      : "FAILED: " + f.error);
      };
      for (const auto& pr : opt.spec.pairs) {
        if (os::interrupted()) return;
        if (!seen.insert({pr.cpus.producer, pr.cpus.consumer}).second) continue;
        std::string line = std::string("[floor ") + when + "] cpus " + pr.cpus.str() + ": " +
                           floor_of(measure_cacheline_floor, "cacheline_pingpong", "cache line ", pr);
        if (before && !os::interrupted())
          line += floor_of(measure_two_line_floor, "two_line_pingpong", "; two lines ", pr);
        if (before && !os::interrupted())
          line += floor_of(measure_futex_floor, "futex_pingpong", "; futex ping-pong ", pr);
        say(line);
        save();
      }
    };
    // Which pairs are SMT siblings, and whether another task keeps the sweep's CPUs busy (~100 ms of /proc/stat).
    std::vector<CpuPair> pairs;
    std::vector<int> cpus;
    for (const auto& pr : opt.spec.pairs) {
      pairs.push_back(pr.cpus);
      cpus.push_back(pr.cpus.producer);
      cpus.push_back(pr.cpus.consumer);
    }
    std::sort(cpus.begin(), cpus.end());
    cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
    describe_cpu_pairs(context, pairs);
    if (auto busy = busy_cpus_warning(cpus)) context["warnings"].push_back(*busy);
    // Rate and --one-way subtract a reading of one CPU's clock from another's: check the pairs agree.
    if (auto w = check_one_way_clock(context, opt.runs)) say("warning: " + *w);
    // One CPU's floors, in this process, on the first producer CPU of the sweep (well under 0.5 s).
    context["floors"]["clock"] = clock_floor_json(ci);
    const int host_cpu = opt.spec.pairs.empty() ? os::allowed_cpus().front() : opt.spec.pairs.front().cpus.producer;
    context["floors"].update(host_floors_json(measure_host_floors(host_cpu)));
    say("[floors] " + host_floors_line(context["floors"]));
    save();
    measure_floors("before");

    bool failed = false;
    std::size_t done = 0;
    for (const auto& planned : opt.runs) {
      if (os::interrupted()) break;
      json j;
      const bool over_budget =
          opt.matrix && static_cast<double>(Clock::mono_ns() - sweep_start_ns) / 1e9 > opt.matrix_budget_s;
      if (!planned.skip_reason.empty() || over_budget) {
        RunResult skipped;
        skipped.config = planned.config;
        skipped.status = "skipped";
        skipped.error = !planned.skip_reason.empty()
                            ? planned.skip_reason
                            : "--matrix-budget of " + seconds_text(opt.matrix_budget_s) + " s used up before this run; raise it";
        j = to_json(skipped);
      } else if (RunConfig cfg = planned.config; cfg.pattern == Pattern::rate) {
        // --load: a fraction of this configuration's stream msgs/s, measured first if this invocation has none.
        resolve_copy_in(cfg, std::nullopt);  // no floor before a rate run
        std::string why_not;
        if (auto stream = prepare_rate_run(cfg, runs, &why_not)) {
          (*stream)["config_id"] = opt.runs.size() + runs.size();  // a configuration outside the planned sweep
          (*stream)["repetition"] = planned.repetition;
          runs.push_back(*stream);
          update_summary(*stream);
          say("[stream for --load] " + progress_line(*stream));
        }
        RunResult r;
        if (why_not.empty()) {
          r = find_transport(cfg.transport)->run(cfg);
        } else {
          r.config = cfg;
          r.status = "error";
          r.error = why_not;
        }
        j = to_json(r);
        failed |= j["status"] != "ok";
      } else {
        // On a VM the core-to-core latency can change within seconds, and every design's speed with it: each
        // row gets its own short floor on the same CPU pair, measured just before it, so "x floor" compares
        // like with like, and a stream row says which coherence regime it ran in (two designs measured in
        // different regimes are not comparable; results/README.md). Not on one CPU: nothing crosses a cache.
        // A round trip across two CPUs also gets the two-line floor (one writer per line, as in a ring): which of
        // the two a design should be read against changes with the regime (README, "The two-line floor").
        std::optional<RunResult> floor, two_line;
        const bool one_cpu = planned.config.cpus.producer == planned.config.cpus.consumer;
        if (round_trip(planned.config.pattern) || !one_cpu)
          floor = measure_cacheline_floor(planned.config.cpus, planned.config.placement, opt.adjacent_floor_s,
                                          opt.spec.base.timeout_s);
        if (round_trip(planned.config.pattern) && !one_cpu)
          two_line = measure_two_line_floor(planned.config.cpus, planned.config.placement, opt.adjacent_floor_s,
                                            opt.spec.base.timeout_s);
        // --copy-in auto, a stream of small messages into a ring across two CPUs: probe streams with each kind of store
        // decide (the floor does not tell every machine apart: runner.hpp, probe_copy_in).
        const std::optional<CopyInProbe> probe = copy_in_probes(cfg) ? probe_copy_in(cfg) : std::nullopt;
        resolve_copy_in(cfg, floor && floor->status == "ok" ? std::optional<double>(floor->rtt.p50) : std::nullopt, probe);
        resolve_reply_line(cfg, floor && floor->status == "ok" ? std::optional<double>(floor->rtt.p50) : std::nullopt,
                           two_line && two_line->status == "ok" ? std::optional<double>(two_line->rtt.p50) : std::nullopt);
        j = to_json(cfg.pattern == Pattern::mailbox ? run_mailbox(cfg) : find_transport(cfg.transport)->run(cfg));
        if (floor && floor->status == "ok" && j["status"] == "ok") {
          // messages and p50/p99 of a floor, and the row's p50 in its units where the row has a round trip
          auto adjacent = [&](const RunResult& f) {
            json a = {{"messages", f.messages}, {"rtt_ns", {{"p50", f.rtt.p50}, {"p99", f.rtt.p99}}}};
            if (round_trip(planned.config.pattern))
              a["p50_ratio"] = j["latency"]["rtt_ns"]["p50"].get<double>() / f.rtt.p50;
            return a;
          };
          j["floor"] = {{"kind", "cacheline_pingpong"}, {"when", "just before this run"}, {"lines", kFloorLines}};
          j["floor"].update(adjacent(*floor));
          if (two_line && two_line->status == "ok") j["floor"]["two_line"] = adjacent(*two_line);
        }
        if (auto d = decomposition_json(j, context["floors"])) j["decomposition"] = *d;
        failed |= j["status"] != "ok";
      }
      j["id"] = runs.size();  // runs[] index (a --load run may add its stream run before it)
      for (const auto& w : j.value("warnings", json::array())) {
        context["warnings"].push_back("run " + std::to_string(runs.size()) + " (" + config_key(j) + "): " + w.get<std::string>());
        say("  warning: " + w.get<std::string>());
      }
      j["config_id"] = planned.config_id;
      j["repetition"] = planned.repetition;
      runs.push_back(j);
      update_summary(j);
      ++done;
      std::string line = "[";  // built by appending: GCC 12 warns falsely (-Wrestrict) on "[" + std::string
      line.append(std::to_string(done)).append("/").append(std::to_string(opt.runs.size())).append("] ");
      if (opt.repetitions > 1)
        line.append("rep ").append(std::to_string(planned.repetition + 1)).append(" ");
      say(line + progress_line(j));
      save();
    }
    measure_floors("after");
    for (const auto& w : floor_drift_warnings(context["floors"]["cacheline_pingpong"])) context["warnings"].push_back(w);
    save();
    if (os::interrupted()) {
      context["warnings"].push_back("interrupted by the user after " + std::to_string(done) + " of " +
                                    std::to_string(opt.runs.size()) + " runs; the file holds what was measured");
      context["incomplete"] = true;
      save();
    }
    if (!opt.quiet) print_tables(std::cout, report());
    std::cout << "\nresults: " << opt.out_path << std::endl;
    if (os::interrupted()) return 130;
    return failed ? 1 : 0;
  } catch (const std::exception& e) {
    std::cerr << "ipcbench: error: " << e.what() << '\n';
    return 1;
  }
}
