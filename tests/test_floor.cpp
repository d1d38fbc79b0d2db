// The floors: real measurements checked against relations that must hold physically (a system call costs
// more than reading the vDSO clock, a futex round trip more than one system call, ...), and their JSON.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "harness/floor.hpp"
#include "harness/os/affinity.hpp"
#include "harness/report.hpp"
#include "tests/support.hpp"

namespace ipcbench {
namespace {

CpuPair some_pair(std::string* placement) {
  const auto cpus = os::allowed_cpus();
  if (cpus.size() >= 2) {
    *placement = "cross-core";
    return {cpus[0], cpus[1]};
  }
  *placement = "same-core";
  return {cpus[0], cpus[0]};
}

TEST(TimePerCall, ABatchLastsAtLeastTheTargetAndAKnownCostIsFound) {
  // An operation that takes at least 2 us by construction.
  auto op = [] {
    const auto t0 = Clock::mono_ns();
    while (Clock::mono_ns() - t0 < 2000) {
    }
  };
  const auto p = time_per_call(op, 50e3, 5);
  EXPECT_EQ(p.batches, 5u);
  // Calls per batch double from 1 until a batch lasts 50 us; 32 calls last at least 64 us, so never more.
  EXPECT_LE(p.calls_per_batch, 32u);
  EXPECT_EQ(p.calls_per_batch & (p.calls_per_batch - 1), 0u) << "not a power of two";
  EXPECT_GE(p.ns_median, 2000.0);
  EXPECT_LE(p.ns_min, p.ns_median);
  EXPECT_LT(p.ns_median, 2e6) << "a 2 us operation measured as taking milliseconds";
}

TEST(MemcpyFloor, SizesAreTheDocumentedList) {
  const std::vector<std::size_t> want = {64,        256,       1024,      4096,      16384,   65536,
                                         262144,    1048576,   4194304,   16777216,  67108864};
  EXPECT_EQ(std::vector<std::size_t>(kMemcpySizes.begin(), kMemcpySizes.end()), want);
}

TEST(MemcpyFloor, BandwidthIsPositiveFiniteAndPhysicalForEverySize) {
  const std::vector<std::size_t> sizes(kMemcpySizes.begin(), kMemcpySizes.end());
  const auto m = measure_memcpy(sizes, 20e3, 3);
  ASSERT_EQ(m.points.size(), sizes.size());
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const auto& p = m.points[i];
    SCOPED_TRACE(p.bytes);
    EXPECT_EQ(p.bytes, sizes[i]);
    EXPECT_TRUE(std::isfinite(p.bytes_per_s));
    EXPECT_GT(p.bytes_per_s, 0);
    // No single core copies 10 TB/s: a faster figure means the copy was optimised away or mistimed.
    EXPECT_LT(p.bytes_per_s, 1e13);
    EXPECT_GT(p.copy.ns_median, 0);
    EXPECT_LE(p.copy.ns_min, p.copy.ns_median);
    EXPECT_GE(p.copy.calls_per_batch, 1u);
    EXPECT_DOUBLE_EQ(p.bytes_per_s, static_cast<double>(p.bytes) * 1e9 / p.copy.ns_median);
  }
  // 64 times the bytes cannot take less time (three sizes apart in the list).
  for (std::size_t i = 0; i + 3 < sizes.size(); ++i)
    EXPECT_GT(m.points[i + 3].copy.ns_median, m.points[i].copy.ns_median)
        << m.points[i + 3].bytes << " B vs " << m.points[i].bytes << " B";
}

bool clock_read_is_vdso() {
  if (Clock::info().source == "tsc") return true;
  std::ifstream in("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  std::string cs;
  in >> cs;
  // Clocksources whose CLOCK_MONOTONIC is read in user space (vDSO); hpet and acpi_pm enter the kernel.
  return std::set<std::string>{"tsc", "kvm-clock", "hyperv_clocksource_tsc_page", "arch_sys_counter"}.count(cs) > 0;
}

class Floors : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    null_syscall_ = measure_null_syscall();
    futex_wake_ = measure_futex_wake_no_waiter();
  }
  static inline PerCall null_syscall_, futex_wake_;
};

