// rpc (a request and a reply of its own size) over every transport, a reply of the wrong size caught, and
// the mailbox pattern (P producers, C consumers) for each of its four transports: real forked runs.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <numeric>
#include <string>
#include <vector>

#include "harness/mailbox.hpp"
#include "harness/os/affinity.hpp"
#include "harness/sweep.hpp"
#include "tests/support.hpp"
#include "transports/registry.hpp"

namespace ipcbench {
namespace {

CpuPair a_pair() {
  std::string why;
  const auto allowed = os::allowed_cpus();
  if (auto p = resolve_placement("cross-core", allowed, &why)) return *p;
  return *resolve_placement("same-core", allowed, &why);
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

bool no_children_left() {
  int status = 0;
  return ::waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD;
}

struct RpcParam {
  std::string transport;
  Wait wait;
};
void PrintTo(const RpcParam& p, std::ostream* os) { *os << p.transport << "/" << to_string(p.wait); }
std::vector<RpcParam> rpc_params() {
  std::vector<RpcParam> out;
  for (const auto& t : transport_table()) {
    if (t.kind != EntryKind::transport) continue;
    out.push_back({std::string(t.name), Wait::block});
    if (t.ring) out.push_back({std::string(t.name), Wait::spin});
  }
  out.push_back({"shm-zerocopy", Wait::spin});  // replies written in place, in a slot sized for the larger
  return out;
}
std::string rpc_name(const ::testing::TestParamInfo<RpcParam>& i) {
  std::string s = i.param.transport + "_" + to_string(i.param.wait);
  for (char& c : s)
    if (c == '-') c = '_';
  return s;
}

class Rpc : public ::testing::TestWithParam<RpcParam> {
 protected:
  RunConfig config(std::size_t request, std::size_t reply) const {
    RunConfig cfg;
    cfg.transport = GetParam().transport;
    cfg.wait = GetParam().wait;
    cfg.pattern = Pattern::rpc;
    cfg.payload_bytes = request;
    cfg.reply_bytes = reply;
    cfg.cpus = a_pair();
    cfg.placement = classify_pair(cfg.cpus);
    cfg.messages = 300;
    cfg.duration_s = 0;
    cfg.warmup = 10;
    cfg.verify = true;
    cfg.timeout_s = 5;
    return cfg;
  }
  RunResult run(const RunConfig& cfg) const { return find_transport(cfg.transport)->run(cfg); }
};

TEST_P(Rpc, UnequalSizesBothWaysDeliverVerified) {
  for (auto [request, reply] : {std::pair<std::size_t, std::size_t>{64, 4096}, {4096, 64}, {16, 1000}}) {
    auto cfg = config(request, reply);
    auto r = run(cfg);
    ASSERT_EQ(r.status, "ok") << request << "/" << reply << ": " << r.error;
    EXPECT_EQ(r.messages, cfg.messages);
    EXPECT_EQ(r.rtt_ns.size(), cfg.messages);
    // --verify checks every byte of both directions: every request by the consumer, every reply by the producer.
    EXPECT_EQ(r.consumer.verified, cfg.warmup + cfg.messages);
    EXPECT_EQ(r.producer.verified, cfg.warmup + cfg.messages);
  }
}

TEST_P(Rpc, AReplyOfTheWrongSizeIsCaught) {
  auto cfg = config(64, 4096);
  cfg.fault.consumer_reply_bytes = 4096 - 8;  // a consumer that answers 8 bytes short
  cfg.timeout_s = 1;  // a byte stream cannot tell: the producer waits for the missing bytes
  auto r = run(cfg);
  EXPECT_EQ(r.status, "error");
  EXPECT_FALSE(r.error.empty());
  RecordProperty("error", r.error);
}

TEST_P(Rpc, EqualSizesIsPingpongsMeasurement) {
  auto rpc = config(64, 64);
  auto ping = rpc;
  ping.pattern = Pattern::pingpong;
  ping.reply_bytes = 0;
  auto a = run(rpc), b = run(ping);
  ASSERT_EQ(a.status, "ok") << a.error;
  ASSERT_EQ(b.status, "ok") << b.error;
  // Same loop: one sample per round trip, same counts, both directions verified.
  EXPECT_EQ(a.rtt_ns.size(), b.rtt_ns.size());
  EXPECT_EQ(a.producer.verified, b.producer.verified);
  EXPECT_EQ(a.consumer.verified, b.consumer.verified);
}

INSTANTIATE_TEST_SUITE_P(AllTransports, Rpc, ::testing::ValuesIn(rpc_params()), rpc_name);

TEST(RpcSweep, ReplyAboveTheTransportLimitIsRefusedBeforeRunning) {
  RunConfig cfg;
  cfg.transport = "mq";
  cfg.pattern = Pattern::rpc;
  cfg.payload_bytes = 64;
  cfg.reply_bytes = std::size_t{1} << 30;
  EXPECT_NE(impossible_reason(cfg).find("reply size"), std::string::npos) << impossible_reason(cfg);
}

struct BoxParam {
  std::string transport;
  Wait wait;
};
void PrintTo(const BoxParam& p, std::ostream* os) { *os << p.transport << "/" << to_string(p.wait); }
class Mailbox : public ::testing::TestWithParam<BoxParam> {
 protected:
  RunConfig config(unsigned producers, unsigned consumers) const {
    RunConfig cfg;
    cfg.transport = GetParam().transport;
    cfg.wait = GetParam().wait;
    cfg.pattern = Pattern::mailbox;
    cfg.payload_bytes = 64;
    cfg.producers = producers;
    cfg.consumers = consumers;
    cfg.placement = kMailboxPlacement;
    cfg.messages = 3001;  // not a multiple of 2: producers' quotas differ by one
    cfg.duration_s = 0;
    cfg.verify = true;
    cfg.timeout_s = 5;
    return cfg;
  }
};

TEST_P(Mailbox, EveryMessageReceivedOnceAndCountedPerConsumer) {
  for (unsigned p : {1u, 2u})
    for (unsigned c : {1u, 2u}) {
      const auto cfg = config(p, c);
      const auto r = run_mailbox(cfg);
      ASSERT_EQ(r.status, "ok") << p << "P" << c << "C: " << r.error;
      ASSERT_TRUE(r.mailbox.has_value());
      const auto& m = *r.mailbox;
      ASSERT_EQ(m.per_consumer.size(), c);
      ASSERT_EQ(m.per_pair.size(), p);
      EXPECT_EQ(std::accumulate(m.per_consumer.begin(), m.per_consumer.end(), std::uint64_t{0}), cfg.messages);
      EXPECT_EQ(std::accumulate(m.sent.begin(), m.sent.end(), std::uint64_t{0}), cfg.messages);
      for (unsigned i = 0; i < p; ++i)
        EXPECT_EQ(std::accumulate(m.per_pair[i].begin(), m.per_pair[i].end(), std::uint64_t{0}), m.sent[i]);
      EXPECT_EQ(r.messages, cfg.messages);
      EXPECT_EQ(r.rtt_ns.size(), cfg.messages);  // one one-way latency sample per message
      EXPECT_GT(r.msgs_per_s, 0);
      EXPECT_EQ(m.producer_cpus.size(), p);
      EXPECT_EQ(m.consumer_cpus.size(), c);
    }
}

TEST_P(Mailbox, ADeadConsumerFailsTheRunAndLeavesNothing) {
  ASSERT_EQ(run_mailbox(config(1, 1)).status, "ok");
  const int fds = count_open_fds();
  auto cfg = config(2, 2);
  cfg.messages = 1'000'000;
  cfg.fault.consumer_kill_after = 100;
  cfg.timeout_s = 2;
  const auto r = run_mailbox(cfg);
  EXPECT_EQ(r.status, "error");
  EXPECT_NE(r.error.find("consumer 0 killed by signal 9"), std::string::npos) << r.error;
  EXPECT_EQ(count_open_fds(), fds) << "descriptors leaked";
  EXPECT_TRUE(no_children_left()) << "a child was left running or unreaped";
}

std::vector<BoxParam> box_params() {
  std::vector<BoxParam> out;
  for (const auto& t : mailbox_transports()) {
    out.push_back({t, Wait::block});
    out.push_back({t, Wait::spin});
  }
  return out;
}
INSTANTIATE_TEST_SUITE_P(FourTransports, Mailbox, ::testing::ValuesIn(box_params()),
                         [](const ::testing::TestParamInfo<BoxParam>& i) {
                           return i.param.transport + "_" + to_string(i.param.wait);
                         });

TEST(MailboxSweep, RefusesWhatCannotWorkWithAReason) {
  RunConfig cfg;
  cfg.pattern = Pattern::mailbox;
  cfg.transport = "pipe";
  cfg.payload_bytes = 8192;
  EXPECT_NE(mailbox_impossible_reason(cfg).find("PIPE_BUF"), std::string::npos);
  cfg.payload_bytes = 8;
  EXPECT_NE(mailbox_impossible_reason(cfg).find("header"), std::string::npos);
  cfg.transport = "tcp";
  cfg.payload_bytes = 64;
  EXPECT_NE(mailbox_impossible_reason(cfg).find("no mailbox form"), std::string::npos);
  cfg.transport = "shm";
  EXPECT_EQ(mailbox_impossible_reason(cfg), "");
}

}  // namespace
}  // namespace ipcbench
