// Open loop (pattern rate), one-way stamps, the knee and the per-run validity warnings, on made-up inputs
// whose answers are known.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "harness/open_loop.hpp"
#include "harness/payload.hpp"
#include "harness/report.hpp"
#include "harness/run.hpp"
#include "harness/sweep.hpp"

namespace ipcbench {
namespace {

using nlohmann::json;

TEST(Pinning, WarnsOnlyWhenTheSideMoved) {
  EXPECT_FALSE(pinning_warning("producer", 1, 1));
  EXPECT_FALSE(pinning_warning("producer", 1, -1)) << "unknown: no claim either way";
  auto w = pinning_warning("consumer", 1, 0);
  ASSERT_TRUE(w);
  EXPECT_NE(w->find("pinning not honoured"), std::string::npos);
  EXPECT_NE(w->find("consumer was pinned to CPU 1 but ran on CPU 0"), std::string::npos) << *w;
}

TEST(Pinning, RunWarningsComeFromEachSidesCpuAfter) {
  RunResult r;
  r.config.pattern = Pattern::stream;
  r.config.cpus = {0, 1};
  r.producer.cpu_after = 0;
  r.consumer.cpu_after = 1;
  add_run_warnings(r, {});
  EXPECT_TRUE(r.warnings.empty());
  r.consumer.cpu_after = 0;
  add_run_warnings(r, {});
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("consumer"), std::string::npos);
}

TEST(Ramp, FirstTenthSlowerThanTheRestWarns) {
  std::vector<double> flat(1000, 200.0);
  EXPECT_FALSE(ramp_warning(flat));
  std::vector<double> ramp = flat;
  for (std::size_t i = 0; i < 100; ++i) ramp[i] = 300;  // first tenth 50% slower
  auto w = ramp_warning(ramp);
  ASSERT_TRUE(w);
  EXPECT_NE(w->find("50% above"), std::string::npos) << *w;
  // Just under the threshold: no warning.
  for (std::size_t i = 0; i < 100; ++i) ramp[i] = 200 * (1 + kRampThreshold) - 1;
  EXPECT_FALSE(ramp_warning(ramp));
  // The slow samples at the end are not a ramp.
  std::vector<double> tail = flat;
  for (std::size_t i = 900; i < 1000; ++i) tail[i] = 400;
  EXPECT_FALSE(ramp_warning(tail));
}

TEST(StreamBacklog, WholeBufferStillQueuedAtTheEndWarns) {
  // 1M msgs/s, 64-message buffer: 64 us to drain a full buffer; a 500 us run.
  EXPECT_TRUE(stream_backlog_warning(64'000, 500'000, 1e6, 64));
  EXPECT_TRUE(stream_backlog_warning(58'000, 500'000, 1e6, 64)) << "90% of the buffer counts as full";
  EXPECT_TRUE(stream_backlog_warning(46'000, 400'000, 1e6, 64)) << "a batch short of full (room comes in quarters)";
  EXPECT_FALSE(stream_backlog_warning(40'000, 400'000, 1e6, 64)) << "well short of full";
  EXPECT_FALSE(stream_backlog_warning(10'000, 500'000, 1e6, 64)) << "a buffer that had nearly drained";
  EXPECT_FALSE(stream_backlog_warning(64'000, 500'000, 1e6, 0)) << "capacity unknown: no claim";
  EXPECT_FALSE(stream_backlog_warning(64'000, 1e9, 1e6, 64)) << "a drain too short to matter in a 1 s run";
}

TEST(RateBacklog, GrowingLatencyIsABacklogAStallIsNot) {
  const double duration_ns = 100e6;  // 100 ms run
  std::vector<double> steady(10000, 5'000);
  EXPECT_FALSE(backlog_grows(steady, duration_ns));
  std::vector<double> growing(10000);
  for (std::size_t i = 0; i < growing.size(); ++i) growing[i] = 5'000 + 2'000.0 * static_cast<double>(i);  // to 20 ms
  EXPECT_TRUE(backlog_grows(growing, duration_ns));
  std::vector<double> stall_at_end = steady;  // a late stall: the middle did not grow
  for (std::size_t i = 9000; i < 10000; ++i) stall_at_end[i] = 30e6;
  EXPECT_FALSE(backlog_grows(stall_at_end, duration_ns));
  std::vector<double> small_growth(10000);  // grows, but by less than 5% of the run
  for (std::size_t i = 0; i < small_growth.size(); ++i) small_growth[i] = 5'000 + 0.3 * static_cast<double>(i);
  EXPECT_FALSE(backlog_grows(small_growth, duration_ns));
}

TEST(Knee, P99FactorOrAchievedShortfall) {
  std::string why;
  std::vector<CurvePoint> flat = {{1e5, 1e5, 1000, 2000, 0.1}, {5e5, 5e5, 1100, 2500, 0.5}, {9e5, 9e5, 1200, 5000, 0.9}};
  EXPECT_FALSE(find_knee(flat, &why));
  auto p99 = flat;
  p99[2].p99 = 2000 * kKneeFactor + 1;
  auto k = find_knee(p99, &why);
  ASSERT_TRUE(k);
  EXPECT_EQ(*k, 2u);
  EXPECT_NE(why.find("p99"), std::string::npos);
  auto shortfall = flat;
  shortfall[1].achieved = 5e5 * (1 - kKneeShortfall) - 1;
  k = find_knee(shortfall, &why);
  ASSERT_TRUE(k);
  EXPECT_EQ(*k, 1u);
  EXPECT_NE(why.find("achieved"), std::string::npos);
}

TEST(Parse, RatesAndLoads) {
  auto r = parse_rates("50000,100k,1.5M");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_DOUBLE_EQ(r[0].msgs_per_s, 50000);
  EXPECT_DOUBLE_EQ(r[1].msgs_per_s, 100000);
  EXPECT_DOUBLE_EQ(r[2].msgs_per_s, 1.5e6);
  EXPECT_EQ(r[1].load, 0);
  auto l = parse_loads("0.1,0.9,1");
  ASSERT_EQ(l.size(), 3u);
  EXPECT_DOUBLE_EQ(l[1].load, 0.9);
  EXPECT_EQ(l[1].msgs_per_s, 0) << "resolved later from the stream run";
  for (const char* bad : {"0", "-5", "10x", "", "1e11"}) EXPECT_THROW(parse_rates(bad), std::invalid_argument) << bad;
  for (const char* bad : {"0", "-0.5", "11", "half", "0.5x"}) EXPECT_THROW(parse_loads(bad), std::invalid_argument) << bad;
}

TEST(Expand, OneRunPerOfferedRateAndSmallSizesSkipped) {
  PlannedRun rate, stream;
  rate.config.pattern = Pattern::rate;
  rate.config.payload_bytes = 64;
  stream.config.pattern = Pattern::stream;
  PlannedRun tiny = rate;
  tiny.config.payload_bytes = kMinStampedBytes - 1;
  auto out = expand_rates({stream, rate, tiny}, parse_loads("0.5,1"));
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0].config.pattern, Pattern::stream);
  EXPECT_DOUBLE_EQ(out[1].config.rate.load, 0.5);
  EXPECT_DOUBLE_EQ(out[2].config.rate.load, 1.0);
  EXPECT_TRUE(out[1].skip_reason.empty());
  EXPECT_NE(out[3].skip_reason.find("below its minimum"), std::string::npos);
  EXPECT_EQ(expand_rates({rate}, {}).size(), default_loads().size());
}

json stream_run(const std::string& transport, double msgs_per_s, int id) {
  RunResult r;
  r.config.transport = transport;
  r.config.pattern = Pattern::stream;
  r.config.payload_bytes = 64;
  r.config.cpus = {0, 1};
  r.status = "ok";
  r.msgs_per_s = msgs_per_s;
  json j = to_json(r);
  j["id"] = id;
  return j;
}

// A rate run at half the load of the stream_run() rows of the same transport.
RunConfig half_load(const std::string& transport) {
  RunConfig cfg;
  cfg.transport = transport;
  cfg.pattern = Pattern::rate;
  cfg.payload_bytes = 64;
  cfg.cpus = {0, 1};
  cfg.rate.load = 0.5;
  return cfg;
}

TEST(Load, ResolvedFromTheNewestStreamRunOfTheSameConfiguration) {
  json runs = json::array({stream_run("pipe", 1e5, 0), stream_run("unix", 7e4, 1), stream_run("pipe", 2e5, 2)});
  RunConfig cfg = half_load("pipe");
  ASSERT_TRUE(resolve_load(cfg, runs));
  EXPECT_DOUBLE_EQ(cfg.rate.msgs_per_s, 1e5);
  EXPECT_EQ(cfg.rate.stream_run_id, 2);
  RunConfig other = cfg;
  other.payload_bytes = 4096;
  other.rate.msgs_per_s = 0;
  EXPECT_FALSE(resolve_load(other, runs)) << "no stream run of that size";
}

// --copy-in auto: a stream row takes streaming stores by the floor measured before it, a rate row has no floor; the
// rate run copies as the stream run its load is a fraction of, and says so. An explicit --copy-in is left alone.
TEST(Load, TakesTheCopyInOfItsReferenceStream) {
  json streamed = stream_run("shm", 6e7, 3);
  streamed["copy_in"] = {{"stores", "streaming"}, {"requested", "auto"}, {"why", "auto: floor 450 ns"}};
  const json runs = json::array({streamed});
  RunConfig cfg = half_load("shm");
  cfg.copy_in_stores = CopyIn::cached;
  cfg.copy_in_why = "auto: no floor measured; placement class cross-core";
  RunConfig asked = cfg;
  ASSERT_TRUE(resolve_load(cfg, runs));
  EXPECT_EQ(cfg.copy_in_stores, CopyIn::streaming);
  EXPECT_NE(cfg.copy_in_why.find("stream run 3"), std::string::npos) << cfg.copy_in_why;
  EXPECT_NE(cfg.copy_in_why.find("floor 450 ns"), std::string::npos) << cfg.copy_in_why;

  asked.copy_in = CopyIn::cached;
  asked.copy_in_why = "--copy-in cached";
  ASSERT_TRUE(resolve_load(asked, runs));
  EXPECT_EQ(asked.copy_in_stores, CopyIn::cached);
  EXPECT_EQ(asked.copy_in_why, "--copy-in cached");
}

// A rate run's JSON as to_json writes it, with the figures a curve is built from.
json rate_run(double load, double offered, double achieved, double p99, int id) {
  RunResult r;
  r.config.transport = "pipe";
  r.config.pattern = Pattern::rate;
  r.config.payload_bytes = 64;
  r.config.cpus = {0, 1};
  r.config.rate.load = load;
  r.config.rate.msgs_per_s = offered;
  r.status = "ok";
  r.one_way.present = true;
  r.one_way.latency.p50 = p99 / 2;
  r.one_way.latency.p99 = p99;
  r.open_loop.present = true;
  r.open_loop.achieved_msgs_per_s = achieved;
  json j = to_json(r);
  j["id"] = id;
  return j;
}

TEST(Curves, PointsSortedKneeAndClosedLoopReference) {
  RunResult pp;
  pp.config.transport = "pipe";
  pp.config.payload_bytes = 64;
  pp.config.cpus = {0, 1};
  pp.status = "ok";
  pp.rtt.p50 = 8000;
  pp.rtt.p99 = 10000;
  json runs = json::array({to_json(pp), rate_run(0.9, 9e4, 9e4, 40000, 1), rate_run(0.1, 1e4, 1e4, 10000, 2),
                           rate_run(0.5, 5e4, 5e4, 12000, 3)});
  json curves = rate_curves_json(runs);
  ASSERT_EQ(curves.size(), 1u);
  const auto& c = curves[0];
  ASSERT_EQ(c["points"].size(), 3u);
  EXPECT_EQ(c["points"][0]["load"], 0.1);
  EXPECT_EQ(c["points"][2]["load"], 0.9);
  ASSERT_FALSE(c["knee"].is_null());
  EXPECT_EQ(c["knee"]["load"], 0.9) << "40 us > 3 x 10 us";
  EXPECT_DOUBLE_EQ(c["closed_loop"]["rtt_p99_ns"].get<double>(), 10000);
  EXPECT_DOUBLE_EQ(c["at_load_0_9"]["p99_over_closed_loop_rtt_p99"].get<double>(), 4.0);
  EXPECT_EQ(runs[1]["loop"], "open");
  EXPECT_EQ(runs[0]["loop"], "closed");
}

TEST(Stamp, RidesInTheMessageAndVerifiedMessagesStillCheck) {
  std::vector<std::byte> buf(64);
  payload::fill_verified(buf, 7);
  payload::put_stamp(buf, 0x1234567890abcdefull, true);
  EXPECT_EQ(payload::get_stamp(buf), 0x1234567890abcdefull);
  EXPECT_NO_THROW(payload::check_verified(buf, 7));
  payload::fill_verified(buf, 8);
  std::uint64_t stamp = 42;
  std::memcpy(buf.data() + payload::kStampOffset, &stamp, 8);  // stamped without resealing: caught
  EXPECT_THROW(payload::check_verified(buf, 8), payload::VerifyError);
}

}  // namespace
}  // namespace ipcbench