TEST_F(Floors, NullSyscallCostsMoreThanAClockRead) {
  if (!clock_read_is_vdso()) GTEST_SKIP() << "the clock is read through a system call here";
  EXPECT_GT(null_syscall_.ns_median, Clock::info().read_overhead_ns);
  EXPECT_GT(null_syscall_.calls_per_batch, 0u);
  EXPECT_EQ(null_syscall_.batches, 15u);
}

TEST_F(Floors, FutexWakeIsAKernelEntryToo) {
  // FUTEX_WAKE enters the kernel and then looks the word up: at least a null system call, give or take the
  // noise of two separate measurements.
  EXPECT_GT(futex_wake_.ns_median, 0.8 * null_syscall_.ns_median);
}

// A pair floor that ran: at least 100 round trips in 0.05 s, each one sample.
void expect_measured(const RunResult& f) {
  ASSERT_EQ(f.status, "ok") << f.error;
  ASSERT_GE(f.messages, 100u);
  EXPECT_EQ(f.rtt.count, f.messages);
}

TEST_F(Floors, FutexPingpongWakesTwicePerRoundTripAndCostsMoreThanASystemCall) {
  std::string placement;
  const auto pair = some_pair(&placement);
  const auto f = measure_futex_floor(pair, placement, 0.05, 5.0);
  ASSERT_NO_FATAL_FAILURE(expect_measured(f));
  EXPECT_EQ(f.producer.counters.futex_wakes, f.messages);
  EXPECT_EQ(f.consumer.counters.futex_wakes, f.messages);
  // Each round trip makes two FUTEX_WAKE calls one after the other (the consumer's after the producer's), so it
  // costs more than the fastest batch of null system calls. Not their median: measured once for the suite, it
  // took 820 ns per call in a stretch where this round trip's p50 was 548 ns (ctest -j2, 2026-12-05).
  EXPECT_GT(f.rtt.p50, null_syscall_.ns_min);
}

TEST_F(Floors, TwoLineFloorMakesOneRoundTripPerSampleOnItsOwnLines) {
  std::string placement;
  const auto pair = some_pair(&placement);
  const auto f = measure_two_line_floor(pair, placement, 0.05, 5.0);
  ASSERT_NO_FATAL_FAILURE(expect_measured(f));
  EXPECT_EQ(f.config.transport, "two-line");
  EXPECT_GT(f.rtt.p50, 0);
  // Spinning only: no system call but the spin budget's sched_yield, which cross-core it never reaches.
  EXPECT_EQ(f.producer.counters.futex_wakes + f.consumer.counters.futex_wakes, 0u);
  if (placement == "cross-core") {
    EXPECT_LT(f.producer.counters.spin_yields, f.messages / 10);
  }
  const auto j = floor_to_json(f);
  EXPECT_NE(j["method"].get<std::string>().find("16 pairs of 64-bit words"), std::string::npos) << j["method"];
}

// A line's round trip depends on its address (README, "A line's address"): on two dies by page and by which 256
// bytes of a kilobyte, on one die by which 128 bytes of a kilobyte (the cache slice). So a spinning floor takes its
// lines from every page of its mapping and every line of a kilobyte, never two on one 128-byte pair (the
// adjacent-line prefetcher moves pairs), and a two-line floor's reply from another 128-byte class than its request.
TEST(FloorLines, SpreadOverPagesAndEveryLineOfAKilobyte) {
  std::set<std::size_t> pages, lines_of_kib, pairs;
  std::map<std::size_t, int> quarters, classes;  // 256-byte quarter of a kilobyte; 128-byte class of a kilobyte
  for (std::size_t i = 0; i < kFloorLines; ++i) {
    const auto at = floor_line_offset(i), reply = floor_reply_offset(i);
    EXPECT_EQ(at % 64, 0u) << i;
    EXPECT_EQ(reply % 64, 0u) << i;
    EXPECT_LT(at, kFloorLines * 4096) << i;
    EXPECT_EQ(reply / 4096, at / 4096) << i << ": a reply on another page than its request";
    EXPECT_NE(reply % 1024 / 128, at % 1024 / 128) << i << ": a reply in its request's 128-byte class";
    pages.insert(at / 4096);
    lines_of_kib.insert(at % 1024 / 64);
    ++quarters[at % 1024 / 256];
    ++classes[at % 1024 / 128];
    EXPECT_TRUE(pairs.insert(at / 128).second) << i << ": two lines on one 128-byte pair";
    EXPECT_TRUE(pairs.insert(reply / 128).second) << i << ": a reply on a pair already taken";
    EXPECT_EQ(floor_line_offset(i + kFloorLines), at) << "line i and i + kFloorLines are one";
  }
  EXPECT_EQ(pages.size(), kFloorLines);
  EXPECT_EQ(lines_of_kib.size(), 16u);
  ASSERT_EQ(quarters.size(), 4u);
  for (const auto& [q, n] : quarters) EXPECT_EQ(n, 4) << "quarter " << q;
  ASSERT_EQ(classes.size(), 8u);
  for (const auto& [c, n] : classes) EXPECT_EQ(n, 2) << "class " << c;
  // Consecutive lines are not one stride apart (a stride prefetcher would fetch the next one ahead of its turn).
  std::set<std::ptrdiff_t> strides;
  for (std::size_t i = 0; i + 1 < kFloorLines; ++i)
    strides.insert(static_cast<std::ptrdiff_t>(floor_line_offset(i + 1)) -
                   static_cast<std::ptrdiff_t>(floor_line_offset(i)));
  EXPECT_GT(strides.size(), 1u);
}

