// Transport conformance: every row of the transport table under every wait strategy must deliver every
// message intact (sequence number and checksum checked on both sides), leave nothing behind, and turn a
// dead or stuck consumer into a prompt, named error instead of a hang.
#include <gtest/gtest.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "harness/clock.hpp"
#include "harness/os/affinity.hpp"
#include "harness/sweep.hpp"
#include "transports/mq.hpp"
#include "tests/support.hpp"
#include "transports/registry.hpp"

namespace ipcbench {
namespace {

struct Param {
  std::string transport;
  Wait wait;
};
// Readable in gtest and CTest output ("shm/spin" rather than the bytes of the struct).
void PrintTo(const Param& p, std::ostream* os) { *os << p.transport << "/" << to_string(p.wait); }

// Every transport and every shm ring design (the ablation variants must be as correct as `shm`); not
// the baselines, which do not synchronise at all.
std::vector<Param> all_params() {
  std::vector<Param> out;
  for (const auto& row : transport_table())
    if (row.kind != EntryKind::baseline)
      for (Wait w : all_waits) out.push_back({std::string(row.name), w});
  return out;
}

// Killing and stalling the consumer exercises the harness and each transport's blocking calls; the ring
// designs share shm's waiting code, so the transports of the default suite are enough here.
std::vector<Param> transport_params() {
  std::vector<Param> out;
  for (const auto& row : transport_table())
    if (row.kind == EntryKind::transport)
      for (Wait w : all_waits) out.push_back({std::string(row.name), w});
  return out;
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  std::string s = info.param.transport + "_" + to_string(info.param.wait);
  std::replace_if(s.begin(), s.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return s;
}

CpuPair cross_core_pair() {
  std::string why;
  const auto allowed = os::allowed_cpus();
  if (auto p = resolve_placement("cross-core", allowed, &why)) return *p;
  return *resolve_placement("same-core", allowed, &why);
}

CpuPair same_core_pair() {
  std::string why;
  return *resolve_placement("same-core", os::allowed_cpus(), &why);
}

int count_open_fds() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return -1;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n;
}

std::vector<std::string> dev_shm_ipcbench_entries() {
  std::vector<std::string> out;
  if (DIR* d = ::opendir("/dev/shm")) {
    while (dirent* e = ::readdir(d))
      if (std::string(e->d_name).find("ipcbench") != std::string::npos) out.push_back(e->d_name);
    ::closedir(d);
  }
  return out;
}

// -1/ECHILD: every consumer this process forked has been reaped.
bool no_children_left(std::string* what) {
  int status = 0;
  pid_t p = ::waitpid(-1, &status, WNOHANG);
  if (p == -1 && errno == ECHILD) return true;
  *what = p == 0 ? "a child is still running" : "an unreaped child " + std::to_string(p) + " was found";
  return false;
}

class Conformance : public ::testing::TestWithParam<Param> {
 protected:
  const TransportEntry& entry() const {
    const auto* t = find_transport(GetParam().transport);
    if (!t) throw std::runtime_error("transport vanished from the table");
    return *t;
  }
  std::size_t max_bytes() const { return entry().capabilities().max_message_bytes; }

  RunConfig config(Pattern pattern, std::size_t bytes, std::uint64_t messages) const {
    RunConfig cfg;
    cfg.transport = GetParam().transport;
    cfg.wait = GetParam().wait;
    cfg.pattern = pattern;
    cfg.payload_bytes = bytes;
    cfg.cpus = cross_core_pair();
    cfg.placement = classify_pair(cfg.cpus);
    cfg.messages = messages;
    cfg.duration_s = 0;  // take `messages` literally
    cfg.warmup = 10;
    cfg.verify = true;
    cfg.timeout_s = 5;
    return cfg;
  }

  RunResult run(const RunConfig& cfg) const { return entry().run(cfg); }

