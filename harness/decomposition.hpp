#pragma once
// A model, not a measurement: a ping-pong round trip read as
//   rtt_p50 = coherence (the cache-line floor of the same CPU pair, p50)
//           + kernel_entry (system calls per round trip x the null system call)
//           + transport (the rest: what the calls do inside the kernel, copies, wake-ups, the ring's logic).
// Medians do not add up the way samples do, and each term is measured on its own, so the remainder can be
// small or even negative; it is reported as it comes out, never clamped. results/README.md says more.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace ipcbench {

struct Decomposition {
  double rtt_p50_ns = 0;
  double coherence_ns = 0;
  double syscalls_per_round_trip = 0;
  double null_syscall_ns = 0;
  double kernel_entry_ns = 0;  // syscalls_per_round_trip * null_syscall_ns
  double transport_ns = 0;     // rtt_p50_ns - coherence_ns - kernel_entry_ns
};

Decomposition decompose(double rtt_p50_ns, double coherence_ns, double syscalls_per_round_trip,
                        double null_syscall_ns);

// System calls per round trip (both processes together) and how the number was obtained.
struct SyscallCount {
  double per_round_trip = 0;
  std::string basis;  // "counted" | "wait_counters" | "lower_bound"; see the .cpp
};
// From an ok pingpong row of the results JSON (runs[]). Where the transports count their own system calls
// (cpu.<side>.syscalls), that count is used; until then an estimate from the wait counters.
std::optional<SyscallCount> syscalls_per_round_trip(const nlohmann::json& run);

// runs[].decomposition for an ok pingpong row, from the row (its adjacent `floor` if it has one) and
// context.floors (null system call; the sweep's cache-line floors of the pair otherwise). nullopt when the
// row is not an ok pingpong row or a term is missing.
std::optional<nlohmann::json> decomposition_json(const nlohmann::json& run, const nlohmann::json& floors);

}  // namespace ipcbench
