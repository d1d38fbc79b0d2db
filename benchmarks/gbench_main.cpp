// Google Benchmark front end. Scenarios (`pingpong/shm/spin/64`, `stream/pipe/block/4096`, ...) call the
// same registry entry the CLI calls: each call of a benchmark function forks a fresh producer/consumer pair
// and measures exactly state.max_iterations messages; every message's own time is then fed to
// SetIterationTime, so the reported time per iteration is the mean of those messages and nothing here
// measures anything itself. The micro benchmarks (`micro/...`, `floor/cacheline`) are the primitives the
// scenario numbers are read against. The "CPU" column of a scenario is only the cost of replaying samples;
// the real CPU cost per message of each side is in the *_cpu_ns_per_msg counters.
#include <benchmark/benchmark.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "build_info.hpp"
#include "harness/clock.hpp"
#include "harness/floor.hpp"
#include "harness/os/affinity.hpp"
#include "harness/os/cancel.hpp"
#include "harness/os/futex.hpp"
#include "harness/os/mapping.hpp"
#include "harness/sweep.hpp"
#include "transports/registry.hpp"

namespace ipcbench {
namespace {

constexpr double kTimeoutS = 5.0;
constexpr std::uint64_t kWarmup = 1000;
// Each call of a scenario pays a fork, a handshake and a warm-up that the manual time does not show, so
// the default minimum time is lowered from the library's 0.5 s. Passed as a default flag rather than
// Benchmark::MinTime(), which would beat --benchmark_min_time and put "/min_time:0.200" into every name.
constexpr const char* kDefaultMinTimeFlag = "--benchmark_min_time=0.2";

struct Placement {
  CpuPair cpus;
  std::string name;
  std::string fallback_reason;  // why not cross-core, if it is not
};

const Placement& placement() {
  static const Placement p = [] {
    const auto allowed = os::allowed_cpus();
    std::string why;
    if (auto pair = resolve_placement("cross-core", allowed, &why)) return Placement{*pair, "cross-core", ""};
    auto same = resolve_placement("same-core", allowed, nullptr);
    return Placement{same.value_or(CpuPair{}), "same-core", why};
  }();
  return p;
}

bool skip_if_interrupted(benchmark::State& state) {
  if (!os::interrupted()) return false;
  state.SkipWithError("interrupted");
  return true;
}

// One iteration per sample. Only the sum of the samples reaches the reported time, so their order
// (sorted, as the harness leaves them) does not matter.
void replay_samples(benchmark::State& state, std::span<const double> samples_ns) {
  std::size_t i = 0;
  for (auto _ : state) state.SetIterationTime(samples_ns[i++] * 1e-9);
}

std::string describe(const RunResult& res) {
  return res.config.placement + " cpus " + std::to_string(res.producer.cpu) + ":" + std::to_string(res.consumer.cpu);
}

struct Scenario {
  std::string transport;
  Pattern pattern;
  Wait wait;
  std::size_t payload_bytes;
};

void run_scenario(benchmark::State& state, const Scenario& s) {
  if (skip_if_interrupted(state)) return;
  RunConfig cfg;
  cfg.transport = s.transport;
  cfg.pattern = s.pattern;
  cfg.wait = s.wait;
  cfg.payload_bytes = s.payload_bytes;
  cfg.cpus = placement().cpus;
  cfg.placement = placement().name;
  cfg.messages = static_cast<std::uint64_t>(state.max_iterations);
  cfg.duration_s = 0;  // exactly `messages`, however long they take
  cfg.warmup = kWarmup;
  cfg.timeout_s = kTimeoutS;

  RunResult res = find_transport(s.transport)->run(cfg);
  if (res.status != "ok") {
    state.SkipWithError(res.error.c_str());
    return;
  }
  if (res.messages != cfg.messages || (s.pattern == Pattern::pingpong && res.rtt_ns.size() != res.messages)) {
    state.SkipWithError(("harness measured " + std::to_string(res.messages) + " messages (" +
                         std::to_string(res.rtt_ns.size()) + " samples), asked for " + std::to_string(cfg.messages))
                            .c_str());
    return;
  }

  if (s.pattern == Pattern::pingpong) {
    replay_samples(state, res.rtt_ns);
  } else {
    const double per_msg_s = res.elapsed_ns * 1e-9 / static_cast<double>(res.messages);
    for (auto _ : state) state.SetIterationTime(per_msg_s);
  }

  const auto n = static_cast<double>(res.messages);
  state.SetBytesProcessed(static_cast<std::int64_t>(res.messages * s.payload_bytes));
  state.counters["msgs_per_s"] = res.msgs_per_s;
  state.counters["producer_cpu_ns_per_msg"] = (res.producer.user_ns + res.producer.sys_ns) / n;
  state.counters["consumer_cpu_ns_per_msg"] = (res.consumer.user_ns + res.consumer.sys_ns) / n;
  if (s.pattern == Pattern::pingpong) {
    state.counters["p50_ns"] = res.rtt.p50;
    state.counters["p99_ns"] = res.rtt.p99;
  }
  state.SetLabel(describe(res));
}

std::vector<Wait> waits_for(std::string_view transport) {
  if (transport == "shm") return {Wait::spin, Wait::block, Wait::hybrid};
  return {Wait::block, Wait::spin};
}

void register_scenarios() {
  constexpr std::size_t kSizes[] = {64, 4096, 65536};
  for (Pattern pattern : {Pattern::pingpong, Pattern::stream})
    for (const auto& entry : transport_table()) {
      std::size_t max_bytes = std::numeric_limits<std::size_t>::max();
      try {
        max_bytes = entry.capabilities().max_message_bytes;
      } catch (...) {
        // Registered anyway: the run itself then fails and says why.
      }
      for (Wait wait : waits_for(entry.name))
        for (std::size_t bytes : kSizes) {
          if (bytes > max_bytes) continue;
          Scenario s{std::string(entry.name), pattern, wait, bytes};
          const std::string name =
              std::string(to_string(pattern)) + "/" + s.transport + "/" + to_string(wait) + "/" + std::to_string(bytes);
          benchmark::RegisterBenchmark(name.c_str(), [s](benchmark::State& st) { run_scenario(st, s); })
              ->UseManualTime();
        }
    }
}

// ---- micro benchmarks -----------------------------------------------------------------------------

void micro_clock_read(benchmark::State& state) {
  if (skip_if_interrupted(state)) return;
  for (auto _ : state) benchmark::DoNotOptimize(Clock::now());
  state.SetLabel(Clock::info().source);
}

void micro_clock_gettime_monotonic(benchmark::State& state) {
  if (skip_if_interrupted(state)) return;
  for (auto _ : state) {
    timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    benchmark::DoNotOptimize(ts);
  }
}

void micro_null_syscall(benchmark::State& state) {
  if (skip_if_interrupted(state)) return;
  // syscall() rather than getppid(): nothing in libc may answer it without entering the kernel.
  for (auto _ : state) benchmark::DoNotOptimize(::syscall(SYS_getppid));
}

void micro_futex_wake_no_waiter(benchmark::State& state) {
  if (skip_if_interrupted(state)) return;
  // A shared mapping, as in the shm ring: shared futex keys cost more to look up than private ones.
  auto page = os::Mapping::shared_anonymous(4096);
  auto* word = new (page.data()) std::atomic<std::uint32_t>(0);
  if (os::futex_wake(word, 1) != 0) {
    state.SkipWithError((std::string("FUTEX_WAKE: ") + std::strerror(errno)).c_str());
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(os::futex_wake(word, 1));
}

void micro_memcpy(benchmark::State& state) {
  if (skip_if_interrupted(state)) return;
  const auto bytes = static_cast<std::size_t>(state.range(0));
  std::vector<std::byte> src(bytes, std::byte{0x5a}), dst(bytes, std::byte{0});  // touched: no faults in the loop
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), bytes);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
}

// The floor runs for a duration rather than a message count, so samples are gathered over as many runs as
// it takes and then thinned to max_iterations by taking evenly spaced ranks: the thinned set keeps the
// distribution (and its mean), which plain truncation of sorted samples would not.
void floor_cacheline(benchmark::State& state) {
  if (skip_if_interrupted(state)) return;
  const auto wanted = static_cast<std::size_t>(state.max_iterations);
  const Placement& p = placement();
  std::vector<double> pool;
  int runs = 0;
  double per_sample_ns = 200;
  while (pool.size() < wanted) {
    const double duration_s =
        std::clamp(static_cast<double>(wanted - pool.size()) * per_sample_ns * 1.2e-9, 0.005, 2.0);
    RunResult res = measure_cacheline_floor(p.cpus, p.name, duration_s, kTimeoutS);
    if (res.status != "ok") {
      state.SkipWithError(res.error.c_str());
      return;
    }
    if (res.rtt_ns.empty()) {
      state.SkipWithError("cache-line floor returned no samples");
      return;
    }
    per_sample_ns = std::max(res.rtt.mean, 1.0);
    pool.insert(pool.end(), res.rtt_ns.begin(), res.rtt_ns.end());
    ++runs;
    if (runs == 1) state.SetLabel(describe(res));
  }
  if (runs > 1) std::sort(pool.begin(), pool.end());
  std::vector<double> samples(wanted);
  for (std::size_t i = 0; i < wanted; ++i)
    samples[i] = pool[static_cast<std::size_t>((static_cast<double>(i) + 0.5) * static_cast<double>(pool.size()) /
                                               static_cast<double>(wanted))];
  replay_samples(state, samples);
  state.counters["p50_ns"] = mid_quantile_sorted(pool, 50);  // as summarize() reads every run
  state.counters["p99_ns"] = mid_quantile_sorted(pool, 99);
}

void register_micro() {
  benchmark::RegisterBenchmark("micro/clock_read", micro_clock_read);
  benchmark::RegisterBenchmark("micro/clock_gettime_monotonic", micro_clock_gettime_monotonic);
  benchmark::RegisterBenchmark("micro/null_syscall", micro_null_syscall);
  benchmark::RegisterBenchmark("micro/futex_wake_no_waiter", micro_futex_wake_no_waiter);
  benchmark::RegisterBenchmark("micro/memcpy", micro_memcpy)->RangeMultiplier(8)->Range(64, 64 << 20);
  benchmark::RegisterBenchmark("floor/cacheline", floor_cacheline)->UseManualTime();
}

bool min_time_given(int argc, char** argv) {
  if (std::getenv("BENCHMARK_MIN_TIME") != nullptr) return true;
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]).starts_with("--benchmark_min_time")) return true;
  return false;
}

