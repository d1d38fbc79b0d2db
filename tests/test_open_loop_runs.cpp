// Real rate and one-way runs: every transport of the default suite delivers every stamped message intact
// at an offered rate, a consumer slower than the offered rate shows as a growing backlog, and a stream
// whose buffer never drains is flagged.
#include <gtest/gtest.h>

#include <string>

#include "harness/open_loop.hpp"
#include "harness/os/affinity.hpp"
#include "harness/report.hpp"
#include "harness/sweep.hpp"
#include "tests/support.hpp"
#include "transports/registry.hpp"

namespace ipcbench {
namespace {

CpuPair test_pair() {
  std::string why;
  auto allowed = os::allowed_cpus();
  if (auto p = resolve_placement("cross-core", allowed, &why)) return *p;
  return {allowed.front(), allowed.front()};
}

RunConfig rate_config(const std::string& transport, double msgs_per_s, std::uint64_t messages) {
  RunConfig c;
  c.transport = transport;
  c.pattern = Pattern::rate;
  c.wait = transport == "shm" ? Wait::spin : Wait::block;
  c.payload_bytes = 64;
  c.cpus = test_pair();
  c.messages = messages;
  c.duration_s = 0;
  c.warmup = 100;
  c.verify = true;
  c.timeout_s = 10;
  c.rate.msgs_per_s = msgs_per_s;
  return c;
}

class RateRuns : public ::testing::TestWithParam<std::string> {};

TEST_P(RateRuns, EveryStampedMessageArrivesIntact) {
  const auto cfg = rate_config(GetParam(), 20'000, 400);
  const RunResult r = find_transport(cfg.transport)->run(cfg);
  ASSERT_EQ(r.status, "ok") << r.error;
  EXPECT_EQ(r.consumer.verified, cfg.warmup + cfg.messages) << "checksums hold with the stamp in the message";
  ASSERT_TRUE(r.one_way.present);
  EXPECT_EQ(r.one_way.latency.count, cfg.messages);
  EXPECT_STREQ(r.one_way.from, "intended send time");
  ASSERT_TRUE(r.open_loop.present);
  EXPECT_EQ(r.open_loop.dropped, 0u);
  EXPECT_DOUBLE_EQ(r.open_loop.period_ns, 50'000);
  // Paced at 20k/s, 400 messages take at least 399 periods: achieved can be below the offered rate, never
  // far above it.
  EXPECT_GT(r.open_loop.achieved_msgs_per_s, 0);
  EXPECT_LT(r.open_loop.achieved_msgs_per_s, 20'000 * 1.01);
  EXPECT_GE(r.elapsed_ns, 399 * 50'000.0);
  const auto j = to_json(r);
  EXPECT_EQ(j["loop"], "open");
  EXPECT_EQ(j["latency"]["one_way"]["ns"]["count"], cfg.messages);
}

INSTANTIATE_TEST_SUITE_P(DefaultSuite, RateRuns, ::testing::Values("shm", "mq", "pipe", "unix", "unixdgram", "tcp"));

TEST(RateRuns, BatchedRingIsFlushedBetweenPacedSends) {
  // shm-batched holds messages back until a batch is full; without a flush before each wait the consumer
  // would see them only a batch later (or never, at the end), and the latencies would grow by batch x period.
  // At 200 msgs/s (5 ms apart) an unflushed message would wait ~7 periods on average (35 ms); a blocking
  // consumer and a sleeping producer keep the check meaningful on a busy machine.
  auto cfg = rate_config("shm-batched", 200, 40);
  cfg.wait = Wait::block;
  const RunResult r = find_transport(cfg.transport)->run(cfg);
  ASSERT_EQ(r.status, "ok") << r.error;
  EXPECT_GT(r.open_loop.sleeps, 0u) << "5 ms gaps are slept through";
  EXPECT_LT(r.one_way.latency.p50, 3 * r.open_loop.period_ns) << "messages waited for later sends (batch of 16)";
}

TEST(RateRuns, SlowConsumerShowsAsAGrowingBacklog) {
  auto cfg = rate_config("pipe", 20'000, 2000);  // 0.1 s offered
  cfg.fault.consumer_delay_us = 200;              // the consumer takes at most 5k msgs/s
  cfg.verify = false;
  const RunResult r = find_transport(cfg.transport)->run(cfg);
  ASSERT_EQ(r.status, "ok") << r.error;
  EXPECT_TRUE(r.open_loop.backlog_grows);
  EXPECT_LT(r.open_loop.achieved_msgs_per_s, 0.5 * cfg.rate.msgs_per_s);
  bool warned = false;
  for (const auto& w : r.warnings) warned |= w.find("backlog keeps growing") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(RateRuns, KeepingUpIsNotABacklog) {
  auto cfg = rate_config("pipe", 2'000, 200);
  const RunResult r = find_transport(cfg.transport)->run(cfg);
  ASSERT_EQ(r.status, "ok") << r.error;
  EXPECT_FALSE(r.open_loop.backlog_grows);
}

TEST(StreamRuns, BufferThatNeverDrainsIsFlagged) {
  RunConfig cfg = rate_config("shm", 0, 60);
  cfg.pattern = Pattern::stream;
  cfg.capacity = Capacity::bounded(16);
  // The producer waits on a full ring to the end, a quarter of the run; a millisecond per message keeps the
  // consumer's pace steady enough (scheduling jitter on a busy machine) for the backlog estimate.
  cfg.fault.consumer_delay_us = 1000;
  const RunResult r = find_transport(cfg.transport)->run(cfg);
  ASSERT_EQ(r.status, "ok") << r.error;
  bool warned = false;
  for (const auto& w : r.warnings) warned |= w.find("stream backlog never drained") != std::string::npos;
  EXPECT_TRUE(warned) << "drain " << r.stream_drain_ns << " ns at " << r.msgs_per_s << " msgs/s";
}

TEST(OneWay, PingpongRecordsTheRequestsOneWayNextToTheRoundTrip) {
  RunConfig cfg = rate_config("shm", 0, 500);
  cfg.pattern = Pattern::pingpong;
  cfg.one_way = true;
  const RunResult r = find_transport(cfg.transport)->run(cfg);
  ASSERT_EQ(r.status, "ok") << r.error;
  ASSERT_TRUE(r.one_way.present);
  EXPECT_EQ(r.one_way.latency.count, cfg.messages);
  EXPECT_EQ(r.rtt.count, cfg.messages);
  EXPECT_STREQ(r.one_way.from, "send time");
  // One way is part of the round trip.
  EXPECT_LE(r.one_way.latency.min, r.rtt.max);
  EXPECT_LE(r.one_way.latency.p50, r.rtt.p99);
  const auto j = to_json(r);
  EXPECT_TRUE(j["latency"].contains("rtt_half_ns"));
  EXPECT_EQ(j["loop"], "closed");
}

TEST(ClockAcrossCpus, ConsistentHereAndCausal) {
  const auto p = test_pair();
  if (p.producer == p.consumer) GTEST_SKIP() << "one CPU allowed: nothing to compare";
  const auto c = clock_consistency(p.producer, p.consumer, 500);
  ASSERT_TRUE(c.checked) << c.error;
  EXPECT_TRUE(c.consistent) << c.min_forward_ns << " " << c.min_backward_ns;
  EXPECT_GE(c.min_forward_ns, 0);
  EXPECT_GE(c.min_backward_ns, 0);
}

}  // namespace
}  // namespace ipcbench

namespace ipcbench {
namespace {

// A consumer that dies or stops answering mid-run fails the rate run promptly, named, instead of hanging.
TEST(RateRuns, DeadOrStuckConsumerFailsTheRunPromptly) {
  for (const char* transport : {"shm", "pipe"}) {
    auto cfg = rate_config(transport, 20'000, 2000);
    cfg.fault.consumer_kill_after = 300;
    RunResult r = find_transport(cfg.transport)->run(cfg);
    EXPECT_EQ(r.status, "error") << transport;
    EXPECT_NE(r.error.find("killed by signal 9"), std::string::npos) << transport << ": " << r.error;
    cfg.fault = {};
    cfg.fault.consumer_stall_after = 300;
    cfg.timeout_s = 1;
    r = find_transport(cfg.transport)->run(cfg);
    EXPECT_EQ(r.status, "error") << transport;
    EXPECT_NE(r.error.find("timed out"), std::string::npos) << transport << ": " << r.error;
    EXPECT_LT(r.wall_s, 5) << transport;
  }
}

}  // namespace
}  // namespace ipcbench