  // Delivery sizes: around the 8-byte word, the 16-byte header, 32 bytes and the cache line (the edges of shm's
  // copies by width), pages, large; plus the transport's own limit when it is below 1 MiB (an off-by-one there
  // refuses valid sizes).
  std::vector<std::size_t> sizes() const {
    std::vector<std::size_t> out;
    const std::size_t limit = max_bytes();
    for (std::size_t n :
         {1ul, 7ul, 8ul, 15ul, 16ul, 17ul, 32ul, 33ul, 63ul, 64ul, 65ul, 4095ul, 4096ul, 65536ul, 1ul << 20})
      if (n <= limit) out.push_back(n);
    if (limit < (1ul << 20) && std::find(out.begin(), out.end(), limit) == out.end()) out.push_back(limit);
    return out;
  }

  static std::uint64_t messages_for(std::size_t bytes) { return bytes >= 65536 ? 20 : 200; }

  void expect_delivered(const RunConfig& cfg, RunResult* result = nullptr) const {
    SCOPED_TRACE(std::string(to_string(cfg.pattern)) + " " + std::to_string(cfg.payload_bytes) + " bytes on " +
                 cfg.cpus.str());
    const RunResult r = run(cfg);
    if (result) *result = r;
    ASSERT_EQ(r.status, "ok") << r.error;
    EXPECT_EQ(r.messages, cfg.messages);
    EXPECT_EQ(r.consumer.verified, cfg.warmup + cfg.messages);
    EXPECT_EQ(r.producer.cpu, cfg.cpus.producer);
    EXPECT_EQ(r.consumer.cpu, cfg.cpus.consumer);
    EXPECT_GT(r.elapsed_ns, 0);
    EXPECT_GT(r.msgs_per_s, 0);
    if (cfg.pattern == Pattern::pingpong) {
      EXPECT_EQ(r.producer.verified, cfg.warmup + cfg.messages);
      EXPECT_EQ(r.rtt.count, cfg.messages);
      EXPECT_GT(r.rtt.min, 0);
      std::uint64_t in_histogram = 0;
      for (const auto& b : r.histogram.buckets) in_histogram += b.count;
      EXPECT_EQ(in_histogram, cfg.messages);
    } else {
      EXPECT_EQ(r.producer.verified, 0u) << "stream has no replies to check";
      EXPECT_TRUE(r.rtt_ns.empty());
    }
  }
};

TEST_P(Conformance, PingpongDeliversEverySize) {
  for (std::size_t n : sizes()) expect_delivered(config(Pattern::pingpong, n, messages_for(n)));
}

TEST_P(Conformance, StreamDeliversEverySize) {
  for (std::size_t n : sizes()) expect_delivered(config(Pattern::stream, n, messages_for(n)));
}

// Both ends on one CPU: a spinning side must give the CPU up quickly, or every round trip costs a
// scheduler tick (1-4 ms).
TEST_P(Conformance, SameCoreWorks) {
  for (std::size_t n : {64ul, 4096ul}) {
    if (n > max_bytes()) continue;
    for (Pattern p : {Pattern::pingpong, Pattern::stream}) {
      auto cfg = config(p, n, 200);
      cfg.cpus = same_core_pair();
      cfg.placement = "same-core";
      expect_delivered(cfg);
      if (p != Pattern::pingpong || GetParam().wait == Wait::block) continue;
      const RunResult r = run(cfg);
      ASSERT_EQ(r.status, "ok") << r.error;
      EXPECT_LT(r.rtt.p50, 1e6) << "p50 round trip " << r.rtt.p50 << " ns on one CPU: spinning through scheduler ticks";
    }
  }
}

// Rings of 1, 2, 3 and 5 slots: the producer finds the ring full on nearly every message, a batched design
// cannot hold a whole batch back, and slot indices wrap at a capacity that is not a power of two.
TEST_P(Conformance, SmallRingsDeliver) {
  if (!entry().ring) GTEST_SKIP() << "not an shm ring";
  for (std::size_t capacity : {1ul, 2ul, 3ul, 5ul})
    for (Pattern p : {Pattern::pingpong, Pattern::stream})
      for (std::size_t n : {8ul, 100ul}) {
        auto cfg = config(p, n, 1000);
        cfg.capacity = Capacity::bounded(capacity);
        SCOPED_TRACE("capacity " + std::to_string(capacity));
        expect_delivered(cfg);
      }
}

// A futex word's sleep bit is set only by its one sleeper and cleared by the one FUTEX_WAKE that answers
// it, so a side can never issue more wakes than its peer went to sleep: no FUTEX_WAKE for a reader that is
// awake. (One of slack: a sleep announced in the warm-up can be answered in the measured phase.)
TEST_P(Conformance, NoWakeWithoutASleeper) {
  if (!entry().ring || GetParam().wait == Wait::spin) GTEST_SKIP() << "futex wake-ups are the shm rings' own";
  for (Pattern p : {Pattern::pingpong, Pattern::stream})
    for (CpuPair cpus : {cross_core_pair(), same_core_pair()}) {
      auto cfg = config(p, 64, 5000);
      cfg.cpus = cpus;
      cfg.verify = false;
      SCOPED_TRACE(std::string(to_string(p)) + " on " + cpus.str());
      const RunResult r = run(cfg);
      ASSERT_EQ(r.status, "ok") << r.error;
      EXPECT_LE(r.producer.counters.futex_wakes, r.consumer.counters.blocking_waits + 1);
      EXPECT_LE(r.consumer.counters.futex_wakes, r.producer.counters.blocking_waits + 1);
    }
}

TEST_P(Conformance, LeavesNothingBehind) {
  ASSERT_EQ(run(config(Pattern::pingpong, 64, 50)).status, "ok");  // first run creates process-wide state
  const int fds_before = count_open_fds();
  ASSERT_GT(fds_before, 0);

  for (Pattern p : {Pattern::pingpong, Pattern::stream})
    for (std::size_t n : {64ul, 4096ul}) {
      if (n > max_bytes()) continue;
      auto r = run(config(p, n, 100));
      EXPECT_EQ(r.status, "ok") << r.error;
    }
  auto failing = config(Pattern::pingpong, 64, 1000);  // the error path must clean up too
  failing.fault.consumer_kill_after = 20;
  failing.timeout_s = 2;
  EXPECT_EQ(run(failing).status, "error");

  EXPECT_EQ(count_open_fds(), fds_before) << "descriptors leaked by the runs";
  EXPECT_TRUE(dev_shm_ipcbench_entries().empty());
  std::string what;
  EXPECT_TRUE(no_children_left(&what)) << what;
}

class PeerFailure : public Conformance {
 protected:
  RunResult run_timed(const RunConfig& cfg, double* wall_s) const {
    const auto t0 = std::chrono::steady_clock::now();
    RunResult r = run(cfg);
    *wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }

