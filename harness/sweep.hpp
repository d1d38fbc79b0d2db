#pragma once
// From what the user asked (SweepSpec) to the list of runs, with placements resolved to CPU pairs and
// impossible combinations either refused (asked for explicitly) or recorded as skipped (from defaults).
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "harness/run.hpp"

namespace ipcbench {

struct NamedSummary {
  std::string_view name;
  std::string_view summary;
};
std::span<const NamedSummary> placement_table();
std::span<const NamedSummary> pattern_table();
std::span<const NamedSummary> wait_table();

// Picks a representative CPU pair for a placement class among `allowed`; nullopt with a reason if the
// machine has no such pair ("not available here").
std::optional<CpuPair> resolve_placement(std::string_view name, const std::vector<int>& allowed, std::string* why_not);
// same-core, smt-sibling or cross-core, from sysfs topology.
std::string classify_pair(const CpuPair& pair);

struct PlacedPair {
  std::string placement;
  CpuPair cpus;
};

struct SweepSpec {
  std::vector<std::string> transports;
  std::vector<Pattern> patterns{Pattern::pingpong, Pattern::stream};
  std::vector<std::size_t> sizes{64, 4096, 65536};
  bool sizes_explicit = false;
  std::vector<Wait> waits;  // empty: shm -> spin,block; kernel transports -> block
  std::vector<PlacedPair> pairs;
  std::vector<Capacity> capacities{Capacity{}};  // --capacity; default: one run at the transport's default
  std::vector<OfferedRate> rates;  // --rate/--load, pattern rate only; empty: default_loads()
  std::vector<std::size_t> reply_sizes;  // --reply-sizes, rpc only; empty: each reply as large as its request
  std::vector<unsigned> producers{1}, consumers{1};  // --producers, --consumers: mailbox only
  RunConfig base;  // messages, duration, warm-up, verify, timeout, spin budget
};

// A bounded capacity may not ask for more than this many bytes per direction (capacity x message size).
inline constexpr std::size_t kMaxCapacityBytes = std::size_t{1} << 30;

struct PlannedRun {
  RunConfig config;
  std::string skip_reason;  // non-empty: recorded as "skipped", not run
  std::size_t config_id = 0;   // position of the configuration in the expanded sweep
  std::size_t repetition = 0;  // 0..repetitions-1
};

// Why `cfg` cannot run on this machine, or "" if it can.
std::string impossible_reason(const RunConfig& cfg);
// Throws std::invalid_argument when an explicitly requested combination is impossible.
std::vector<PlannedRun> expand(const SweepSpec& spec);
// Every planned run `repetitions` times, each an independent process pair. With more than one repetition the
// whole list is shuffled with `seed`, so slow drifts (other load, frequency, vCPU moves) spread over all
// configurations instead of hitting the ones that happen to run together; one repetition keeps sweep order.
std::vector<PlannedRun> repeat_runs(const std::vector<PlannedRun>& runs, std::size_t repetitions, std::uint64_t seed);

}  // namespace ipcbench
