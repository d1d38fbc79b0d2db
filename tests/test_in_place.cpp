// The shm ring answering in place (TransportOptions::reply_in_place; transports/shm.hpp, ShmRing::send_in_place),
// driven from one thread so every step is deterministic: producer and consumer are two views of one duplex ring.
// What must hold: round trips arrive whole at every size up to kInPlaceMost, requests and replies of different
// sizes too; the part of a message past the shared line, staged early, never overwrites the message still in flight;
// a send() after a stage() replaces the staged message; a call out of turn throws before it touches the line; and the
// ring declines (answers on its own lines) wherever answering in place does not apply. The harness's choice
// (--reply-line) is tested in test_report.cpp; real runs (two processes, every wait, a peer that dies or stalls)
// at the end of this file, the concurrent paths under ThreadSanitizer in test_ring_threads.cpp, volume in
// test_stress.cpp.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <vector>

#include "harness/os/affinity.hpp"
#include "harness/runner.hpp"
#include "harness/sweep.hpp"
#include "tests/split_pair.hpp"
#include "tests/support.hpp"
#include "transports/registry.hpp"
#include "transports/shm.hpp"

namespace ipcbench {
namespace {

TransportOptions in_place_options(std::size_t request, std::size_t reply = 0) {
  TransportOptions o;
  o.message_bytes = request;
  o.reply_bytes = reply;
  o.wait = Wait::spin;
  o.spin_budget = 1u << 20;  // never yield or sleep here: one thread plays both sides
  o.duplex = true;
  o.reply_in_place = true;
  return o;
}

std::vector<std::byte> message(std::size_t bytes, std::uint64_t seq, unsigned salt) {
  std::vector<std::byte> m(bytes);
  for (std::size_t i = 0; i < bytes; ++i) m[i] = static_cast<std::byte>(seq * 31 + i * 7 + salt);
  return m;
}

struct Pair : test_support::SplitPair<ShmTransport> {
  Pair(std::size_t request, std::size_t reply = 0)
      : test_support::SplitPair<ShmTransport>(in_place_options(request, reply)),
        request_bytes(request),
        reply_bytes(reply != 0 ? reply : request) {}
  std::vector<std::byte> request(std::uint64_t seq) const { return message(request_bytes, seq, 1); }
  std::vector<std::byte> reply(std::uint64_t seq) const { return message(reply_bytes, seq, 2); }
  void expect_request(std::uint64_t seq) {
    std::vector<std::byte> m(request_bytes);
    consumer.recv(m);
    EXPECT_EQ(m, request(seq)) << "request " << seq;
  }
  void expect_reply(std::uint64_t seq) {
    std::vector<std::byte> m(reply_bytes);
    producer.recv(m);
    EXPECT_EQ(m, reply(seq)) << "reply " << seq;
  }
  // One round trip, each side staging its next message right after it sends, as TransportOps does.
  void staged_round_trip(std::uint64_t seq) {
    const auto q = request(seq);
    if (producer.staged()) producer.send_staged(q);
    else producer.send(q);
    producer.stage(request(seq + 1));
    expect_request(seq);
    const auto a = reply(seq);
    if (consumer.staged()) consumer.send_staged(a);
    else consumer.send(a);
    consumer.stage(reply(seq + 1));
    expect_reply(seq);
  }
  std::size_t request_bytes, reply_bytes;
};

TEST(InPlace, RoundTripsArriveWholeAtEverySize) {
  for (std::size_t bytes : {1ul, 8ul, 55ul, 56ul, 57ul, 64ul, 100ul, 120ul, 121ul, 200ul, 1000ul, 1079ul, 1080ul}) {
    SCOPED_TRACE(bytes);
    Pair p(bytes);
    ASSERT_TRUE(p.producer.in_place());
    ASSERT_TRUE(p.consumer.in_place());
    for (std::uint64_t i = 0; i < 20; ++i) {  // plain send/recv
      p.producer.send(p.request(i));
      p.expect_request(i);
      p.consumer.send(p.reply(i));
      p.expect_reply(i);
    }
    for (std::uint64_t i = 20; i < 60; ++i) p.staged_round_trip(i);
    EXPECT_EQ(p.producer.counters().in_place_messages, 60u);
    EXPECT_EQ(p.consumer.counters().in_place_messages, 60u);
    // Only a message with bytes past the shared line (more than 56) has anything to stage; the first staged round
    // trip sends from a plain send (nothing was staged before it).
    const std::uint64_t staged = bytes > shm_ring::kInPlaceHead ? 39u : 0u;
    EXPECT_EQ(p.producer.counters().staged_messages, staged);
    EXPECT_EQ(p.consumer.counters().staged_messages, staged);
  }
}

TEST(InPlace, RequestsAndRepliesOfDifferentSizes) {
  for (auto [request, reply] :
       {std::pair{8ul, 1080ul}, std::pair{1080ul, 8ul}, std::pair{57ul, 1ul}, std::pair{200ul, 64ul}}) {
    SCOPED_TRACE(std::to_string(request) + " B requests, " + std::to_string(reply) + " B replies");
    Pair p(request, reply);
    ASSERT_TRUE(p.producer.in_place());
    for (std::uint64_t i = 0; i < 40; ++i) p.staged_round_trip(i);
  }
}

// Each side stages its next message while its last one is still unread (as in every staged round trip): the rest of
// it goes to the other of the side's two lines, so the message in flight arrives intact (with one line for the rest,
// this test fails).
TEST(InPlace, StagingNeverTouchesTheMessageInFlight) {
  Pair p(shm_ring::kInPlaceMost);
  for (std::uint64_t i = 0; i < 10; ++i) {
    const auto q = p.request(i);
    if (i == 0) p.producer.send(q);
    else p.producer.send_staged(q);
    ASSERT_TRUE(p.producer.stage(p.request(i + 1)));  // before the consumer has read request i
    p.expect_request(i);
    const auto a = p.reply(i);
    if (i == 0) p.consumer.send(a);
    else p.consumer.send_staged(a);
    ASSERT_TRUE(p.consumer.stage(p.reply(i + 1)));  // before the producer has read reply i
    p.expect_reply(i);
  }
}

TEST(InPlace, ASendAfterAStageReplacesTheStagedMessage) {
  Pair p(64);
  ASSERT_TRUE(p.producer.stage(p.request(7)));
  p.producer.send(p.request(0));
  p.expect_request(0);
  EXPECT_THROW(p.producer.send_staged(p.request(7)), std::logic_error);  // nothing is staged any more
  EXPECT_EQ(p.producer.counters().staged_messages, 0u);
}

// Out of turn, a send would overwrite the message the peer has not read, and a receive would wait forever: both
// throw before touching the line, and the pair still works afterwards.
TEST(InPlace, CallsOutOfTurnThrow) {
  Pair p(64);
  std::vector<std::byte> in(64);
  EXPECT_THROW(p.consumer.send(p.reply(0)), std::logic_error);  // the producer sends first
  EXPECT_THROW(p.producer.recv(in), std::logic_error);          // nothing was asked
  p.producer.send(p.request(0));
  EXPECT_THROW(p.producer.send(p.request(1)), std::logic_error);  // the reply comes first
  p.expect_request(0);
  EXPECT_THROW(p.consumer.recv(in), std::logic_error);  // it owes a reply
  p.consumer.send(p.reply(0));
  EXPECT_THROW(p.consumer.send(p.reply(1)), std::logic_error);
  p.expect_reply(0);
  std::vector<std::byte> large(shm_ring::kInPlaceMost + 1);
  EXPECT_THROW(p.producer.send(large), std::length_error);  // more than the pair holds: nothing is written
  p.staged_round_trip(1);
  EXPECT_EQ(p.producer.counters().in_place_messages, 2u);
}

TEST(InPlace, DeclinedWhereItDoesNotApply) {
  auto answers = [](TransportOptions o) {
    test_support::SplitPair<ShmTransport> p(o);
    return p.producer.in_place();
  };
  constexpr std::size_t most = shm_ring::kInPlaceMost;
  EXPECT_TRUE(answers(in_place_options(most)));
  EXPECT_FALSE(answers(in_place_options(most + 1))) << "too large";
  EXPECT_FALSE(answers(in_place_options(8, most + 1))) << "a reply too large";
  auto o = in_place_options(8);
  o.reply_in_place = false;
  EXPECT_FALSE(answers(o)) << "not asked";
  o = in_place_options(8);
  o.capacity = 4;
  EXPECT_FALSE(answers(o)) << "--capacity";
  o = in_place_options(8);
  o.rendezvous = true;
  EXPECT_FALSE(answers(o)) << "rendezvous";
  o = in_place_options(8);
  o.duplex = false;
  EXPECT_FALSE(answers(o)) << "one way";
  test_support::SplitPair<ShmRing<kRingUnstaged>> unstaged(in_place_options(8));
  EXPECT_FALSE(unstaged.producer.in_place()) << "a design of the ablation";
  // declined, the ring works as before and counts nothing in place
  test_support::SplitPair<ShmTransport> q(in_place_options(most + 1));
  std::vector<std::byte> m(most + 1), in(most + 1);
  q.producer.send(m);
  q.consumer.recv(in);
  q.consumer.send(m);
  q.producer.recv(in);
  EXPECT_EQ(q.producer.counters().in_place_messages, 0u);
}

// Real runs: two processes, --reply-line shared, --verify, under every wait, with both ends on two CPUs and on one.
class InPlaceRuns : public ::testing::TestWithParam<Wait> {
 protected:
  static RunConfig config(Pattern pattern, std::size_t request, std::size_t reply, const char* placement,
                          std::uint64_t messages) {
    RunConfig cfg;
    cfg.transport = "shm";
    cfg.wait = GetParam();
    cfg.pattern = pattern;
    cfg.payload_bytes = request;
    cfg.reply_bytes = reply;
    std::string why;
    const auto allowed = os::allowed_cpus();
    auto pair = resolve_placement(placement, allowed, &why);
    cfg.cpus = pair ? *pair : *resolve_placement("same-core", allowed, &why);
    cfg.placement = classify_pair(cfg.cpus);
    cfg.messages = messages;
    cfg.duration_s = 0;
    cfg.warmup = 10;
    cfg.verify = true;
    cfg.timeout_s = 5;
    cfg.reply_line = ReplyLine::shared;
    resolve_reply_line(cfg, std::nullopt, std::nullopt);
    return cfg;
  }
  static bool no_children_left() {
    int status = 0;
    return ::waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD;
  }
};

TEST_P(InPlaceRuns, DeliverVerifiedApartAndTogether) {
  for (const char* placement : {"cross-core", "same-core"})
    for (auto [pattern, request, reply] : {std::tuple{Pattern::pingpong, 8ul, 0ul}, {Pattern::pingpong, 64ul, 0ul},
                                           {Pattern::pingpong, 1000ul, 0ul}, {Pattern::rpc, 8ul, 1080ul}}) {
      const RunConfig cfg = config(pattern, request, reply, placement, 2000);
      SCOPED_TRACE(std::string(placement) + " " + to_string(pattern) + " " + std::to_string(request) + " B");
      ASSERT_EQ(cfg.reply_line_used, ReplyLine::shared);
      const RunResult r = find_transport("shm")->run(cfg);
      ASSERT_EQ(r.status, "ok") << r.error;
      EXPECT_EQ(r.consumer.verified, cfg.warmup + cfg.messages);
      EXPECT_EQ(r.producer.verified, cfg.warmup + cfg.messages);
      EXPECT_EQ(r.producer.counters.in_place_messages, cfg.messages);
      EXPECT_EQ(r.consumer.counters.in_place_messages, cfg.messages);
    }
}

// A consumer killed or stalled while the producer waits on the shared line: the run fails within its timeout, says
// why, and leaves no process behind.
TEST_P(InPlaceRuns, APeerThatDiesOrStallsFailsTheRun) {
  auto killed = config(Pattern::pingpong, 64, 0, "cross-core", 100000);
  killed.fault.consumer_kill_after = 50;
  killed.timeout_s = 2;
  auto t0 = std::chrono::steady_clock::now();
  RunResult r = find_transport("shm")->run(killed);
  EXPECT_EQ(r.status, "error");
  EXPECT_NE(r.error.find("killed by signal 9"), std::string::npos) << r.error;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 3.0);
  EXPECT_TRUE(no_children_left());

  auto stalled = config(Pattern::pingpong, 64, 0, "cross-core", 20000);
  stalled.fault.consumer_stall_after = 50;
  stalled.timeout_s = 1;
  t0 = std::chrono::steady_clock::now();
  r = find_transport("shm")->run(stalled);
  EXPECT_EQ(r.status, "error");
  EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.5);
  EXPECT_TRUE(no_children_left());
}

INSTANTIATE_TEST_SUITE_P(Shm, InPlaceRuns, ::testing::Values(Wait::spin, Wait::hybrid, Wait::block),
                         [](const ::testing::TestParamInfo<Wait>& i) { return std::string(to_string(i.param)); });

}  // namespace
}  // namespace ipcbench
