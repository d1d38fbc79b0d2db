#pragma once
// The Multikernel experiment (Baumann et al., SOSP 2009, section 2.6, Fig. 3): the cost of updating n shared
// cache lines from k cores, by shared memory or by messages to one server that owns the lines.
//   shm-store / shm-atomic: k processes, one per CPU, update the same n lines in a loop (plain 8-byte stores as
//     in the paper, or an atomic fetch-and-add per line).
//   msg: k-1 clients each send a synchronous cache-line-sized request through their own request/reply slot
//     pair to one server process on the first CPU, which applies the update to the n lines it alone touches
//     and replies. k = 1 has no client: the server updates its lines locally, which is its own per-update cost.
// Each point is run in fresh processes on a fresh shared mapping; the parent only starts, times the phases
// and watches (it sleeps in 2 ms steps). What it does not measure: NUMA distance (the lines live wherever the
// kernel put the page), or asynchronous requests (the paper's clients could pipeline; ours wait for each reply).
#include <nlohmann/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ipcbench::multikernel {

enum class Method { shm_store, shm_atomic, msg };
const char* method_name(Method m);  // "shm-store", "shm-atomic", "msg"

inline constexpr int kMaxLines = 64;
inline constexpr int kMaxProcesses = 256;
inline constexpr int kRequestBytes = 64;  // one cache line: the request slot a client writes
// The server times one measured request in this many (two clock reads each), so the clock stays off most
// requests the clients are timing.
inline constexpr std::uint64_t kServerSampleEvery = 16;

struct Options {
  std::vector<int> cpus;  // N CPUs in ascending order; a point with k processes uses the first k
  std::vector<int> lines{1, 2, 4, 8};
  std::vector<Method> methods{Method::shm_store, Method::shm_atomic, Method::msg};
  std::uint64_t ops_per_point = 0;  // measured updates per process (shm) or per client (msg); 0: duration_s
  double duration_s = 0.1;          // measured phase of each trial when ops_per_point is 0
  double warmup_s = 0.02;           // discarded phase before it (ops mode: ops_per_point/10 updates, at least 100)
  unsigned repetitions = 3;         // trials per point, each in new processes
  double timeout_s = 5;             // a trial fails after this long without progress
  bool cycles = true;               // count cycles with perf_event where the machine can
  // Tests only: process `fault_process` (0 = the server or the first shm process) exits with status 9 after
  // `fault_after_ops` updates, so the test can watch the parent report it instead of hanging.
  int fault_process = -1;
  std::uint64_t fault_after_ops = 0;
};

// One trial of one point: {repetition, status, error?, processes[], updates, window_ns, updates_per_s,
// per_op_ns, per_op_cycles, server_per_update_ns, check{ok, rule, lines_final[], expected}}.
nlohmann::json run_trial(Method method, int k, int n, const Options& opt, unsigned repetition);

// The check that every update arrived: msg and shm-atomic lines must each hold the number of updates
// applied; shm-store lines must hold a value some process really stored (its id and op count). `ops_total`
// holds each process's updates including warm-up, in process order (msg: the server first, then clients).
nlohmann::json check_lines(Method method, int k, const std::vector<std::uint64_t>& lines_final,
                           const std::vector<std::uint64_t>& ops_total);

// The point: its trials plus medians and spreads over them: per_op_ns over every measuring process of every
// ok trial; server_per_update_ns and updates_per_s over trials.
nlohmann::json summarize_point(Method method, int k, int n, const std::vector<int>& cpus, const nlohmann::json& trials);

// Why per-op cycles are or are not recorded: {available, reason?, counter}.
nlohmann::json cycles_availability();

// `ipcbench multikernel ...`: parses (bad input: one line, exit 2), runs every point, writes the JSON after
// each trial. Exit 0 all ok, 1 some trial failed, 130 interrupted.
int multikernel_main(int argc, char** argv, const std::vector<std::string>& full_argv);

}  // namespace ipcbench::multikernel
