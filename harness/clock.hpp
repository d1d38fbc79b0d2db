#pragma once
// The one clock every measurement uses. Invariant TSC (rdtscp) where the CPU and kernel vouch for it,
// otherwise CLOCK_MONOTONIC. Ticks are converted to nanoseconds after the run, never in the hot loop.
#include <time.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace ipcbench {

struct ClockInfo {
  std::string source;             // "tsc" or "clock_monotonic"
  std::string reason;             // why this source was chosen
  double ns_per_tick = 1.0;       // calibrated against CLOCK_MONOTONIC_RAW
  double read_overhead_ns = 0.0;  // median cost of one back-to-back read
  double read_overhead_min_ns = 0.0;
  int read_samples = 0;           // back-to-back pairs behind the two figures above
  double resolution_ns = 1.0;     // smallest step the clock moves in, as measured (never finer than nominal)
  double calibration_ms = 0.0;
  // System calls per read, measured with the raw_syscalls:sys_enter tracepoint: 0 for a vDSO or TSC read;
  // absent when the tracepoint cannot be counted here.
  std::optional<double> syscalls_per_read;
};

class Clock {
 public:
  enum class Source { automatic, tsc, monotonic };
  // Chooses and calibrates (about 50 ms). Throws if `tsc` is forced where it is not usable.
  static const ClockInfo& init(Source wanted = Source::automatic);
  static const ClockInfo& info();
  static bool tsc_usable(std::string* why);
  // The step a clock moves in, from differences of its readings: their greatest common divisor (0 if all are 0).
  // A clock whose reads take longer than its step still shows it, as long as the differences vary.
  static std::uint64_t step_from(std::span<const std::uint64_t> deltas);
  // The same verdict from text: the cpuinfo "flags" line, available_clocksource and /proc/cmdline.
  static bool tsc_usable_from(const std::string& cpu_flags, const std::string& available_clocksources,
                              const std::string& kernel_cmdline, std::string* why);

  static inline std::uint64_t now() noexcept {
#if defined(__x86_64__)
    if (use_tsc_) {
      unsigned aux;
      std::uint64_t t = __rdtscp(&aux);  // waits for earlier instructions to finish
      _mm_lfence();                      // and keeps later ones from starting early
      return t;
    }
#endif
    return mono_ns();
  }
  static inline std::uint64_t mono_ns() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
  }
  static double to_ns(std::uint64_t ticks) noexcept { return static_cast<double>(ticks) * ns_per_tick_; }

 private:
  static inline bool use_tsc_ = false;
  static inline double ns_per_tick_ = 1.0;
};

}  // namespace ipcbench