  void expect_killed(Pattern pattern) const {
    auto cfg = config(pattern, 64, 100000);
    cfg.fault.consumer_kill_after = 50;
    cfg.timeout_s = 2;
    double wall = 0;
    const RunResult r = run_timed(cfg, &wall);
    EXPECT_EQ(r.status, "error");
    EXPECT_NE(r.error.find("killed by signal 9"), std::string::npos) << r.error;
    EXPECT_LT(wall, 3.0);
    EXPECT_LT(r.wall_s, 3.0);
    std::string what;
    EXPECT_TRUE(no_children_left(&what)) << what;
  }

  void expect_timed_out(Pattern pattern) const {
    // Few enough that a stream producer cannot keep "progressing" into deep socket buffers for long.
    auto cfg = config(pattern, 64, 20000);
    cfg.fault.consumer_stall_after = 50;
    cfg.timeout_s = 1;
    double wall = 0;
    const RunResult r = run_timed(cfg, &wall);
    EXPECT_EQ(r.status, "error");
    EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
    EXPECT_GE(wall, 0.9) << "gave up before a full timeout without progress";
    EXPECT_LT(wall, 2.5);
    EXPECT_LT(r.wall_s, 2.5);
    std::string what;
    EXPECT_TRUE(no_children_left(&what)) << what << " (the stuck consumer must be killed and reaped)";
  }

