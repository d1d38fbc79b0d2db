// The decomposition of a ping-pong p50 into coherence + kernel entry + transport: arithmetic on crafted
// numbers, where each term comes from, and when there is none.
#include <gtest/gtest.h>

#include "harness/decomposition.hpp"

namespace ipcbench {
namespace {

using nlohmann::json;

json side(double yields, double blocking_waits, double futex_wakes) {
  return {{"cpu", 0},
          {"user_ns_per_msg", 1.0},
          {"sys_ns_per_msg", 1.0},
          {"spin_yields", yields},
          {"blocking_waits", blocking_waits},
          {"futex_wakes", futex_wakes}};
}

json pingpong_row(const std::string& transport, double p50, std::uint64_t messages, json producer, json consumer) {
  return {{"transport", transport},
          {"pattern", "pingpong"},
          {"wait", "block"},
          {"status", "ok"},
          {"cpus", {{"producer", 0}, {"consumer", 1}}},
          {"messages", messages},
          {"latency", {{"rtt_ns", {{"p50", p50}}}}},
          {"cpu", {{"producer", std::move(producer)}, {"consumer", std::move(consumer)}}}};
}

json cacheline(int producer, int consumer, const char* when, double p50) {
  return {{"cpus", {{"producer", producer}, {"consumer", consumer}}}, {"status", "ok"}, {"when", when},
          {"rtt_ns", {{"p50", p50}}}};
}

json floors(double null_syscall_ns) {
  return {{"null_syscall", {{"ns_per_call", null_syscall_ns}}},
          {"cacheline_pingpong", {cacheline(0, 1, "before", 400), cacheline(0, 1, "after", 500),
                                  cacheline(0, 0, "before", 9000)}}};
}

TEST(Decomposition, TermsAddUpToTheMeasuredP50) {
  const auto d = decompose(20000, 450, 4, 1000);
  EXPECT_DOUBLE_EQ(d.kernel_entry_ns, 4000);
  EXPECT_DOUBLE_EQ(d.transport_ns, 20000 - 450 - 4000);
  EXPECT_DOUBLE_EQ(d.coherence_ns + d.kernel_entry_ns + d.transport_ns, d.rtt_p50_ns);
  EXPECT_DOUBLE_EQ(d.syscalls_per_round_trip, 4);
  EXPECT_DOUBLE_EQ(d.null_syscall_ns, 1000);
}

TEST(Decomposition, FractionalCallsAndNoCalls) {
  EXPECT_DOUBLE_EQ(decompose(1000, 400, 0.25, 800).kernel_entry_ns, 200);
  const auto spin = decompose(480, 440, 0, 1000);
  EXPECT_DOUBLE_EQ(spin.kernel_entry_ns, 0);
  EXPECT_DOUBLE_EQ(spin.transport_ns, 40);
}

TEST(Decomposition, ANegativeRemainderIsKeptNotClamped) {
  // One CPU: the "coherence" floor is two sched_yield switches, which the transport's own wake-ups overlap.
  const auto d = decompose(10000, 9500, 4, 1000);
  EXPECT_DOUBLE_EQ(d.transport_ns, -3500);
}

TEST(SyscallsPerRoundTrip, ShmUsesItsWaitCounters) {
  // 1000 round trips; producer: 900 futex waits + 1000 wakes, consumer: 950 waits + 1000 wakes.
  auto row = pingpong_row("shm", 20000, 1000, side(0, 900, 1000), side(0, 950, 1000));
  const auto c = syscalls_per_round_trip(row);
  ASSERT_TRUE(c);
  EXPECT_DOUBLE_EQ(c->per_round_trip, 3.85);
  EXPECT_EQ(c->basis, "wait_counters");
}

TEST(SyscallsPerRoundTrip, KernelTransportsAreALowerBoundOfFourPlusCountedWaits) {
  auto row = pingpong_row("pipe", 20000, 100, side(0, 0, 0), side(0, 0, 0));
  auto c = syscalls_per_round_trip(row);
  ASSERT_TRUE(c);
  EXPECT_DOUBLE_EQ(c->per_round_trip, 4);
  EXPECT_EQ(c->basis, "lower_bound");
  row["cpu"]["producer"] = side(50, 0, 0);  // sched_yield calls of a spinning side are counted on top
  EXPECT_DOUBLE_EQ(syscalls_per_round_trip(row)->per_round_trip, 4.5);
}

TEST(SyscallsPerRoundTrip, TheTransportsOwnCountWinsWhenPresent) {
  auto row = pingpong_row("pipe", 20000, 100, side(0, 0, 0), side(50, 0, 0));
  row["cpu"]["producer"]["syscalls"] = 300;
  row["cpu"]["consumer"]["syscalls"] = 250;
  const auto c = syscalls_per_round_trip(row);
  ASSERT_TRUE(c);
  EXPECT_DOUBLE_EQ(c->per_round_trip, 5.5);
  EXPECT_EQ(c->basis, "counted");
}

TEST(SyscallsPerRoundTrip, OnlyForOkPingpongRows) {
  auto row = pingpong_row("pipe", 20000, 100, side(0, 0, 0), side(0, 0, 0));
  row["status"] = "error";
  EXPECT_FALSE(syscalls_per_round_trip(row));
  row["status"] = "ok";
  row["pattern"] = "stream";
  EXPECT_FALSE(syscalls_per_round_trip(row));
}

TEST(DecompositionJson, UsesTheAdjacentFloorWhenTheRowHasOne) {
  auto row = pingpong_row("pipe", 20000, 100, side(0, 0, 0), side(0, 0, 0));
  row["floor"] = {{"rtt_ns", {{"p50", 600.0}, {"p99", 900.0}}}};
  const auto j = decomposition_json(row, floors(1000));
  ASSERT_TRUE(j);
  EXPECT_EQ(j->at("coherence_source"), "runs[].floor");
  EXPECT_DOUBLE_EQ(j->at("coherence_ns").get<double>(), 600);
  EXPECT_DOUBLE_EQ(j->at("kernel_entry_ns").get<double>(), 4000);
  EXPECT_DOUBLE_EQ(j->at("transport_ns").get<double>(), 20000 - 600 - 4000);
  EXPECT_DOUBLE_EQ(j->at("rtt_p50_ns").get<double>(), 20000);
  EXPECT_EQ(j->at("syscalls_basis"), "lower_bound");
}

TEST(DecompositionJson, FallsBackToTheMeanOfThePairsSweepFloors) {
  auto row = pingpong_row("shm", 1000, 10, side(0, 0, 0), side(0, 0, 0));
  const auto j = decomposition_json(row, floors(1000));
  ASSERT_TRUE(j);
  EXPECT_EQ(j->at("coherence_source"), "context.floors.cacheline_pingpong");
  EXPECT_DOUBLE_EQ(j->at("coherence_ns").get<double>(), 450);  // (400 + 500) / 2, not the 0:0 floor
  EXPECT_DOUBLE_EQ(j->at("transport_ns").get<double>(), 550);
}

TEST(DecompositionJson, NothingWithoutANullSyscallOrAFloorOfThePair) {
  auto row = pingpong_row("pipe", 20000, 100, side(0, 0, 0), side(0, 0, 0));
  EXPECT_FALSE(decomposition_json(row, json{{"cacheline_pingpong", json::array()}}));
  EXPECT_FALSE(decomposition_json(row, json{{"null_syscall", {{"ns_per_call", 1000.0}}},
                                            {"cacheline_pingpong", json::array()}}));
  row["cpus"] = {{"producer", 1}, {"consumer", 0}};  // a pair no floor was measured on
  EXPECT_FALSE(decomposition_json(row, floors(1000)));
}

}  // namespace
}  // namespace ipcbench
