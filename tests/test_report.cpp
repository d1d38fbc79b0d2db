// The JSON of one run carries the DESIGN core keys with the values the run measured, and the file is
// replaced atomically.
#include <gtest/gtest.h>
#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/report.hpp"
#include "harness/runner.hpp"
#include "harness/table.hpp"
#include "transports/copy.hpp"
#include "transports/shm.hpp"

namespace ipcbench {
namespace {

using nlohmann::json;

RunResult pingpong_result() {
  RunResult r;
  r.config.transport = "shm";
  r.config.pattern = Pattern::pingpong;
  r.config.wait = Wait::spin;
  r.config.payload_bytes = 64;
  r.config.cpus = {0, 1};
  r.config.placement = "cross-core";
  r.status = "ok";
  r.messages = 5;
  r.warmup = 10;
  r.elapsed_ns = 6000;
  r.rtt_ns = {400, 100, 5000, 300, 200};
  r.rtt = summarize(r.rtt_ns);
  r.histogram = Histogram::from(r.rtt_ns);
  r.msgs_per_s = 5 / 6e-6;
  r.bytes_per_s = r.msgs_per_s * 64;
  r.effective = {64, 64 * 64};
  auto side = [](int cpu, double user_ns, double sys_ns, std::int64_t vol, std::int64_t invol,
                 std::uint64_t blocking_waits, std::uint64_t syscalls) {
    SideStats s;
    s.cpu = cpu;
    s.user_ns = user_ns;
    s.sys_ns = sys_ns;
    s.vol_ctx_switches = vol;
    s.invol_ctx_switches = invol;
    s.counters.blocking_waits = blocking_waits;
    s.counters.syscalls = syscalls;
    s.verified = 15;
    return s;
  };
  r.producer = side(0, 500, 250, 3, 1, 2, 10);
  r.consumer = side(1, 1000, 50, 4, 2, 1, 12);
  return r;
}

TEST(ReportJson, CoreKeysOfAPingpongRun) {
  const auto r = pingpong_result();
  const json j = to_json(r);
  EXPECT_EQ(j.at("transport"), "shm");
  EXPECT_EQ(j.at("pattern"), "pingpong");
  EXPECT_EQ(j.at("wait"), "spin");
  EXPECT_EQ(j.at("payload_bytes"), 64);
  EXPECT_EQ(j.at("cpus").at("producer"), 0);
  EXPECT_EQ(j.at("cpus").at("consumer"), 1);
  EXPECT_EQ(j.at("placement"), "cross-core");
  EXPECT_EQ(j.at("capacity"), 64);
  EXPECT_EQ(j.at("messages"), 5);
  EXPECT_EQ(j.at("status"), "ok");
  EXPECT_FALSE(j.contains("error"));

  const auto& rtt = j.at("latency").at("rtt_ns");
  EXPECT_EQ(rtt.at("min"), 100.0);
  EXPECT_EQ(rtt.at("p50"), 300.0);
  EXPECT_EQ(rtt.at("p90"), 5000.0);
  EXPECT_EQ(rtt.at("p99"), 5000.0);
  EXPECT_EQ(rtt.at("p999"), 5000.0);
  EXPECT_EQ(rtt.at("max"), 5000.0);
  EXPECT_DOUBLE_EQ(rtt.at("mean").get<double>(), 1200.0);
  EXPECT_NEAR(rtt.at("stddev").get<double>(), std::sqrt(18.1e6 / 4), 1e-6);  // sample stddev

  const auto& hist = j.at("latency").at("histogram");
  ASSERT_TRUE(hist.is_object());
  std::uint64_t total = 0;
  for (const auto& c : hist.at("count")) total += c.get<std::uint64_t>();
  EXPECT_EQ(total, 5u);
  EXPECT_EQ(hist.at("lo_ns").size(), r.histogram.buckets.size());
  EXPECT_EQ(hist.at("hi_ns").size(), r.histogram.buckets.size());

  EXPECT_DOUBLE_EQ(j.at("throughput").at("msgs_per_s").get<double>(), r.msgs_per_s);
  EXPECT_DOUBLE_EQ(j.at("throughput").at("bytes_per_s").get<double>(), r.msgs_per_s * 64);

  const auto& prod = j.at("cpu").at("producer");
  EXPECT_DOUBLE_EQ(prod.at("user_ns_per_msg").get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(prod.at("sys_ns_per_msg").get<double>(), 50.0);
  EXPECT_EQ(prod.at("vol_ctx_switches"), 3);
  EXPECT_EQ(prod.at("invol_ctx_switches"), 1);
  const auto& cons = j.at("cpu").at("consumer");
  EXPECT_DOUBLE_EQ(cons.at("user_ns_per_msg").get<double>(), 200.0);
  EXPECT_DOUBLE_EQ(cons.at("sys_ns_per_msg").get<double>(), 10.0);
  EXPECT_EQ(cons.at("vol_ctx_switches"), 4);
  EXPECT_EQ(cons.at("invol_ctx_switches"), 2);
}

TEST(ReportJson, StreamRunHasThroughputAndCpu) {
  auto r = pingpong_result();
  r.config.pattern = Pattern::stream;
  r.config.wait = Wait::block;
  r.rtt_ns.clear();
  r.rtt = {};
  r.histogram = {};
  const json j = to_json(r);
  EXPECT_EQ(j.at("pattern"), "stream");
  EXPECT_EQ(j.at("wait"), "block");
  EXPECT_TRUE(j.at("throughput").contains("msgs_per_s"));
  EXPECT_TRUE(j.at("cpu").at("consumer").contains("user_ns_per_msg"));
}

TEST(ReportJson, CapacityAskedAndGranted) {
  auto r = pingpong_result();
  r.config.pattern = Pattern::stream;
  json j = to_json(r);  // --capacity not given
  EXPECT_TRUE(j.at("capacity_requested").is_null());
  EXPECT_EQ(j.at("buffering"), "default");
  EXPECT_EQ(j.at("effective").at("capacity_messages"), 64);
  EXPECT_EQ(j.at("effective").at("capacity_bytes"), 64 * 64);
  EXPECT_TRUE(j.at("effective").at("rendezvous").is_null());
  EXPECT_EQ(j.at("effective").at("holds_whole_run"), true) << "64 slots hold 10 warm-up + 5 messages";

  r.config.capacity = Capacity::rendezvous();
  r.rendezvous = "emulated: ack per message";
  r.effective = {1, 64};
  j = to_json(r);
  EXPECT_EQ(j.at("capacity_requested"), 0);
  EXPECT_EQ(j.at("buffering"), "rendezvous");
  EXPECT_EQ(j.at("capacity"), 1);
  EXPECT_EQ(j.at("effective").at("rendezvous"), "emulated: ack per message");
  EXPECT_EQ(j.at("effective").at("holds_whole_run"), false);

  r.config.capacity = Capacity::unbounded();
  r.rendezvous.clear();
  r.unbounded_means = "mq_maxmsg = fs.mqueue.msg_max, 10 messages here";
  r.effective = {10, 640};
  j = to_json(r);
  EXPECT_EQ(j.at("capacity_requested"), "unbounded");
  EXPECT_EQ(j.at("buffering"), "unbounded");
  EXPECT_EQ(j.at("effective").at("unbounded_means"), r.unbounded_means);
  EXPECT_EQ(j.at("effective").at("holds_whole_run"), false) << "10 slots, 15 messages";

  r.config.capacity = Capacity::bounded(16);
  r.effective = {0, 4608};  // a socket: bytes only
  j = to_json(r);
  EXPECT_EQ(j.at("capacity_requested"), 16);
  EXPECT_EQ(j.at("buffering"), "bounded");
  EXPECT_TRUE(j.at("capacity").is_null());
  EXPECT_TRUE(j.at("effective").at("holds_whole_run").is_null());
  EXPECT_EQ(j.at("capacity_bytes"), 4608);
}

TEST(ReportJson, FullWaitsOnlyWhereKnown) {
  auto r = pingpong_result();
  r.producer.counters.full_waits = 7;
  r.full_waits_counted = true;
  json j = to_json(r);
  EXPECT_EQ(j.at("cpu").at("producer").at("full_waits"), 7);
  EXPECT_EQ(j.at("cpu").at("consumer").at("full_waits"), 0);
  r.full_waits_counted = false;  // e.g. a blocking pipe write: a sleep inside the kernel is not visible
  j = to_json(r);
  EXPECT_TRUE(j.at("cpu").at("producer").at("full_waits").is_null());
  EXPECT_TRUE(j.at("cpu").at("consumer").at("full_waits").is_null());
}

TEST(ReportJson, ErrorRowCarriesStatusAndReason) {
  RunResult r;
  r.config.transport = "pipe";
  r.config.pattern = Pattern::stream;
  r.status = "error";
  r.error = "consumer killed by signal 9 (Killed) during the run";
  const json j = to_json(r);
  EXPECT_EQ(j.at("status"), "error");
  EXPECT_EQ(j.at("error"), r.error);
  EXPECT_EQ(j.at("transport"), "pipe");
  EXPECT_FALSE(j.contains("latency"));
  EXPECT_FALSE(j.contains("throughput"));
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/ipcbench-report-test-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    for (const auto& n : entries()) ::unlink((path_ + "/" + n).c_str());
    ::rmdir(path_.c_str());
  }
  std::set<std::string> entries() const {
    std::set<std::string> out;
    if (DIR* d = ::opendir(path_.c_str())) {
      while (dirent* e = ::readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.insert(e->d_name);
      ::closedir(d);
    }
    return out;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// --copy-in: auto takes streaming stores only for a one-way copy into a ring or copy baseline: a large one when the
// floor measured before the run says the two CPUs share no cache, a small one into a ring that streams it when the
// floor says they are different cores; the run's JSON and its transport's options say what was taken and why.
TEST(CopyIn, AutoStreamsLargeCopiesAcrossCachesAndSmallOnesAcrossCores) {
  RunResult r = pingpong_result();
  RunConfig& c = r.config;
  c.pattern = Pattern::stream;
  c.payload_bytes = 65536;
  resolve_copy_in(c, 470.0);
  EXPECT_EQ(c.copy_in_stores, CopyIn::streaming);
  EXPECT_NE(c.copy_in_why.find("470 ns"), std::string::npos) << c.copy_in_why;
  json j = to_json(r);
  ASSERT_TRUE(j.contains("copy_in"));
  EXPECT_EQ(j["copy_in"]["stores"], "streaming");
  EXPECT_EQ(j["copy_in"]["requested"], "auto");
  EXPECT_TRUE(transport_options(c, 100, Capabilities{}).streaming_copy_in);
  EXPECT_EQ(j["copy_in"]["publish_batch"], 1) << "a large message is fenced and published on its own";

  // The shm ring streams small messages too, holding back a batch its 64 slots have room for (a quarter).
  RunResult small = r;
  small.config.payload_bytes = 64;
  resolve_copy_in(small.config, 470.0);
  EXPECT_EQ(small.config.copy_in_stores, CopyIn::streaming);
  EXPECT_EQ(to_json(small)["copy_in"]["publish_batch"], 16);
  small.config.transport = "shm-rawcopy";  // a baseline at that size: nothing to say
  resolve_copy_in(small.config, 470.0);
  EXPECT_FALSE(to_json(small).contains("copy_in"));

  resolve_copy_in(c, 120.0);
  EXPECT_EQ(c.copy_in_stores, CopyIn::cached) << "a 120 ns floor: the two CPUs share a cache";
  EXPECT_FALSE(transport_options(c, 100, Capabilities{}).streaming_copy_in);

  // A small message into the ring goes to memory from a lower floor (two cores that share only the last level),
  // and not below it (the two CPUs may share a core's caches).
  small.config.transport = "shm";
  resolve_copy_in(small.config, 120.0);
  EXPECT_EQ(small.config.copy_in_stores, CopyIn::streaming) << small.config.copy_in_why;
  EXPECT_NE(small.config.copy_in_why.find("at least 80 ns"), std::string::npos) << small.config.copy_in_why;
  resolve_copy_in(small.config, 79.0);
  EXPECT_EQ(small.config.copy_in_stores, CopyIn::cached) << small.config.copy_in_why;
  EXPECT_NE(small.config.copy_in_why.find("under 80 ns"), std::string::npos) << small.config.copy_in_why;
  small.config.payload_bytes = kLargeCopyFrom - 1;  // the last size below the large copy: still small
  resolve_copy_in(small.config, 120.0);
  EXPECT_EQ(small.config.copy_in_stores, CopyIn::streaming) << small.config.copy_in_why;
  small.config.payload_bytes = kLargeCopyFrom;
  resolve_copy_in(small.config, 120.0);
  EXPECT_EQ(small.config.copy_in_stores, CopyIn::cached) << small.config.copy_in_why;

  // Probes decide a small message's stores where they ran, whatever the floor; not a large one's.
  small.config.payload_bytes = 64;
  resolve_copy_in(small.config, 226.0, CopyInProbe{71.3e6, 46.5e6});
  EXPECT_EQ(small.config.copy_in_stores, CopyIn::cached) << small.config.copy_in_why;
  EXPECT_NE(small.config.copy_in_why.find("streaming 46.5 M msgs/s, cached 71.3 M"), std::string::npos)
      << small.config.copy_in_why;
  resolve_copy_in(small.config, 79.0, CopyInProbe{26e6, 68e6});
  EXPECT_EQ(small.config.copy_in_stores, CopyIn::streaming) << small.config.copy_in_why;
  resolve_copy_in(c, 470.0, CopyInProbe{71.3e6, 46.5e6});
  EXPECT_EQ(c.copy_in_stores, CopyIn::streaming) << "64 KiB: the floor decides";
  EXPECT_NE(c.copy_in_why.find("470 ns"), std::string::npos) << c.copy_in_why;
  // Which rows probe: small streams into a streaming ring across two CPUs, under auto only.
  small.config.cpus = {0, 1};
  EXPECT_TRUE(copy_in_probes(small.config));
  RunConfig one_cpu = small.config;
  one_cpu.cpus = {0, 0};
  EXPECT_FALSE(copy_in_probes(one_cpu));
  RunConfig asked = small.config;
  asked.copy_in = CopyIn::cached;
  EXPECT_FALSE(copy_in_probes(asked));
  RunConfig large = small.config;
  large.payload_bytes = kLargeCopyFrom;
  EXPECT_FALSE(copy_in_probes(large));
  RunConfig round_trips = small.config;
  round_trips.pattern = Pattern::pingpong;
  EXPECT_FALSE(copy_in_probes(round_trips));

  c.copy_in = CopyIn::streaming;  // asked for: taken whatever the floor
  resolve_copy_in(c, 120.0);
  EXPECT_EQ(c.copy_in_stores, CopyIn::streaming);
  EXPECT_EQ(c.copy_in_why, "--copy-in streaming");

  for (auto change : std::vector<std::function<void(RunConfig&)>>{
           [](RunConfig& x) { x.pattern = Pattern::pingpong; },        // duplex: no such copy
           [](RunConfig& x) { x.payload_bytes = 56; },                  // next to its word: not streamed
           [](RunConfig& x) {                                           // a copy baseline below the large copy
             x.transport = "shm-rawcopy";
             x.payload_bytes = kLargeCopyFrom - 1;
           },
           [](RunConfig& x) {  // a small message in a ring too small to hold a batch back
             x.payload_bytes = 64;
             x.capacity = Capacity::bounded(31);
           },
           [](RunConfig& x) { x.transport = "pipe"; }}) {  // not a ring
    RunResult other = r;
    change(other.config);
    resolve_copy_in(other.config, 470.0);
    EXPECT_EQ(other.config.copy_in_stores, CopyIn::cached);
    EXPECT_TRUE(other.config.copy_in_why.empty()) << other.config.copy_in_why;
    EXPECT_FALSE(to_json(other).contains("copy_in"));
  }
}

// --reply-line: auto answers in the request's line when the cache-line floor measured before the run is below the
// two-line floor, and keeps a line of its own otherwise or without floors; only a round trip over a ring that can
// (shm, the default capacity, messages of up to 1080 B) has the choice; the JSON and the transport's options say
// what was taken and why.
TEST(ReplyLine, AutoFollowsTheCheaperFloor) {
  RunResult r = pingpong_result();
  RunConfig& c = r.config;
  c.transport = "shm";
  c.payload_bytes = 64;
  resolve_reply_line(c, 226.0, 284.0);
  EXPECT_EQ(c.reply_line_used, ReplyLine::shared);
  EXPECT_NE(c.reply_line_why.find("226 ns, is below the two-line floor, 284 ns"), std::string::npos) << c.reply_line_why;
  json j = to_json(r);
  ASSERT_TRUE(j.contains("reply_line"));
  EXPECT_EQ(j["reply_line"]["line"], "shared");
  EXPECT_EQ(j["reply_line"]["requested"], "auto");
  EXPECT_TRUE(transport_options(c, 100, Capabilities{}).reply_in_place);

  resolve_reply_line(c, 450.0, 410.0);
  EXPECT_EQ(c.reply_line_used, ReplyLine::own) << "the two-line floor is the cheaper one";
  EXPECT_NE(c.reply_line_why.find("not below"), std::string::npos) << c.reply_line_why;
  EXPECT_FALSE(transport_options(c, 100, Capabilities{}).reply_in_place);
  resolve_reply_line(c, std::nullopt, std::nullopt);
  EXPECT_EQ(c.reply_line_used, ReplyLine::own) << "no floors (one CPU)";
  EXPECT_FALSE(c.reply_line_why.empty());

  c.reply_line = ReplyLine::shared;  // asked for: taken whatever the floors
  resolve_reply_line(c, 450.0, 410.0);
  EXPECT_EQ(c.reply_line_used, ReplyLine::shared);
  EXPECT_EQ(c.reply_line_why, "--reply-line shared");
  c.reply_line = ReplyLine::own;
  resolve_reply_line(c, 226.0, 284.0);
  EXPECT_EQ(c.reply_line_used, ReplyLine::own);
  EXPECT_EQ(to_json(r)["reply_line"]["line"], "own");

  c.pattern = Pattern::rpc;  // an rpc too, its replies' size counted
  c.reply_line = ReplyLine::automatic;
  c.reply_bytes = shm_ring::kInPlaceMost;
  resolve_reply_line(c, 226.0, 284.0);
  EXPECT_EQ(c.reply_line_used, ReplyLine::shared);

  for (auto change : std::vector<std::function<void(RunConfig&)>>{
           [](RunConfig& x) { x.payload_bytes = shm_ring::kInPlaceMost + 1; },  // past the line and the rest
           [](RunConfig& x) { x.reply_bytes = shm_ring::kInPlaceMost + 1; },    // the replies too large
           [](RunConfig& x) { x.capacity = Capacity::bounded(4); },     // --capacity: the ring it asks for
           [](RunConfig& x) { x.pattern = Pattern::stream; },           // no round trip
           [](RunConfig& x) { x.transport = "shm-unstaged"; },          // a design of the ablation
           [](RunConfig& x) { x.transport = "pipe"; }}) {               // not a ring
    RunResult other = r;
    change(other.config);
    other.config.reply_line = ReplyLine::shared;
    resolve_reply_line(other.config, 226.0, 284.0);
    EXPECT_EQ(other.config.reply_line_used, ReplyLine::own);
    EXPECT_TRUE(other.config.reply_line_why.empty()) << other.config.reply_line_why;
    EXPECT_FALSE(to_json(other).contains("reply_line"));
    EXPECT_FALSE(transport_options(other.config, 100, Capabilities{}).reply_in_place);
  }
}

TEST(ReportFile, AtomicWriteRoundTrips) {
  TempDir dir;
  const std::string file = dir.path() + "/results.json";
  const json doc = make_report({{"host", {{"cpus", 2}}}}, json::array({to_json(pingpong_result())}));
  write_json_atomic(file, doc);
  std::ifstream in(file);
  EXPECT_EQ(json::parse(in), doc);
  EXPECT_EQ(dir.entries(), std::set<std::string>{"results.json"});
  EXPECT_EQ(doc.at("schema_version"), kSchemaVersion);

  // Replacing keeps exactly one file with the new content.
  const json second = make_report(json::object(), json::array());
  write_json_atomic(file, second);
  std::ifstream in2(file);
  EXPECT_EQ(json::parse(in2), second);
  EXPECT_EQ(dir.entries(), std::set<std::string>{"results.json"});
}

TEST(ReportFile, UnwritableDirectoryThrowsNamingThePath) {
  TempDir dir;
  const std::string file = dir.path() + "/missing/results.json";
  try {
    write_json_atomic(file, json::object());
    ADD_FAILURE() << "no error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(dir.path() + "/missing"), std::string::npos) << e.what();
  }
}

// The console's "floors" column: the spread of the floors measured just before a configuration's repetitions,
// which says when a stream's repetitions come from different coherence regimes.
TEST(FloorRange, SpansTheRepetitionsFloorsAndTellsRegimesApart) {
  auto with_floor = [](const char* status, double p50) {
    return json{{"status", status}, {"floor", {{"rtt_ns", {{"p50", p50}, {"p99", p50 * 1.2}}}}}};
  };
  const json runs = json::array({with_floor("ok", 128), with_floor("ok", 131), json{{"status", "ok"}},
                                 with_floor("error", 300), with_floor("ok", 250)});
  const auto usual = floor_range(runs, json::array({0, 1, 2}));
  ASSERT_TRUE(usual.has_value());
  EXPECT_EQ(*usual, std::make_pair(128.0, 131.0));
  EXPECT_FALSE(regimes_mixed(*usual));
  EXPECT_EQ(floor_range_text(*usual), "128-131 ns");
  const auto mixed = floor_range(runs, json::array({0, 1, 3, 4}));  // the failed run's floor does not count
  ASSERT_TRUE(mixed.has_value());
  EXPECT_EQ(*mixed, std::make_pair(128.0, 250.0));
  EXPECT_TRUE(regimes_mixed(*mixed));
  EXPECT_FALSE(floor_range(runs, json::array({2, 3})).has_value());  // none with a floor
  EXPECT_TRUE(regimes_mixed({100.0, 120.5}));
  EXPECT_FALSE(regimes_mixed({100.0, 120.0}));
  EXPECT_EQ(floor_range_text({130.2, 129.8}), "130 ns");
  EXPECT_EQ(floor_range_text({9990.0, 12000.0}), "9990 ns-12.0 us");
}

// The console's note when a consumer read messages other than the ones sent (a baseline whose producer never
// waits): summed over a configuration's repetitions, silent when every message was in sequence or uncounted.
TEST(InSequenceNote, SaysWhatShareOfTheMessagesReadWereTheOnesSent) {
  auto run = [](const char* status, double messages, std::optional<double> in_sequence) {
    json consumer = {{"cpu", 1}};
    if (in_sequence) consumer["in_sequence_messages"] = *in_sequence;
    return json{{"status", status}, {"messages", messages}, {"cpu", {{"producer", {{"cpu", 0}}}, {"consumer", consumer}}}};
  };
  const json runs = json::array({run("ok", 1000, 1000), run("ok", 1000, std::nullopt), run("ok", 3000, 9),
                                 run("ok", 1000, 1), run("error", 1000, 0)});
  EXPECT_EQ(in_sequence_note(runs, json::array({0, 1, 4})), "");  // the failed run does not count
  EXPECT_EQ(in_sequence_note(runs, json::array({2})), "only 0.3% of the messages read were the ones sent");
  EXPECT_EQ(in_sequence_note(runs, json::array({3, 1})), "only 0.1% of the messages read were the ones sent");
  EXPECT_EQ(in_sequence_note(runs, json::array({0, 2})), "only 25.2% of the messages read were the ones sent");
  const json almost = json::array({run("ok", 100000, 99999)});
  EXPECT_EQ(in_sequence_note(almost, json::array({0})), "only 99.9% of the messages read were the ones sent");
}

}  // namespace
}  // namespace ipcbench