  // A consumer that fails on its own says why; the result must carry its words, credited to it.
  void expect_reported(Pattern pattern) const {
    auto cfg = config(pattern, 64, 100000);
    cfg.fault.consumer_fail_after = 30;
    cfg.timeout_s = 2;
    double wall = 0;
    const RunResult r = run_timed(cfg, &wall);
    EXPECT_EQ(r.status, "error");
    EXPECT_EQ(r.error, "consumer failed: injected failure after 30 messages");
    EXPECT_LT(wall, 3.0);
    std::string what;
    EXPECT_TRUE(no_children_left(&what)) << what;
  }
};

TEST_P(PeerFailure, FailingConsumerPingpong) { expect_reported(Pattern::pingpong); }
TEST_P(PeerFailure, FailingConsumerStream) { expect_reported(Pattern::stream); }
TEST_P(PeerFailure, KilledConsumerPingpong) { expect_killed(Pattern::pingpong); }
TEST_P(PeerFailure, KilledConsumerStream) { expect_killed(Pattern::stream); }
TEST_P(PeerFailure, StalledConsumerPingpong) { expect_timed_out(Pattern::pingpong); }
TEST_P(PeerFailure, StalledConsumerStream) { expect_timed_out(Pattern::stream); }

// Thread mode: the same worker code in two threads of this process (each thread opens its own transport
// object, see split_consumer). Every transport must deliver there too, a failing or stuck consumer thread
// must still end the run promptly and be joined, and a killed consumer, which only a process can be, is
// refused rather than taking the test process down.
class ThreadMode : public PeerFailure {
 protected:
  RunConfig threaded(Pattern pattern, std::size_t bytes, std::uint64_t messages) const {
    auto cfg = config(pattern, bytes, messages);
    cfg.threads = true;
    return cfg;
  }
};

TEST_P(ThreadMode, DeliversEverySize) {
  for (Pattern p : {Pattern::pingpong, Pattern::stream})
    for (std::size_t n : {1ul, 8ul, 64ul, 4096ul, 65536ul})
      if (n <= max_bytes()) expect_delivered(threaded(p, n, messages_for(n)));
}

TEST_P(ThreadMode, SameCoreWorks) {
  for (Pattern p : {Pattern::pingpong, Pattern::stream}) {
    auto cfg = threaded(p, 64, 200);
    cfg.cpus = same_core_pair();
    cfg.placement = "same-core";
    expect_delivered(cfg);
  }
}

TEST_P(ThreadMode, FailingConsumerIsCreditedAndJoined) {
  for (Pattern p : {Pattern::pingpong, Pattern::stream}) {
    auto cfg = threaded(p, 64, 100000);
    cfg.fault.consumer_fail_after = 30;
    cfg.timeout_s = 2;
    double wall = 0;
    const RunResult r = run_timed(cfg, &wall);
    EXPECT_EQ(r.status, "error");
    EXPECT_EQ(r.error, "consumer failed: injected failure after 30 messages");
    EXPECT_LT(wall, 1.0) << "the producer must learn of the failure at once, not from the watchdog";
  }
}

// The producer's side of a stall is the same as in process mode (PeerFailure covers every pattern); what is
// new is calling the consumer thread off, tried with every transport's blocking call on the producer side.
TEST_P(ThreadMode, StalledConsumerTimesOutAndIsStopped) {
  for (Pattern p : {Pattern::pingpong, Pattern::stream}) {
    if (p == Pattern::stream && GetParam().transport.rfind("shm", 0) != 0) continue;
    SCOPED_TRACE(to_string(p));
    auto cfg = threaded(p, 64, 20000);
    cfg.fault.consumer_stall_after = 50;
    cfg.timeout_s = 0.2;
    double wall = 0;
    const RunResult r = run_timed(cfg, &wall);
    EXPECT_EQ(r.status, "error");
    EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("it was stopped"), std::string::npos) << r.error;
    EXPECT_GE(wall, 0.15);
    EXPECT_LT(wall, 1.5);
  }
}

TEST_P(ThreadMode, KilledConsumerIsRefused) {
  auto cfg = threaded(Pattern::pingpong, 64, 1000);
  cfg.fault.consumer_kill_after = 20;
  const RunResult r = run(cfg);
  EXPECT_EQ(r.status, "error");
  EXPECT_NE(r.error.find("thread mode cannot kill the consumer"), std::string::npos) << r.error;
}

TEST_P(ThreadMode, LeavesNothingBehind) {
  ASSERT_EQ(run(threaded(Pattern::pingpong, 64, 50)).status, "ok");
  const int fds_before = count_open_fds();
  for (Pattern p : {Pattern::pingpong, Pattern::stream}) {
    EXPECT_EQ(run(threaded(p, 64, 100)).status, "ok");
    auto failing = threaded(p, 64, 1000);
    failing.fault.consumer_fail_after = 20;
    EXPECT_EQ(run(failing).status, "error");
  }
  EXPECT_EQ(count_open_fds(), fds_before) << "descriptors leaked by the runs";
  EXPECT_TRUE(dev_shm_ipcbench_entries().empty());
}

// --capacity: every transport delivers at capacity 0 (rendezvous), 1 and unbounded; a rendezvous really keeps
// the producer from running ahead of the consumer; a bounded buffer behind a slow consumer makes the sender wait.
class Buffering : public Conformance {
 protected:
  Capabilities caps() const { return entry().capabilities(); }
  bool full_waits_known() const { return (caps().full_waits_counted & wait_bit(GetParam().wait)) != 0; }
};

TEST_P(Buffering, EveryCapacityDelivers) {
  for (Pattern p : {Pattern::stream, Pattern::pingpong})
    for (const Capacity& cap : {Capacity::rendezvous(), Capacity::bounded(1), Capacity::unbounded()})
      for (std::size_t n : {64ul, 4096ul}) {
        SCOPED_TRACE("capacity " + cap.str());
        auto cfg = config(p, n, 200);
        cfg.capacity = cap;
        RunResult r;
        expect_delivered(cfg, &r);
        ASSERT_EQ(r.status, "ok") << r.error;
        EXPECT_GT(r.effective.capacity_bytes, 0u) << "the granted buffer must be recorded";
        if (cap.kind == Capacity::Kind::rendezvous) {
          const std::string want = caps().native_rendezvous    ? "native"
                                   : p == Pattern::pingpong     ? "implied: pingpong waits for each reply"
                                                                : "emulated: ack per message";
          EXPECT_EQ(r.rendezvous, want);
        } else {
          EXPECT_EQ(r.rendezvous, "");
        }
        EXPECT_EQ(r.unbounded_means.empty(), cap.kind != Capacity::Kind::unbounded) << r.unbounded_means;
      }
}

// The consumer takes 50 messages and then stops. With a rendezvous, send only returns once the consumer has
// taken the message, so the producer can have completed at most those 50 sends; with a 1-message buffer it
// gets at least one further (the control: it shows the check can fail).
TEST_P(Buffering, RendezvousKeepsTheProducerAtMostOneMessageAhead) {
  if (GetParam().wait == Wait::hybrid) GTEST_SKIP() << "block and spin cover both kinds of waiting";
  for (const Capacity& cap : {Capacity::rendezvous(), Capacity::bounded(1)}) {
    SCOPED_TRACE("capacity " + cap.str());
    auto cfg = config(Pattern::stream, 64, 5000);
    cfg.capacity = cap;
    cfg.fault.consumer_stall_after = 50;
    cfg.timeout_s = 0.5;
    const RunResult r = run(cfg);
    ASSERT_EQ(r.status, "error");
    EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
    if (cap.kind == Capacity::Kind::rendezvous)
      EXPECT_EQ(r.sent, 50u) << "a send returned before the consumer had taken its message";
    else
      EXPECT_GT(r.sent, 50u) << "a 1-message buffer should let the producer finish at least one send more";
  }
}

// A consumer that sleeps 200 us before every receive: behind a 1-message buffer the producer must find it full;
// with a buffer that holds the whole run it never does.
TEST_P(Buffering, BoundedBufferMakesTheSenderWaitForASlowConsumer) {
  if (!full_waits_known())
    GTEST_SKIP() << GetParam().transport << " cannot tell a full buffer with wait " << to_string(GetParam().wait);
  constexpr std::uint64_t kMessages = 300;
  auto cfg = config(Pattern::stream, 64, kMessages);
  cfg.fault.consumer_delay_us = 200;
  cfg.capacity = Capacity::bounded(1);
  RunResult r = run(cfg);
  ASSERT_EQ(r.status, "ok") << r.error;
  EXPECT_TRUE(r.full_waits_counted);
  EXPECT_GT(r.producer.counters.full_waits, 0u) << "capacity 1, slow consumer, yet the sender never found it full";

  cfg.capacity = Capacity::unbounded();
  r = run(cfg);
  ASSERT_EQ(r.status, "ok") << r.error;
  const std::uint64_t run_messages = cfg.warmup + kMessages;
  // Sockets say bytes only; 1 KiB per 64-byte message is more than the kernel charges.
  const bool holds = r.effective.capacity_messages != 0 ? r.effective.capacity_messages >= run_messages
                                                        : r.effective.capacity_bytes >= run_messages * 1024;
  if (holds) EXPECT_EQ(r.producer.counters.full_waits, 0u) << "the buffer holds the whole run";
  else EXPECT_GT(r.producer.counters.full_waits, 0u) << "'unbounded' is " << r.unbounded_means;
}

INSTANTIATE_TEST_SUITE_P(AllTransports, Buffering, ::testing::ValuesIn(all_params()), param_name);
INSTANTIATE_TEST_SUITE_P(AllTransports, Conformance, ::testing::ValuesIn(all_params()), param_name);
INSTANTIATE_TEST_SUITE_P(AllTransports, PeerFailure, ::testing::ValuesIn(transport_params()), param_name);
INSTANTIATE_TEST_SUITE_P(AllTransports, ThreadMode, ::testing::ValuesIn(all_params()), param_name);

TEST(TransportTable, NamesUniqueAndLimitsKnown) {
  std::vector<std::string> names;
  for (const auto& row : transport_table()) {
    names.emplace_back(row.name);
    EXPECT_EQ(find_transport(row.name), &row);
    EXPECT_GT(row.capabilities().max_message_bytes, 0u) << row.name;
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
  EXPECT_EQ(find_transport("no-such-transport"), nullptr);
}

TEST(TransportTable, MqLimitIsTheKernelsAndLargerIsRefused) {
  std::size_t msgsize_max = 0;
  std::ifstream("/proc/sys/fs/mqueue/msgsize_max") >> msgsize_max;
  ASSERT_GT(msgsize_max, 0u);
  EXPECT_EQ(find_transport("mq")->capabilities().max_message_bytes, msgsize_max);
  RunConfig cfg;
  cfg.transport = "mq";
  cfg.payload_bytes = msgsize_max + 1;
  EXPECT_NE(impossible_reason(cfg), "");
  cfg.payload_bytes = msgsize_max;
  EXPECT_EQ(impossible_reason(cfg), "");
}

TEST(MqNames, UnlinkedBeforeAnyoneCanSeeThem) {
  const int fds_before = count_open_fds();
  std::string first;
  {
    TransportOptions o;
    o.message_bytes = 64;
    MqTransport a(o);
    first = a.request_name();
    ASSERT_FALSE(first.empty());
    EXPECT_EQ(first.front(), '/');
    errno = 0;
    mqd_t q = ::mq_open(first.c_str(), O_RDONLY);
    EXPECT_EQ(q, static_cast<mqd_t>(-1)) << first << " can still be opened";
    EXPECT_EQ(errno, ENOENT);
    if (q != static_cast<mqd_t>(-1)) ::mq_close(q);

    MqTransport b(o);
    EXPECT_NE(b.request_name(), first) << "names must not repeat";
  }
  EXPECT_EQ(count_open_fds(), fds_before) << "queue descriptors not closed by the destructor";
}

}  // namespace
}  // namespace ipcbench