void add_context() {
  const auto& ci = Clock::info();
  const auto& p = placement();
  benchmark::AddCustomContext("ipcbench_version", std::string(build::version) + " (" + build::git_commit + ")");
  char clock[160];
  std::snprintf(clock, sizeof clock, "%s, %.4g ns/tick, read %.3g ns (median)", ci.source.c_str(), ci.ns_per_tick,
                ci.read_overhead_ns);
  benchmark::AddCustomContext("ipcbench_clock", clock);
  std::string pair = p.name + " " + p.cpus.str();
  if (!p.fallback_reason.empty()) pair += " (" + p.fallback_reason + ")";
  benchmark::AddCustomContext("ipcbench_cpus", pair);
}

}  // namespace
}  // namespace ipcbench

int main(int argc, char** argv) {
  using namespace ipcbench;
  try {
    os::install_signal_handlers();  // Ctrl-C ends the current run cleanly; the remaining ones are skipped
    Clock::init();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ipcbench_gbench: %s\n", e.what());
    return 1;
  }
  register_scenarios();
  register_micro();
  std::vector<char*> args(argv, argv + argc);
  if (!min_time_given(argc, argv)) args.insert(args.begin() + 1, const_cast<char*>(kDefaultMinTimeFlag));
  int args_count = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&args_count, args.data());
  if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 1;
  add_context();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return os::interrupted() ? 130 : 0;
}
