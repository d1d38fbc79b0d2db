#include "harness/cli.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <set>

#include "harness/cli_parse.hpp"
#include "harness/env.hpp"
#include "harness/open_loop.hpp"
#include "harness/mailbox.hpp"
#include "harness/os/affinity.hpp"
#include "harness/parse.hpp"
#include "harness/runner.hpp"
#include "harness/topology.hpp"
#include "transports/registry.hpp"

namespace ipcbench {

namespace {
void print_list() {
  std::cout << "Transports:\n";
  for (const auto& t : transport_table()) {
    auto caps = t.capabilities();
    std::printf("  %-12s %s\n", std::string(t.name).c_str(), std::string(t.summary).c_str());
    if (caps.max_message_bytes < (std::size_t{1} << 30))
      std::printf("  %-12s   max message here: %s bytes\n", "", std::to_string(caps.max_message_bytes).c_str());
    std::printf("  %-12s   --capacity unbounded: %s; 0: %s\n", "", unbounded_means(caps).c_str(),
                caps.native_rendezvous ? "native rendezvous" : "rendezvous emulated (ack per message)");
  }
  auto section = [](const char* title, auto table) {
    std::cout << title << ":\n";
    for (const auto& e : table)
      std::printf("  %-12s %s\n", std::string(e.name).c_str(), std::string(e.summary).c_str());
  };
  section("Wait strategies", wait_table());
  section("Patterns", pattern_table());
  std::cout << "Placements:\n";
  auto allowed = os::allowed_cpus();
  for (const auto& p : placement_table()) {
    std::string why;
    auto pair = resolve_placement(p.name, allowed, &why);
    std::printf("  %-12s %s\n  %-12s   here: %s\n", std::string(p.name).c_str(), std::string(p.summary).c_str(), "",
                pair ? ("cpus " + pair->str()).c_str() : why.c_str());
  }
}

template <class Enum, class Table>
std::vector<Enum> parse_enum_list(const std::string& text, const char* option, Table table, auto convert) {
  std::vector<Enum> out;
  for (const auto& name : split_list(text, option)) {
    bool found = false;
    for (const auto& e : table)
      if (e.name == name) {
        out.push_back(convert(name));
        found = true;
      }
    if (!found) {
      std::string known;
      for (const auto& e : table) known += (known.empty() ? "" : ", ") + std::string(e.name);
      throw std::invalid_argument(std::string(option) + ": unknown value '" + name + "' (known: " + known + ")");
    }
  }
  return out;
}

void check_cpu(int cpu, const std::vector<int>& online, const std::vector<int>& allowed) {
  auto has = [](const std::vector<int>& v, int c) { return std::find(v.begin(), v.end(), c) != v.end(); };
  if (!has(online, cpu))
    throw std::invalid_argument("--cpus: CPU " + std::to_string(cpu) + " does not exist here (online CPUs: " +
                                os::format_cpu_list(online) + ")");
  if (!has(allowed, cpu))
    throw std::invalid_argument("--cpus: CPU " + std::to_string(cpu) + " is outside this process's affinity mask (allowed: " +
                                os::format_cpu_list(allowed) + "); check taskset or the cgroup cpuset");
}

// --matrix: as many ordered CPU pairs as the budget allows by a rough cost model (each pair's four floors: cache
// line before and after, two-line and futex before; then its runs: duration plus fork, warm-up and the cache-line
// floor, and the two-line floor of a round trip); all of them when they fit.
void plan_matrix(CliOptions& out) {
  constexpr double kRunOverheadS = 0.1, kFloorOverheadS = 0.02;
  auto& spec = out.spec;
  spec.pairs = {{"same-core", CpuPair{out.matrix_cpus.front(), out.matrix_cpus.front()}}};
  const double runs_per_pair = static_cast<double>(expand(spec).size() * out.repetitions);
  const double run_s = std::max(spec.base.duration_s, 0.02) + kRunOverheadS + out.adjacent_floor_s;
  const double pair_s = 4 * (out.floor_duration_s + kFloorOverheadS) + runs_per_pair * run_s;
  const auto max_pairs = static_cast<std::size_t>(std::max(1.0, out.matrix_budget_s / pair_s));
  const auto& topology = topo::system_topology();
  out.matrix_plan = topo::matrix_pairs(topology, out.matrix_cpus, max_pairs, out.seed);
  spec.pairs.clear();
  for (const auto& p : out.matrix_plan.pairs) spec.pairs.push_back({classify_pair(p), p});
}

void check_writable(const std::string& path) {
  namespace fs = std::filesystem;
  fs::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    if (ec)
      throw std::invalid_argument("--out: cannot create directory " + p.parent_path().string() + ": " + ec.message());
  }
  if (fs::is_directory(p)) throw std::invalid_argument("--out: " + path + " is a directory; give a file name");
  const std::string probe = path + ".tmp";
  std::ofstream f(probe);
  if (!f) throw std::invalid_argument("--out: cannot write " + path + " (check the directory exists and is writable)");
  f.close();
  std::filesystem::remove(probe);
}
}  // namespace