TEST_F(Floors, CrossCoreFutexPingpongCostsMoreThanTheCacheLine) {
  std::string placement;
  const auto pair = some_pair(&placement);
  if (placement != "cross-core") GTEST_SKIP() << "needs two allowed CPUs";
  const auto line = measure_cacheline_floor(pair, placement, 0.05, 5.0);
  const auto futex = measure_futex_floor(pair, placement, 0.05, 5.0);
  ASSERT_EQ(line.status, "ok") << line.error;
  ASSERT_EQ(futex.status, "ok") << futex.error;
  // The futex words cross between the CPUs like the cache line does, plus system calls on both sides.
  EXPECT_GT(futex.rtt.p50, line.rtt.p50);
}

TEST(HostFloors, RunOnTheCpuAskedForAndGiveTheMaskBack) {
  const auto before = os::allowed_cpus();
  const int cpu = before.back();
  const auto f = measure_host_floors(cpu);
  EXPECT_EQ(f.cpu, cpu);
  EXPECT_EQ(os::allowed_cpus(), before);
  EXPECT_EQ(f.memcpy.points.size(), kMemcpySizes.size());
  EXPECT_GT(f.null_syscall.ns_median, 0);
  EXPECT_GT(f.futex_wake.ns_median, 0);
  EXPECT_GT(f.wall_s, 0);
}

TEST(FloorsJson, MemcpyEntriesSayWhetherTheyExceedTheLastLevelCache) {
  HostFloors f;
  f.cpu = 3;
  f.null_syscall = {950, 900, 15, 256};
  f.futex_wake = {1150, 1100, 15, 128};
  f.memcpy.llc_bytes = std::size_t{32} << 20;
  f.memcpy.llc_source = "crafted";
  for (std::size_t bytes : {std::size_t{16} << 20, std::size_t{64} << 20})
    f.memcpy.points.push_back({bytes, {1000, 900, 7, 1}, static_cast<double>(bytes) * 1e6});
  const auto j = host_floors_json(f);
  EXPECT_EQ(j.at("null_syscall").at("ns_per_call"), 950.0);
  EXPECT_EQ(j.at("null_syscall").at("cpu"), 3);
  EXPECT_EQ(j.at("futex_wake").at("calls_per_batch"), 128);
  const auto& sizes = j.at("memcpy").at("sizes");
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_EQ(sizes[0].at("working_set_bytes"), std::size_t{32} << 20);
  EXPECT_EQ(sizes[0].at("exceeds_llc"), false);  // 32 MiB of buffers in a 32 MiB cache
  EXPECT_EQ(sizes[1].at("exceeds_llc"), true);
  EXPECT_EQ(sizes[1].at("ns_per_copy"), 1000.0);
  f.memcpy.llc_bytes.reset();
  EXPECT_TRUE(host_floors_json(f).at("memcpy").at("sizes")[1].at("exceeds_llc").is_null());
  EXPECT_TRUE(host_floors_json(f).at("memcpy").at("llc_bytes").is_null());
}

}  // namespace
}  // namespace ipcbench
