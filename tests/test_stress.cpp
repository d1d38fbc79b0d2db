// Stress: 10^7 messages through the shm ring under every wait strategy (and through every other ring design
// of the ablation with spin), in process mode, with the two ends
// pinned apart (two CPUs) and together (one CPU), every message's sequence number and checksum checked by
// the consumer. Stream pattern, 8-byte messages: volume is the point (one same-core round trip costs
// microseconds, which would make 10^7 round trips take minutes) and 8 bytes is the cheapest message.
// Exception: block and hybrid with both ends on one CPU hand the CPU over through a futex on nearly every
// message (5-7 us each here), so 10^7 would take about 60 s and 35 s; they run 3 x 10^6 by default to keep the
// suite near a minute. Every ring design also streams 64-byte messages with spin: a message that does not fit
// next to its sequence word is laid out differently (two lines, a second word, or a payload two lines on).
// shm also streams 64 B messages (and 1000 B ones across two CPUs) with streaming copy-in: payloads copied with
// non-temporal stores, sequence words held back and published in batches, a ring of 256 KiB that wraps every few
// batches. `auto` picks it by the floor measured before a run, which a test does not measure, so it asks for it.
// IPCBENCH_STRESS_MESSAGES=N sets the count for every case (10000000 for the full run).
// Label `stress`: `ctest -L stress` runs only these, `ctest -LE stress` skips them.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
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

std::uint64_t messages_for(Wait wait, bool same_cpu) {
  if (const char* env = std::getenv("IPCBENCH_STRESS_MESSAGES")) return std::strtoull(env, nullptr, 10);
  return same_cpu && wait != Wait::spin ? 3'000'000 : 10'000'000;
}

struct Param {
  std::string transport;
  Wait wait;
  const char* placement;
  std::size_t bytes = 8;
  bool streaming = false;  // streaming copy-in (RunConfig::copy_in_stores)
  Pattern pattern = Pattern::stream;
  ReplyLine reply_line = ReplyLine::automatic;  // shared: round trips answer in place (--reply-line shared)
};
void PrintTo(const Param& p, std::ostream* os) {
  *os << p.transport << "/" << to_string(p.wait) << "/" << p.placement << "/" << p.bytes << "B"
      << (p.streaming ? "/streaming" : "") << "/" << to_string(p.pattern) << "/reply-line " << to_string(p.reply_line);
}

// shm under every wait strategy; every other ring design (the ablation) with spin, the mode it is measured in.
std::vector<Param> all_params() {
  std::vector<Param> out;
  for (const char* placement : {"cross-core", "same-core"}) {
    for (Wait w : all_waits) out.push_back({"shm", w, placement});
    out.push_back({"shm", Wait::spin, placement, 64});
    out.push_back({"shm", Wait::spin, placement, 64, true});
    if (placement == std::string("cross-core")) out.push_back({"shm", Wait::spin, placement, 1000, true});
    for (const auto& row : transport_table())
      if (row.kind == EntryKind::ring_variant)
        for (std::size_t bytes : {8, 64}) out.push_back({std::string(row.name), Wait::spin, placement, bytes});
  }
  // shm stages its round trips' messages (the part past the word's line written while the peer answers):
  // 5 x 10^6 of them at 64 B across two CPUs, 10^7 messages counting requests and replies, each side's checked.
  out.push_back({"shm", Wait::spin, "cross-core", 64, false, Pattern::pingpong});
  // shm answering in place (one line both sides write, the rest of a 64 B message on a line of the sender's own,
  // staged): 5 x 10^6 round trips apart and together, and apart at 8 B (all on the shared line) and 1000 B (the
  // rest on 15 lines).
  for (const char* placement : {"cross-core", "same-core"})
    out.push_back({"shm", Wait::spin, placement, 64, false, Pattern::pingpong, ReplyLine::shared});
  for (std::size_t bytes : {8, 1000})
    out.push_back({"shm", Wait::spin, "cross-core", bytes, false, Pattern::pingpong, ReplyLine::shared});
  return out;
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  std::string s = info.param.transport + "_" + to_string(info.param.wait) + "_" + info.param.placement;
  if (info.param.bytes != 8) s.append("_").append(std::to_string(info.param.bytes)).append("B");
  if (info.param.streaming) s.append("_streaming");
  if (info.param.pattern != Pattern::stream) s.append("_").append(to_string(info.param.pattern));
  if (info.param.reply_line == ReplyLine::shared) s.append("_in_place");
  for (char& c : s)
    if (c == '-') c = '_';
  return s;
}

class ShmStress : public ::testing::TestWithParam<Param> {};

TEST_P(ShmStress, VerifiedMessages) {
  const auto& p = GetParam();
  std::string why;
  auto pair = resolve_placement(p.placement, os::allowed_cpus(), &why);
  if (!pair) GTEST_SKIP() << why;
  RunConfig cfg;
  cfg.transport = p.transport;
  cfg.pattern = p.pattern;
  cfg.wait = p.wait;
  cfg.payload_bytes = p.bytes;
  cfg.cpus = *pair;
  cfg.placement = p.placement;
  cfg.messages = messages_for(p.wait, pair->producer == pair->consumer);
  const bool round_trips = p.pattern == Pattern::pingpong;
  if (round_trips) cfg.messages /= 2;  // each round trip carries two messages
  ASSERT_GT(cfg.messages, 0u) << "IPCBENCH_STRESS_MESSAGES must be a positive count";
  cfg.duration_s = 0;
  cfg.warmup = 1000;
  cfg.verify = true;
  if (p.streaming) cfg.copy_in_stores = CopyIn::streaming;
  cfg.reply_line = p.reply_line;
  resolve_reply_line(cfg, std::nullopt, std::nullopt);
  cfg.timeout_s = 10;
  const auto t0 = std::chrono::steady_clock::now();
  const RunResult r = find_transport(p.transport)->run(cfg);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.status, "ok") << r.error;
  EXPECT_EQ(r.messages, cfg.messages);
  EXPECT_EQ(r.consumer.verified, cfg.warmup + cfg.messages) << "messages checked (sequence + checksum)";
  if (p.streaming) {
    EXPECT_GT(r.producer.counters.streamed_messages, cfg.messages / 2) << "sent through the streaming path";
  }
  if (round_trips) {
    EXPECT_EQ(r.producer.verified, cfg.warmup + cfg.messages) << "replies checked (sequence + checksum)";
    for (const auto* side : {&r.producer, &r.consumer}) {
      if (p.bytes > shm_ring::kInPlaceHead) {
        EXPECT_GT(side->counters.staged_messages, cfg.messages / 2) << "sent from a staged slot";
      }
      EXPECT_EQ(side->counters.in_place_messages, p.reply_line == ReplyLine::shared ? cfg.messages : 0u);
    }
  }
  std::printf("[ stress   ] %s/%s %s %zu B%s cpus %s: %llu %s verified in %.2f s (%.2f M/s measured)\n",
              p.transport.c_str(), to_string(p.wait), p.placement, p.bytes, p.streaming ? " streaming" : "",
              cfg.cpus.str().c_str(), static_cast<unsigned long long>(cfg.messages),
              round_trips ? "round trips (a request and a reply each)" : "messages", wall, r.msgs_per_s / 1e6);
}

INSTANTIATE_TEST_SUITE_P(Shm, ShmStress, ::testing::ValuesIn(all_params()), param_name);

}  // namespace
}  // namespace ipcbench
