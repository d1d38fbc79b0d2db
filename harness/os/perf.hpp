#pragma once
// perf_event_open counters for the calling thread only (pid 0, cpu -1: thread mode measures each side on
// its own), inheriting nothing, opened disabled and enabled around a measured phase. An event this machine
// cannot count (no PMU in a VM, tracefs not mounted, perf_event_paranoid) leaves a reason, never an
// exception: the run goes on without it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "harness/os/fd.hpp"

namespace ipcbench::os {

struct PerfEventSpec {
  const char* name;  // "context_switches": the JSON key
  std::uint32_t type;
  std::uint64_t config;
};

// "perf_event_open(cycles): No such file or directory: <what it means here and how to fix it>"
std::string perf_open_error(const std::string& event, std::uint32_t type, int err);

inline const std::vector<std::string>& tracefs_roots() {
  static const std::vector<std::string> roots{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
  return roots;
}
// The id of a tracepoint ("raw_syscalls/sys_enter") under the first of `roots` that has it; nullopt with
// *why naming what is missing and the command that fixes it (tracefs not mounted: mount -t tracefs ...).
std::optional<std::uint64_t> tracepoint_id(const std::string& event, std::string* why,
                                           const std::vector<std::string>& roots = tracefs_roots());

// One perf group: the first event that opens leads, the others join it; all are reset, enabled, disabled
// and read together (one ioctl each, PERF_IOC_FLAG_GROUP). An event that does not open is left out.
class PerfGroup {
 public:
  PerfGroup() = default;
  explicit PerfGroup(std::span<const PerfEventSpec> events);

  [[nodiscard]] bool available() const noexcept { return !fds_.empty(); }
  [[nodiscard]] bool complete() const noexcept { return missing_.empty(); }
  // Names of the events that did not open, and the first failure with its hint ("" when all opened).
  [[nodiscard]] const std::vector<std::string>& missing() const noexcept { return missing_; }
  [[nodiscard]] const std::string& reason() const noexcept { return reason_; }

  void reset_and_enable();
  void disable();
  // One value per event given to the constructor: nullopt for an event that did not open, or when the
  // group never got onto the PMU. Scaled by time_enabled / time_running when the kernel multiplexed the
  // group, and then *scaled is set.
  [[nodiscard]] std::vector<std::optional<std::uint64_t>> read(bool* scaled = nullptr) const;

 private:
  std::vector<Fd> fds_;     // opened events, leader first
  std::vector<int> index_;  // per given event: its position in fds_, or -1
  std::vector<std::string> missing_;
  std::string reason_;
};

// What ipcbench counts per side, in JSON order. Software counters, hardware counters, and the
// raw_syscalls:sys_enter tracepoint (every system call entry of the thread).
enum class Counter : std::size_t {
  context_switches,
  cpu_migrations,
  page_faults_minor,
  page_faults_major,
  task_clock_ns,
  cycles,
  instructions,
  cache_references,
  cache_misses,
  llc_loads,
  llc_load_misses,
  syscalls,
};
inline constexpr std::size_t kCounters = 12;
inline constexpr std::size_t kSoftwareCounters = 5;  // context_switches .. task_clock_ns
inline constexpr std::size_t kHardwareCounters = 6;  // cycles .. llc_load_misses
const char* counter_name(Counter c);

struct PerfReading {
  std::array<std::optional<std::uint64_t>, kCounters> values{};
  bool hardware_scaled = false;  // a hardware counter was multiplexed and its value is an estimate
  [[nodiscard]] std::optional<std::uint64_t> operator[](Counter c) const { return values[static_cast<std::size_t>(c)]; }
};

// Every Counter for the calling thread. start() enables hardware, software, then the tracepoint last;
// stop() disables the tracepoint first: so the tracepoint sees exactly kOwnSyscalls system calls of this
// class in a phase (the ioctl that stops it), which the caller subtracts.
class ThreadCounters {
 public:
  static constexpr std::uint64_t kOwnSyscalls = 1;

  // Opens everything it can; never throws for an event that cannot be counted. `tracefs` is where the
  // syscall tracepoint's id is looked up (tests point it elsewhere).
  explicit ThreadCounters(const std::vector<std::string>& tracefs = tracefs_roots());
  void start();
  void stop();
  [[nodiscard]] PerfReading read() const;

  struct Availability {
    bool available = false;       // at least one event of the kind counts
    std::string reason;           // why some or all events of the kind do not ("" when all do)
    std::vector<std::string> events;  // those that count
  };
  [[nodiscard]] Availability software() const;
  [[nodiscard]] Availability hardware() const;
  [[nodiscard]] Availability syscalls() const;

 private:
  PerfGroup software_;
  // One group per hardware event: a group counts only while all of it fits the PMU at once, alone each
  // event is multiplexed and scaled instead of silently counting nothing.
  std::vector<PerfGroup> hardware_;
  PerfGroup syscalls_;
  std::string syscalls_reason_;  // why the tracepoint could not even be looked up
};

}  // namespace ipcbench::os