int parse_cli(int argc, char** argv, CliOptions& out) {
  CLI::App app{
      "ipcbench: measure Linux IPC (shared-memory ring, POSIX mq, pipes, Unix sockets, TCP loopback) between "
      "pinned producer/consumer processes: round-trip latency distributions, throughput, CPU cost per message."};
  app.footer(
      "Examples:\n"
      "  ipcbench                                   default suite, results/<host>-<UTC time>.json\n"
      "  ipcbench --transports shm,pipe --sizes 64,4K --wait spin,block --placement cross-core\n"
      "  ipcbench --cpus 0:1 --patterns pingpong --messages 100000 --verify\n"
      "  ipcbench --placement shared-llc,cross-socket   (classes here: ipcbench --list)\n"
      "  ipcbench --matrix --transports shm --wait spin  (core-pair matrix, with the cache-line floor)\n"
      "  ipcbench --repetitions 5 --out a.json   (later: ipcbench compare a.json b.json)\n"
      "Exit status: 0 all runs ok, 1 some run failed, 2 bad input, 130 interrupted.");
  std::string transports, patterns, sizes, waits, cpus, placements, messages, duration, warmup, timeout, capacity,
      spin_budget, floor_duration, repetitions, seed, matrix_budget, reply_sizes, producers, consumers,
      clock = "auto", copy_in = "auto", reply_line = "auto";
  bool list = false, verify = false, threads = false, matrix = false;
  app.add_flag("--list", list, "List transports, wait strategies, patterns and placements, then exit");
  app.add_option("--transports", transports, "Comma-separated transports or groups: default (the six transports), ablation (the shm ring designs and "
                 "the raw-copy baselines), all (see --list)");
  app.add_option("--patterns", patterns, "pingpong,stream,rpc,mailbox,rate (default: pingpong,stream)");
  std::string rates, loads;
  bool one_way = false;
  app.add_option("--rate", rates, "Pattern rate: offered messages per second, e.g. 10k,100k,1M");
  app.add_option("--load", loads,
                 "Pattern rate: offered load as fractions of the same configuration's stream msgs/s, measured in "
                 "this invocation (default, without --rate: 0.1,0.25,0.5,0.75,0.9,1.0)");
  app.add_flag("--one-way", one_way,
               "Pingpong: the consumer also times each request one way (a send stamp in the message; one clock "
               "read more per round trip on the consumer's side)");
  app.add_option("--sizes", sizes, "Message sizes in bytes, K/M suffixes (default: 64,4K,64K); rpc: the request's size");
  app.add_option("--reply-sizes", reply_sizes,
                 "rpc only, a sweep axis: reply sizes in bytes, K/M suffixes (default: each reply as large as its request)");
  app.add_option("--producers", producers, "mailbox only, a sweep axis: producer processes, e.g. 1,2 (default: 1)");
  app.add_option("--consumers", consumers, "mailbox only, a sweep axis: consumer processes, e.g. 1,2 (default: 1)");
  app.add_option("--wait", waits, "block,spin,hybrid (default: shm spin+block, others block)");
  app.add_option("--cpus", cpus, "producer:consumer CPU pairs, e.g. 0:1,0:0 (instead of --placement)");
  app.add_option("--placement", placements,
                 "CPU-pair classes: same-core, smt-sibling, shared-l2, shared-llc, cross-llc, cross-numa, cross-socket, "
                 "or cross-core (any two CPUs not the same core or siblings); the harness picks a representative "
                 "pair of each (see --list; default: same-core,cross-core)");
  app.add_flag("--matrix", matrix,
               "Core-pair matrix: ping-pong over every ordered pair of allowed CPUs (diagonal included), or a "
               "sample per class when that does not fit in --matrix-budget; with the cache-line floor of each pair. "
               "Default size 64, transports from --transports");
  app.add_option("--matrix-budget", matrix_budget, "Seconds the --matrix sweep may take (default: 120)");
  app.add_option("--messages", messages, "Measured messages per run (default: as many as fit in --duration)");
  app.add_option("--duration", duration, "Target seconds per measured phase (default: 0.25)");
  app.add_option("--floor-duration", floor_duration,
                 "Seconds of samples per CPU-pair floor (cache line before/after, futex ping-pong; default: 0.1)");
  app.add_option("--warmup", warmup, "Warm-up messages per run, discarded (default: 1000)");
  app.add_option("--capacity", capacity,
                 "Buffer per direction, a sweep axis: 0 (rendezvous: send returns once the receiver took the "
                 "message), N messages (shm slots, mq_maxmsg, pipe/socket buffer of N x size), unbounded (the "
                 "transport's largest here; see --list)");
  app.add_option("--timeout", timeout, "Fail a run after this many seconds without progress (default: 5)");
  app.add_option("--spin-budget", spin_budget, "Polls before yielding (spin) or blocking (hybrid); default automatic");
  app.add_option("--clock", clock, "auto, tsc or monotonic (default: auto)");
  app.add_option("--copy-in", copy_in,
                 "How a one-way shm ring (and its copy baselines) copies messages of 8 KiB or more into its slots, "
                 "and the shm ring smaller ones from 57 B (published in batches while the producer streams): "
                 "cached, streaming (non-temporal stores, for CPUs that share no cache) or auto (streaming when the "
                 "cache-line floor just before the run is 300 ns or more; under 8 KiB across two CPUs, the faster of "
                 "probe streams with each; default)");
  app.add_option("--reply-line", reply_line,
                 "Where a round trip over the shm ring answers (messages of up to 1080 B, default capacity): shared "
                 "(in the line the request came in, one line both sides write), own (a line of its own, one writer "
                 "per line) or auto (shared when the cache-line floor just before the run is below the two-line "
                 "floor; default)");
  app.add_option("--out", out.out_path, "Result file (default: results/<host>-<UTC time>.json)");
  app.add_option("--repetitions", repetitions,
                 "Independent runs (process pairs) per configuration, in shuffled order; the table and summary[] "
                 "give the median with a bootstrap 95% confidence interval (default: 1)");
  app.add_option("--seed", seed, "Seed for the shuffled order and the bootstrap (default: random; recorded in the JSON)");
  app.add_flag("--verify", verify, "Check sequence number and checksum of every message");
  app.add_flag("--threads", threads,
               "Producer and consumer as two threads of one process instead of two processes (same worker code)");
  app.add_flag("--quiet", out.quiet, "No progress lines, no table");

  if (auto status = parse_command_line(app, argc, argv, "ipcbench")) return *status;
  if (list) {
    print_list();
    return 0;
  }

  // An option given with an empty value ("--sizes ''") is refused, not mistaken for the default.
  auto given = [&](const char* name) { return app.count(name) > 0; };
  try {
    auto& spec = out.spec;
    if (!given("--transports"))
      spec.transports = transport_group("default");
    else
      for (const auto& name : split_list(transports, "--transports")) {
        if (auto group = transport_group(name); !group.empty()) {
          spec.transports.insert(spec.transports.end(), group.begin(), group.end());
          continue;
        }
        if (!find_transport(name)) {
          std::string known;
          for (const auto& t : transport_table()) known += (known.empty() ? "" : ", ") + std::string(t.name);
          throw std::invalid_argument("--transports: unknown transport '" + name + "' (known: " + known +
                                      "; groups: default, ablation, all)");
        }
        spec.transports.push_back(name);
      }
    if (given("--patterns"))
      spec.patterns = parse_enum_list<Pattern>(patterns, "--patterns", pattern_table(), [](const std::string& n) {
        return n == "pingpong" ? Pattern::pingpong
               : n == "stream" ? Pattern::stream
               : n == "rpc"    ? Pattern::rpc
               : n == "rate"   ? Pattern::rate
                               : Pattern::mailbox;
      });
    const auto has_pattern = [&](Pattern p) {
      return std::find(spec.patterns.begin(), spec.patterns.end(), p) != spec.patterns.end();
    };
    if ((given("--rate") || given("--load")) && !has_pattern(Pattern::rate))
      throw std::invalid_argument(std::string(given("--rate") ? "--rate" : "--load") +
                                  " applies to the rate pattern only: add rate to --patterns (e.g. --patterns rate)");
    if (given("--rate")) spec.rates = parse_rates(rates);
    if (given("--load")) {
      auto l = parse_loads(loads);
      spec.rates.insert(spec.rates.end(), l.begin(), l.end());
    }
    if (one_way && !has_pattern(Pattern::pingpong))
      throw std::invalid_argument("--one-way applies to the pingpong pattern only: add pingpong to --patterns");
    if (given("--reply-sizes")) {
      if (!has_pattern(Pattern::rpc)) throw std::invalid_argument("--reply-sizes applies to rpc only: add --patterns rpc");
      spec.reply_sizes = parse_size_list(reply_sizes);
    }
    auto process_counts = [&](const std::string& text, const char* option) {
      if (!has_pattern(Pattern::mailbox))
        throw std::invalid_argument(std::string(option) + " applies to mailbox only: add --patterns mailbox");
      std::vector<unsigned> counts;
      for (const auto& item : split_list(text, option)) {
        const auto n = parse_count(item, option);
        if (n == 0 || n > kMaxMailboxProcesses)
          throw std::invalid_argument(std::string(option) + ": '" + item + "' is out of range; give counts from 1 to " +
                                      std::to_string(kMaxMailboxProcesses));
        counts.push_back(static_cast<unsigned>(n));
      }
      return counts;
    };
    if (given("--producers")) spec.producers = process_counts(producers, "--producers");
    if (given("--consumers")) spec.consumers = process_counts(consumers, "--consumers");
    if (given("--sizes")) {
      spec.sizes = parse_size_list(sizes);
      spec.sizes_explicit = true;
    }
    if (given("--wait"))
      spec.waits = parse_enum_list<Wait>(waits, "--wait", wait_table(), [](const std::string& n) {
        return n == "block" ? Wait::block : n == "spin" ? Wait::spin : Wait::hybrid;
      });
    if (clock == "tsc") out.clock = Clock::Source::tsc;
    else if (clock == "monotonic") out.clock = Clock::Source::monotonic;
    else if (clock != "auto") throw std::invalid_argument("--clock: unknown value '" + clock + "' (known: auto, tsc, monotonic)");
    if (out.clock == Clock::Source::tsc) {
      std::string why;
      if (!Clock::tsc_usable(&why)) throw std::invalid_argument("--clock tsc: the TSC is not usable here: " + why);
    }

    auto& base = spec.base;
    if (given("--messages")) {
      base.messages = parse_count(messages, "--messages");
      if (base.messages == 0) throw std::invalid_argument("--messages: must be at least 1");
      if (!given("--duration")) base.duration_s = 0;  // an explicit count alone is taken literally
    }
    if (given("--duration")) base.duration_s = parse_seconds(duration, "--duration");
    if (given("--floor-duration")) out.floor_duration_s = parse_seconds(floor_duration, "--floor-duration");
    if (given("--warmup")) base.warmup = parse_count(warmup, "--warmup");
    if (given("--timeout")) base.timeout_s = parse_seconds(timeout, "--timeout");
    if (given("--capacity")) spec.capacities = parse_capacity_list(capacity);
    if (given("--spin-budget")) {
      auto b = parse_count(spin_budget, "--spin-budget");
      if (b == 0 || b > 1u << 30) throw std::invalid_argument("--spin-budget: give a number from 1 to 1073741824");
      base.spin_budget = static_cast<std::uint32_t>(b);
    }
    if (copy_in == to_string(CopyIn::cached)) base.copy_in = CopyIn::cached;
    else if (copy_in == to_string(CopyIn::streaming)) base.copy_in = CopyIn::streaming;
    else if (copy_in != to_string(CopyIn::automatic))
      throw std::invalid_argument("--copy-in: unknown value '" + copy_in + "' (known: auto, cached, streaming)");
    if (reply_line == to_string(ReplyLine::own)) base.reply_line = ReplyLine::own;
    else if (reply_line == to_string(ReplyLine::shared)) base.reply_line = ReplyLine::shared;
    else if (reply_line != to_string(ReplyLine::automatic))
      throw std::invalid_argument("--reply-line: unknown value '" + reply_line + "' (known: auto, own, shared)");
    base.verify = verify;
    base.threads = threads;
    base.one_way = one_way;

    if (given("--repetitions")) {
      out.repetitions = parse_count(repetitions, "--repetitions");
      if (out.repetitions == 0 || out.repetitions > 1000)
        throw std::invalid_argument("--repetitions: '" + repetitions + "' is out of range; give a number from 1 to 1000");
    }
    auto online = os::online_cpus();
    auto allowed = os::allowed_cpus();
    if (given("--cpus") && given("--placement"))
      throw std::invalid_argument("--cpus and --placement both given: use one of them");
    if (given("--matrix-budget") && !matrix)
      throw std::invalid_argument("--matrix-budget without --matrix: add --matrix or leave the budget out");
    if (given("--seed")) out.seed = parse_count(seed, "--seed");
    else out.seed = std::random_device{}();  // 32 bits: short enough to retype as --seed
    if (matrix) {
      if (given("--cpus") || given("--placement"))
        throw std::invalid_argument(std::string("--matrix chooses the CPU pairs itself: leave out ") +
                                    (given("--cpus") ? "--cpus" : "--placement"));
      if (given("--patterns") && (spec.patterns.size() != 1 || spec.patterns.front() != Pattern::pingpong))
        throw std::invalid_argument("--matrix measures round trips: give --patterns pingpong or leave --patterns out");
      if (given("--matrix-budget")) out.matrix_budget_s = parse_seconds(matrix_budget, "--matrix-budget");
      spec.patterns = {Pattern::pingpong};
      if (!given("--sizes")) spec.sizes = {64};
      out.matrix = true;
      out.matrix_cpus = allowed;
      plan_matrix(out);
    } else if (given("--cpus")) {
      for (const auto& p : parse_cpu_pairs(cpus)) {
        check_cpu(p.producer, online, allowed);
        check_cpu(p.consumer, online, allowed);
        spec.pairs.push_back({classify_pair(p), p});
      }
    } else {
      bool explicit_placement = given("--placement");
      auto names = explicit_placement ? split_list(placements, "--placement")
                                      : std::vector<std::string>{"same-core", "cross-core"};
      for (const auto& name : names) {
        bool known = false;
        for (const auto& p : placement_table()) known |= p.name == name;
        if (!known)
          throw std::invalid_argument("--placement: unknown value '" + name + "' (known: " + topo::placement_names() + ")");
        std::string why;
        auto pair = resolve_placement(name, allowed, &why);
        if (pair) spec.pairs.push_back({name, *pair});
        else if (explicit_placement) throw std::invalid_argument("--placement: " + why);
        else std::cerr << "ipcbench: note: " << why << "\n";
      }
    }

    out.runs = repeat_runs(expand(spec), out.repetitions, out.seed);
    if (given("--out") && out.out_path.empty()) throw std::invalid_argument("--out: empty file name");
    if (out.out_path.empty()) out.out_path = "results/" + hostname() + "-" + utc_timestamp(true) + ".json";
    check_writable(out.out_path);
  } catch (const std::exception& e) {
    std::cerr << "ipcbench: error: " << e.what() << '\n';
    return 2;
  }
  return -1;
}

}  // namespace ipcbench
