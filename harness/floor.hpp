#pragma once
// Floors: what every transport number stands on, measured at the start of every sweep and stored in
// context.floors. Per CPU pair: a cache line bounced between two processes (the coherence floor) and a
// futex ping-pong (the cheapest kernel wake-up of a sleeping peer). On one CPU, in this process: a null
// system call, FUTEX_WAKE with no waiter and memcpy bandwidth by size (the roofline for any copy). Same-CPU
// pairs use the same spin-then-yield fallback as the transports.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/clock.hpp"
#include "harness/run.hpp"

namespace ipcbench {

// A line's round trip depends on its address (floor.cpp): a spinning floor (the two below) bounces kFloorLines
// lines (pairs of lines), each on a page of its own and at another offset in it, for kFloorRun round trips each in
// turn, so its p50 is a line's at a typical address, not one address's luck.
constexpr std::size_t kFloorLines = 16;
constexpr std::uint64_t kFloorRun = 256;
// Where spinning-floor line (pair) i % kFloorLines starts, in bytes from its shared mapping.
std::size_t floor_line_offset(std::size_t i);
// Where its reply word is in the two-line floor: on the same page, on a 128-byte pair of lines of its own.
std::size_t floor_reply_offset(std::size_t i);

RunResult measure_cacheline_floor(const CpuPair& cpus, const std::string& placement, double duration_s,
                                  double timeout_s);
// The same round trip over two cache lines, each written by one side only: the producer stores 2n+1 on one, the
// consumer answers 2n+2 on the other. A ring's request and reply travel this way (no line has two writers), so this
// is the floor of any such design, where the cache-line floor above bounces one line that both sides write.
RunResult measure_two_line_floor(const CpuPair& cpus, const std::string& placement, double duration_s,
                                 double timeout_s);
// Two futex words in a shared page: the producer sets one and FUTEX_WAKEs, then FUTEX_WAITs on the other
// until the consumer answers the same way. Both wake unconditionally, so every round trip makes exactly two
// FUTEX_WAKE calls (counters.futex_wakes) and up to two FUTEX_WAITs (counters.blocking_waits).
RunResult measure_futex_floor(const CpuPair& cpus, const std::string& placement, double duration_s,
                              double timeout_s);

// The cost of one call of `op`, timed in batches: calls per batch are doubled until a batch takes at least
// `batch_target_ns` (so the clock's own cost and resolution vanish in it), then `batches` batches are timed.
struct PerCall {
  double ns_median = 0;  // median over the batches of (batch time / calls per batch)
  double ns_min = 0;     // the fastest batch, same unit
  std::uint32_t batches = 0;
  std::uint64_t calls_per_batch = 0;
};

template <class Op>
PerCall time_per_call(Op&& op, double batch_target_ns, std::uint32_t batches) {
  auto run = [&](std::uint64_t n) {
    const auto t0 = Clock::now();
    for (std::uint64_t i = 0; i < n; ++i) op();
    return Clock::to_ns(Clock::now() - t0);
  };
  std::uint64_t n = 1;
  run(1);  // warm: code, data and page tables
  while (n < (std::uint64_t{1} << 30) && run(n) < batch_target_ns) n *= 2;
  std::vector<double> per_call(batches == 0 ? 1 : batches);
  for (auto& x : per_call) x = run(n) / static_cast<double>(n);
  std::sort(per_call.begin(), per_call.end());
  return {per_call[per_call.size() / 2], per_call.front(), static_cast<std::uint32_t>(per_call.size()), n};
}

// syscall(SYS_getppid): enters and leaves the kernel, does nothing there.
PerCall measure_null_syscall();
// FUTEX_WAKE on a word in a shared anonymous mapping (as the shm ring's) that nobody waits on.
PerCall measure_futex_wake_no_waiter();

// memcpy bandwidth in one process, by size: 64 B ... 64 MiB.
inline constexpr std::array<std::size_t, 11> kMemcpySizes = {
    64, 256, 1024, 4096, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20};

struct MemcpyPoint {
  std::size_t bytes = 0;
  PerCall copy;              // one call: one memcpy of `bytes`
  double bytes_per_s = 0;    // bytes / copy.ns_median (bytes copied, not bytes read + written)
};

struct MemcpyFloor {
  std::optional<std::size_t> llc_bytes;  // last-level cache as the OS reports it, if it does
  std::string llc_source;
  bool huge_pages_advised = false;       // madvise(MADV_HUGEPAGE) accepted on both buffers
  std::vector<MemcpyPoint> points;       // in the order of `sizes`
};

// Source and destination are two distinct buffers of the largest size (2 MiB-aligned, transparent huge
// pages requested), written once before anything is timed (no page faults in the loop); every size copies from the start of one to the start of the other,
// again and again, so a size whose two buffers fit in the caches is measured warm, and one whose two buffers
// exceed the last-level cache misses on every line (a cyclic walk over more than the cache evicts each line
// before it comes round again).
MemcpyFloor measure_memcpy(const std::vector<std::size_t>& sizes, double batch_target_ns = 100e3,
                           std::uint32_t batches = 7);

// The in-process floors, measured on `cpu` (the thread is pinned there and returned to its mask after).
struct HostFloors {
  int cpu = -1;
  PerCall null_syscall;
  PerCall futex_wake;
  MemcpyFloor memcpy;
  double wall_s = 0;  // all three, including the memcpy buffers' page faults
};
HostFloors measure_host_floors(int cpu);

}  // namespace ipcbench
