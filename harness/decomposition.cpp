#include "harness/decomposition.hpp"

#include "harness/table.hpp"

namespace ipcbench {

using nlohmann::json;

Decomposition decompose(double rtt_p50_ns, double coherence_ns, double syscalls_per_round_trip,
                        double null_syscall_ns) {
  Decomposition d;
  d.rtt_p50_ns = rtt_p50_ns;
  d.coherence_ns = coherence_ns;
  d.syscalls_per_round_trip = syscalls_per_round_trip;
  d.null_syscall_ns = null_syscall_ns;
  d.kernel_entry_ns = syscalls_per_round_trip * null_syscall_ns;
  d.transport_ns = rtt_p50_ns - coherence_ns - d.kernel_entry_ns;
  return d;
}

std::optional<SyscallCount> syscalls_per_round_trip(const json& run) {
  if (run.value("status", "") != "ok" || run.value("pattern", "") != "pingpong") return std::nullopt;
  const auto messages = run.value("messages", std::uint64_t{0});
  if (messages == 0 || !run.contains("cpu")) return std::nullopt;
  const auto& p = run["cpu"]["producer"];
  const auto& c = run["cpu"]["consumer"];
  const auto n = static_cast<double>(messages);
  // The transports' own count of every system call they make, once they report one: plug-in point.
  if (p.contains("syscalls") && c.contains("syscalls"))
    return SyscallCount{(p["syscalls"].get<double>() + c["syscalls"].get<double>()) / n, "counted"};
  // Until then: the calls the wait loop counts (sched_yield, FUTEX_WAIT or poll, FUTEX_WAKE) ...
  double waits = 0;
  for (const auto* side : {&p, &c})
    for (const char* k : {"spin_yields", "blocking_waits", "futex_wakes"}) waits += side->value(k, 0.0);
  waits /= n;
  // ... are all that the shm ring ever enters the kernel for; a counted blocking wait makes at most one
  // FUTEX_WAIT (none when its re-check after announcing the sleep finds the message), so this is an upper bound. Every other transport moves each
  // message with at least one call on each side (send + receive per process per round trip); partial
  // transfers and non-blocking attempts that found nothing are not counted, so the figure is a lower bound.
  if (run.value("transport", "") == "shm") return SyscallCount{waits, "wait_counters"};
  return SyscallCount{4.0 + waits, "lower_bound"};
}

std::optional<json> decomposition_json(const json& run, const json& floors) {
  const auto calls = syscalls_per_round_trip(run);
  if (!calls) return std::nullopt;
  const auto null_syscall = floors.value("null_syscall", json::object()).value("ns_per_call", 0.0);
  if (null_syscall <= 0) return std::nullopt;
  double coherence = 0;
  std::string coherence_source;
  if (run.contains("floor") && run["floor"].contains("rtt_ns")) {
    coherence = run["floor"]["rtt_ns"]["p50"].get<double>();
    coherence_source = "runs[].floor";
  } else if (floors.contains("cacheline_pingpong")) {
    const auto by_pair = floor_p50_by_pair(floors["cacheline_pingpong"]);
    const std::string key = std::to_string(run["cpus"]["producer"].get<int>()) + ":" +
                            std::to_string(run["cpus"]["consumer"].get<int>());
    if (auto it = by_pair.find(key); it != by_pair.end()) {
      coherence = it->second;
      coherence_source = "context.floors.cacheline_pingpong";
    }
  }
  if (coherence_source.empty()) return std::nullopt;
  const auto d = decompose(run["latency"]["rtt_ns"]["p50"].get<double>(), coherence, calls->per_round_trip,
                           null_syscall);
  return json{{"model", "rtt_p50_ns = coherence_ns + kernel_entry_ns + transport_ns"},
              {"rtt_p50_ns", d.rtt_p50_ns},
              {"coherence_ns", d.coherence_ns},
              {"coherence_source", coherence_source},
              {"syscalls_per_round_trip", d.syscalls_per_round_trip},
              {"syscalls_basis", calls->basis},
              {"null_syscall_ns", d.null_syscall_ns},
              {"kernel_entry_ns", d.kernel_entry_ns},
              {"transport_ns", d.transport_ns}};
}

}  // namespace ipcbench
