#include "harness/clock.hpp"

#include <linux/perf_event.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "harness/os/perf.hpp"

namespace ipcbench {

namespace {
ClockInfo g_info;
bool g_ready = false;

std::uint64_t raw_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::string cpu_flags_line() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("flags", 0) == 0) return line.substr(line.find(':') + 1);
  return "";
}

bool has_word(const std::string& text, const std::string& word) {
  std::istringstream ss(text);
  std::string w;
  while (ss >> w)
    if (w == word) return true;
  return false;
}

std::string first_line(const char* path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}
}  // namespace

bool Clock::tsc_usable(std::string* why) {
  return tsc_usable_from(cpu_flags_line(),
                         first_line("/sys/devices/system/clocksource/clocksource0/available_clocksource"),
                         first_line("/proc/cmdline"), why);
}

bool Clock::tsc_usable_from(const std::string& cpu_flags, const std::string& available_clocksources,
                            const std::string& kernel_cmdline, std::string* why) {
#if !defined(__x86_64__)
  (void)cpu_flags, (void)available_clocksources, (void)kernel_cmdline;
  if (why) *why = "not an x86-64 CPU";
  return false;
#else
  if (!has_word(cpu_flags, "constant_tsc") || !has_word(cpu_flags, "nonstop_tsc")) {
    if (why) *why = "TSC is not invariant (constant_tsc/nonstop_tsc missing)";
    return false;
  }
  if (!has_word(available_clocksources, "tsc")) {
    if (why)
      *why = has_word(kernel_cmdline, "tsc=unstable")
                 ? "the kernel does not offer tsc as a clocksource (tsc=unstable on the kernel command line)"
                 : "the kernel does not offer tsc as a clocksource (it judged the TSC unstable)";
    return false;
  }
  if (why) *why = "invariant TSC (constant_tsc, nonstop_tsc) and the kernel lists tsc as a usable clocksource";
  return true;
#endif
}

std::uint64_t Clock::step_from(std::span<const std::uint64_t> deltas) {
  std::uint64_t step = 0;
  for (auto x : deltas) step = std::gcd(step, x);
  return step;
}

const ClockInfo& Clock::info() {
  if (!g_ready) return init();
  return g_info;
}

const ClockInfo& Clock::init(Source wanted) {
  std::string why;
  bool tsc = tsc_usable(&why);
  if (wanted == Source::tsc && !tsc) throw std::runtime_error("--clock tsc: the TSC is not usable here: " + why);
  use_tsc_ = wanted == Source::monotonic ? false : tsc;
  g_info = {};
  g_info.source = use_tsc_ ? "tsc" : "clock_monotonic";
  g_info.reason = wanted == Source::monotonic ? "chosen with --clock monotonic" : why;

  ns_per_tick_ = 1.0;
  if (use_tsc_) {
    // Ratio of TSC ticks to CLOCK_MONOTONIC_RAW over three 15 ms windows; the median is kept.
    std::vector<double> ratios;
    auto t_start = raw_ns();
    for (int i = 0; i < 3; ++i) {
      auto n0 = raw_ns();
      auto c0 = now();
      std::uint64_t n1;
      do n1 = raw_ns();
      while (n1 - n0 < 15'000'000);
      auto c1 = now();
      ratios.push_back(static_cast<double>(n1 - n0) / static_cast<double>(c1 - c0));
    }
    std::sort(ratios.begin(), ratios.end());
    ns_per_tick_ = ratios[1];
    g_info.calibration_ms = static_cast<double>(raw_ns() - t_start) / 1e6;
    g_info.resolution_ns = ns_per_tick_;
  } else {
    timespec res{};
    clock_getres(CLOCK_MONOTONIC, &res);
    g_info.resolution_ns = static_cast<double>(res.tv_sec) * 1e9 + static_cast<double>(res.tv_nsec);
  }
  g_info.ns_per_tick = ns_per_tick_;

  // Read overhead: 2000 back-to-back pairs; also the step the clock really moves in, which may be coarser than
  // its nominal resolution (on AMD Zen the TSC counts 2.6 GHz ticks but moves 26 at a time, every 10 ns).
  std::vector<std::uint64_t> d(2000);
  for (auto& x : d) {
    auto a = now();
    auto b = now();
    x = b - a;
  }
  if (const auto step = step_from(d)) g_info.resolution_ns = std::max(g_info.resolution_ns, to_ns(step));
  std::sort(d.begin(), d.end());
  g_info.read_samples = static_cast<int>(d.size());
  g_info.read_overhead_ns = to_ns(d[d.size() / 2]);
  g_info.read_overhead_min_ns = to_ns(d.front());

  // Is a clock read a system call here (no vDSO for this clocksource)? The kernel's syscall count of a
  // phase then includes the producer's clock reads, which the runner subtracts.
  std::string no_tracepoint;
  if (auto id = os::tracepoint_id("raw_syscalls/sys_enter", &no_tracepoint)) {
    const os::PerfEventSpec tp{"syscalls", PERF_TYPE_TRACEPOINT, *id};
    os::PerfGroup group(std::span<const os::PerfEventSpec>(&tp, 1));
    constexpr int kReads = 1000;
    std::uint64_t sink = 0;
    group.reset_and_enable();
    for (int i = 0; i < kReads; ++i) sink += now();
    group.disable();
    if (auto n = group.read()[0]; n && sink != 0) {
      // Rounded: a read either is a system call or is not; a stray signal must not make it 0.001.
      const auto calls = *n > os::ThreadCounters::kOwnSyscalls ? *n - os::ThreadCounters::kOwnSyscalls : 0;
      g_info.syscalls_per_read = std::round(static_cast<double>(calls) / kReads);
    }
  }
  g_ready = true;
  return g_info;
}

}  // namespace ipcbench
