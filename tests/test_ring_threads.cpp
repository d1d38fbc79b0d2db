// The shm rings (every design of the ablation) in thread mode, built with -fsanitize=thread (IPCBENCH_TSAN=ON,
// see setup.sh test): the producer and consumer are two threads of this process, so ThreadSanitizer sees every access to the ring
// and reports a payload read that is not ordered after its write (or a slot overwritten before it was
// read). Every wait strategy, both patterns, sizes around the word and the cache line and a page, with
// --verify and enough messages to lap the ring thousands of times. No fork in this binary: TSan does not
// follow a forked child.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/clock.hpp"
#include "harness/os/affinity.hpp"
#include "harness/runner.hpp"
#include "harness/sweep.hpp"
#include "tests/support.hpp"
#include "transports/registry.hpp"
#include "transports/shm.hpp"

namespace ipcbench {
namespace {

struct Param {
  std::string transport;
  Wait wait;
  Pattern pattern;
  std::size_t bytes;
  std::size_t capacity;  // 0: the ring's default (64 slots at these sizes)
  std::uint64_t messages;
  CopyIn copy_in = CopyIn::cached;  // streaming: --copy-in streaming (the shm ring streams small messages in batches)
  ReplyLine reply_line = ReplyLine::automatic;  // shared: --reply-line shared (round trips answer in place)
};
void PrintTo(const Param& p, std::ostream* os) {
  *os << p.transport << "/" << to_string(p.wait) << "/" << to_string(p.pattern) << "/" << p.bytes << "B/cap " << p.capacity
      << "/copy-in " << to_string(p.copy_in) << "/reply-line " << to_string(p.reply_line);
}

std::vector<Param> all_params() {
  std::vector<Param> out;
  for (Wait w : all_waits) {
    for (Pattern p : {Pattern::pingpong, Pattern::stream})
      for (std::size_t n : {8ul, 64ul, 4096ul}) {
        // 200k messages lap a 64-slot ring about 3000 times; a round trip costs more, so pingpong does fewer.
        std::uint64_t messages = n >= 4096 ? 50'000 : 200'000;
        if (p == Pattern::pingpong) messages /= 4;
        out.push_back({"shm", w, p, n, 0, messages});
      }
    // Two slots: the producer finds the ring full on nearly every message, so the tail handshake (and,
    // with block/hybrid, the producer's futex) is exercised as often as the sequence words.
    out.push_back({"shm", w, Pattern::stream, 64, 2, 100'000});
    // Streaming copy-in: mid-stream the ring holds sequence words back and publishes a batch after one fence
    // (ring_stream_batch), 256 at a time in the default ring, 16 in one of 64 slots; ThreadSanitizer sees the
    // words and the copies' ordinary stores, not the streaming stores themselves.
    out.push_back({"shm", w, Pattern::stream, 64, 0, 200'000, CopyIn::streaming});
    out.push_back({"shm", w, Pattern::stream, 1000, 64, 50'000, CopyIn::streaming});
    out.push_back({"shm-adjacent", w, Pattern::stream, 100, 0, 20'000, CopyIn::streaming});
    // Answering in place: both sides take turns on one line, and a message past 56 B puts the rest on lines of its
    // sender's own, staged while the peer's message is on its way.
    for (std::size_t n : {8ul, 64ul, 1000ul})
      out.push_back({"shm", w, Pattern::pingpong, n, 0, 50'000, CopyIn::cached, ReplyLine::shared});
    // Every other ring design: both patterns, a default ring and one of three slots (non-power-of-two
    // wrap; a batched design cannot hold a batch back).
    for (const auto& row : transport_table()) {
      if (row.kind != EntryKind::ring_variant) continue;
      out.push_back({std::string(row.name), w, Pattern::pingpong, 64, 0, 10'000});
      out.push_back({std::string(row.name), w, Pattern::stream, 64, 0, 20'000});
      out.push_back({std::string(row.name), w, Pattern::stream, 8, 3, 20'000});
    }
  }
  return out;
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  const auto& p = info.param;
  std::string name = p.transport + "_" + to_string(p.wait) + "_" + to_string(p.pattern) + "_" +
                     std::to_string(p.bytes) + (p.capacity != 0 ? "_cap" + std::to_string(p.capacity) : "") +
                     (p.copy_in == CopyIn::streaming ? "_streaming" : "") +
                     (p.reply_line == ReplyLine::shared ? "_in_place" : "");
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

RunConfig ring_config(const Param& p) {
  RunConfig cfg;
  cfg.transport = p.transport;
  cfg.threads = true;
  cfg.wait = p.wait;
  cfg.pattern = p.pattern;
  cfg.payload_bytes = p.bytes;
  std::string why;
  const auto allowed = os::allowed_cpus();
  auto pair = resolve_placement("cross-core", allowed, &why);
  cfg.cpus = pair ? *pair : *resolve_placement("same-core", allowed, &why);
  cfg.placement = classify_pair(cfg.cpus);
  if (p.capacity != 0) cfg.capacity = Capacity::bounded(p.capacity);
  cfg.messages = p.messages;
  cfg.duration_s = 0;
  cfg.warmup = 100;
  cfg.verify = true;
  cfg.timeout_s = 20;  // instrumented code is several times slower; the watchdog still catches a hang
  cfg.copy_in = p.copy_in;
  resolve_copy_in(cfg, std::nullopt);  // as the harness does before each run
  cfg.reply_line = p.reply_line;
  resolve_reply_line(cfg, std::nullopt, std::nullopt);
  return cfg;
}

void expect_delivered(const RunConfig& cfg) {
  const RunResult r = find_transport(cfg.transport)->run(cfg);
  ASSERT_EQ(r.status, "ok") << r.error;
  EXPECT_EQ(r.consumer.verified, cfg.warmup + cfg.messages);
  if (cfg.copy_in_stores == CopyIn::streaming) {
    // Every message was streamed but the first after each stop: the measured phase's first (the harness flushed
    // before it) and one after each wait for room. A ring that is full all the time streams few, not none.
    const auto& c = r.producer.counters;
    EXPECT_GT(c.streamed_messages, 0u);
    EXPECT_GE(c.streamed_messages + c.full_waits + 1, cfg.messages) << c.streamed_messages << " streamed, "
                                                                   << c.full_waits << " waits for room";
  }
  if (cfg.pattern == Pattern::pingpong) {
    EXPECT_EQ(r.producer.verified, cfg.warmup + cfg.messages);
    // A staging design sends a round trip's messages that run past their word's line (8 bytes of word, so more
    // than 56 bytes) from the slot it wrote them into while it waited, whenever the peer's tail already said that
    // slot was free (not every time); no other design or size stages any.
    const RingDesign* d = find_transport(cfg.transport)->ring;
    for (const auto* side : {&r.producer, &r.consumer}) {
      // answering in place: every message of the measured phase, or none
      EXPECT_EQ(side->counters.in_place_messages, cfg.reply_line_used == ReplyLine::shared ? cfg.messages : 0u);
      if (d != nullptr && d->stage && cfg.payload_bytes + sizeof(std::uint64_t) > shm_ring::kSlotLine) {
        EXPECT_GT(side->counters.staged_messages, 0u);
        EXPECT_LE(side->counters.staged_messages, cfg.messages);
      } else {
        EXPECT_EQ(side->counters.staged_messages, 0u);
      }
    }
  }
}

class RingThreads : public ::testing::TestWithParam<Param> {};

TEST_P(RingThreads, DeliversVerified) { expect_delivered(ring_config(GetParam())); }

INSTANTIATE_TEST_SUITE_P(Shm, RingThreads, ::testing::ValuesIn(all_params()), param_name);

}  // namespace
}  // namespace ipcbench
