#pragma once
// What one run is asked to do (RunConfig) and what it measured (RunResult).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/os/perf.hpp"
#include "harness/stats.hpp"
#include "transports/transport.hpp"

namespace ipcbench {

enum class Pattern { pingpong, stream };
inline const char* to_string(Pattern p) { return p == Pattern::pingpong ? "pingpong" : "stream"; }

struct CpuPair {
  int producer = 0;
  int consumer = 0;
  bool operator==(const CpuPair&) const = default;
  [[nodiscard]] std::string str() const { return std::to_string(producer) + ":" + std::to_string(consumer); }
};

// Test hooks: make the consumer die, stop answering or fail (throw) after receiving this many messages.
// A dying consumer (SIGKILL) exists only in process mode; thread mode refuses it.
struct Fault {
  std::int64_t consumer_kill_after = -1;
  std::int64_t consumer_stall_after = -1;
  std::int64_t consumer_fail_after = -1;
};

struct RunConfig {
  std::string transport = "shm";
  Pattern pattern = Pattern::pingpong;
  Wait wait = Wait::spin;
  std::size_t payload_bytes = 64;
  CpuPair cpus;
  std::string placement = "cross-core";
  std::size_t capacity = 0;      // 0: transport default
  std::uint64_t messages = 0;    // 0: as many as fit in duration_s (estimated from the warm-up)
  double duration_s = 0.25;
  std::uint64_t warmup = 1000;
  bool verify = false;
  double timeout_s = 5.0;        // no progress for this long fails the run
  std::uint32_t spin_budget = 0; // 0: automatic, small when both ends share a CPU
  bool threads = false;          // producer and consumer as two threads of one process (same worker code)
  Fault fault;
};

struct SideStats {
  int cpu = -1;
  double user_ns = 0, sys_ns = 0;  // measured phase only (getrusage RUSAGE_THREAD)
  std::int64_t vol_ctx_switches = 0, invol_ctx_switches = 0;
  TransportCounters counters;      // measured phase only
  std::uint64_t verified = 0;      // messages checked (seq + checksum) with --verify, warm-up included
  os::PerfReading perf;            // measured phase only; a value is absent where this machine cannot count it
  // System calls the harness itself makes inside the measured phase (stopping the counters, the stream's
  // "done" message, clock reads where they are system calls): in perf's syscall count, not the transport's.
  std::uint64_t harness_syscalls = 0;

  // raw_syscalls:sys_enter over the phase minus harness_syscalls: what the transport's calls cost the
  // kernel, to compare with counters.syscalls. Absent when the tracepoint could not be counted.
  [[nodiscard]] std::optional<std::uint64_t> kernel_syscalls() const {
    auto raw = perf[os::Counter::syscalls];
    if (!raw) return std::nullopt;
    return *raw > harness_syscalls ? *raw - harness_syscalls : 0;
  }
};

struct RunResult {
  RunConfig config;
  std::string status = "ok";  // ok | error | skipped
  std::string error;
  std::uint64_t messages = 0;  // measured
  std::uint64_t warmup = 0;
  double elapsed_ns = 0;       // measured phase: first send .. last reply / consumer's confirmation
  std::vector<double> rtt_ns;  // pingpong samples, sorted once summarised
  Summary rtt;
  Histogram histogram;
  double msgs_per_s = 0, bytes_per_s = 0;
  SideStats producer, consumer;
  Effective effective;
  std::uint32_t spin_budget = 0;
  double wall_s = 0;  // whole run including fork, handshake, warm-up and teardown
};

std::uint32_t auto_spin_budget(const CpuPair& cpus);

}  // namespace ipcbench
