// The shm ring's temporal slipping (transports/shm.hpp, design "slip"), driven from one thread so every step is
// deterministic: producer and consumer are two views of one ring, and each receive happens only after the
// sends it needs. What must hold: a consumer that caught up with a streaming producer trails it (and still gets
// every message, intact, even if the producer never says it stopped); one whose producer stops after every
// message (ping-pong, paced sends) never trails; and a head published at a stop ends a trailing wait at once.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "tests/split_pair.hpp"
#include "transports/shm.hpp"
#include "transports/wait.hpp"

namespace ipcbench {
namespace {

constexpr std::size_t kBytes = 64;

struct Pair : test_support::SplitPair<ShmTransport> {
  explicit Pair(Wait wait = Wait::spin) : SplitPair(options(wait)) {}
  static TransportOptions options(Wait wait) {
    TransportOptions o;
    o.message_bytes = kBytes;
    o.wait = wait;
    o.spin_budget = 1u << 20;  // never yield or sleep here: one thread plays both sides
    o.duplex = false;
    return o;
  }
  void send(std::uint64_t seq) {
    std::vector<std::byte> m(kBytes);
    for (std::size_t i = 0; i < kBytes; ++i) m[i] = static_cast<std::byte>(seq * 31 + i);
    producer.send(m);
  }
  void expect(std::uint64_t seq) {
    std::vector<std::byte> m(kBytes);
    consumer.recv(m);
    for (std::size_t i = 0; i < kBytes; ++i)
      ASSERT_EQ(m[i], static_cast<std::byte>(seq * 31 + i)) << "message " << seq << " byte " << i;
  }
  std::uint64_t trailing() const { return consumer.counters().trailing_waits; }
};

TEST(Slip, LookaheadIsSixteenSlotsAndAtMostOneMebibyteOfThem) {
  EXPECT_EQ(ring_lookahead(kRingSlip, 64, 64), 16u);
  EXPECT_EQ(ring_lookahead(kRingSlip, 64, 8), 2u);       // never more than a quarter of the ring
  EXPECT_EQ(ring_lookahead(kRingSlip, 65536, 64), 15u);  // 15 slots of 64 KiB + a line fit in 1 MiB
  EXPECT_EQ(ring_lookahead(kRingSlip, 1 << 20, 64), 1u); // a 1 MiB message: no trailing
  EXPECT_EQ(ring_lookahead(kRingTwoSeq, 64, 64), 1u);    // only the slip design trails
}

// shm trails by half the ring (at most 32 slots) where the payload sits apart from its word (57 B to 1 KiB), a quarter
// (at most 16) elsewhere; shm-quarter by a quarter everywhere; a duplex ring never trails.
TEST(Slip, ShmTrailsHalfTheRingWhereThePayloadSitsApartFromItsWord) {
  EXPECT_EQ(ring_lookahead(kRingShm, 64, 64), 32u);
  EXPECT_EQ(ring_lookahead(kRingShm, 1000, 64), 32u);
  EXPECT_EQ(ring_lookahead(kRingShm, 64, 8), 4u);       // half of a small ring
  EXPECT_EQ(ring_lookahead(kRingShm, 64, 256), 32u);    // at most 32 slots
  EXPECT_EQ(ring_lookahead(kRingShm, 8, 64), 16u);      // packed next to its word: a quarter
  EXPECT_EQ(ring_lookahead(kRingShm, 56, 64), 16u);
  EXPECT_EQ(ring_lookahead(kRingShm, 4096, 64), 16u);   // from 1 KiB the payload is on the word's next line
  EXPECT_EQ(ring_lookahead(kRingShm, 65536, 64), 15u);  // and 1 MiB of slots at most
  EXPECT_EQ(ring_lookahead(kRingQuarter, 64, 64), 16u);
  EXPECT_EQ(ring_lookahead(kRingAdjacent, 64, 64), 16u);  // the adjacent toggle keeps the quarter it was measured with
  EXPECT_EQ(ring_lookahead(ring_laid_out(kRingShm, true), 64, 64), 16u);  // duplex: the slotseq layout, no apart
}

TEST(Slip, PingPongStyleSendsNeverMakeTheConsumerTrail) {
  Pair p;
  for (std::uint64_t i = 0; i < 200; ++i) {
    p.send(i);
    p.producer.flush();  // what a ping-pong producer does before it waits for the reply
    p.expect(i);
  }
  EXPECT_EQ(p.trailing(), 0u);
}

TEST(Slip, AConsumerThatCaughtUpWithAStreamTrailsAndStillGetsEveryMessageWithoutAFlush) {
  Pair p;
  for (std::uint64_t i = 0; i < 8; ++i) p.send(i);  // a stream the producer never says it ended
  for (std::uint64_t i = 0; i < 8; ++i) p.expect(i);
  // 0 came after a stop, 1..7 mid-stream; after 1..4 (four marked in a row) the consumer takes the producer
  // for streaming, so waiting for 5, 6 and 7 it trails, finds no head, gives up after kSlipPolls polls and
  // takes each from its slot.
  EXPECT_EQ(p.trailing(), 3u);
}

TEST(Slip, OneMarkedMessageIsNoStream) {
  Pair p;
  for (std::uint64_t round = 0; round < 50; ++round) {
    // What a ping-pong side does when it finds its next message already there: it skips its stop once.
    p.send(2 * round);
    p.send(2 * round + 1);
    p.producer.flush();
    p.expect(2 * round);
    p.expect(2 * round + 1);
  }
  EXPECT_EQ(p.trailing(), 0u);
}

TEST(Slip, ABurstIsReadBehindTheLookaheadAndAStopEndsTheTrailingWait) {
  Pair p;
  std::uint64_t seq = 0;
  p.send(seq++);
  p.producer.flush();
  p.expect(0);
  for (int i = 0; i < 40; ++i) p.send(seq++);  // 1..40, each after the previous without a stop
  // 1..5 from their slots (2..5 marked: a streak), then 6..37 behind the lookahead (32 slots at 64 B), no wait.
  for (std::uint64_t i = 1; i <= 32; ++i) p.expect(i);
  EXPECT_EQ(p.trailing(), 0u);
  p.producer.flush();  // publishes head = 41
  for (std::uint64_t i = 33; i <= 40; ++i) p.expect(i);
  // Waiting for 38 after 37 (mid-stream), the consumer trails; the head ends that wait at once.
  EXPECT_EQ(p.trailing(), 1u);
  // The producer stopped right after 40 and the consumer has everything: the next message is polled for.
  p.send(seq++);
  p.expect(41);
  EXPECT_EQ(p.trailing(), 1u);
}

TEST(Slip, BlockingConsumersNeverTrail) {
  Pair p(Wait::block);
  for (std::uint64_t i = 0; i < 40; ++i) p.send(i);
  for (std::uint64_t i = 0; i < 40; ++i) p.expect(i);
  EXPECT_EQ(p.trailing(), 0u);
}

// `shm` (one-way) packs the slots that fit in one line to a power of two, starts a payload of 57 B to 1 KiB two
// lines after its sequence word, in whole 128-byte pairs, and a larger one on the next line; prefetch (2seq) keeps
// whole lines for two words; slip pads every slot.
template <class Ring = ShmTransport>
std::size_t stride_of(std::size_t bytes, Wait wait = Wait::spin) {
  TransportOptions o = Pair::options(wait);
  o.message_bytes = bytes;
  o.capacity = 8;
  const Effective e = Ring(o).effective();
  return e.capacity_bytes / e.capacity_messages;
}

TEST(Prefetch, ShmPacksSlotsThatFitALineToAPowerOfTwoAndKeepsTheRestOnWholeLines) {
  EXPECT_EQ(stride_of(8), 16u);      // sequence word + 8 B: four slots per line
  EXPECT_EQ(stride_of(24), 32u);     // 8 + 24: two per line
  EXPECT_EQ(stride_of(36), 64u);     // 44 bytes: a whole line, so that no slot straddles two
  EXPECT_EQ(stride_of(56), 64u);     // one per line
  EXPECT_EQ(stride_of(57), 256u);    // does not fit next to its word: the word's pair, then the payload's
  EXPECT_EQ(stride_of(64), 256u);
  EXPECT_EQ(stride_of(1000), 1152u); // 128 + 1000, whole pairs
  EXPECT_EQ(stride_of(4096), 4160u); // from 1 KiB: the word on the line before the payload, no trailing word
  EXPECT_EQ(stride_of<ShmRing<kRingSlip>>(8), 64u);        // slip pads every slot
  EXPECT_EQ(stride_of<ShmRing<kRingPrefetch>>(64), 128u);  // 8 + 64 + the trailing sequence word, whole lines
  EXPECT_EQ(stride_of<ShmRing<kRingPrefetch>>(4096), 4224u);  // payload on the line after the word, trailing word
  EXPECT_EQ(stride_of<ShmRing<kRingAdjacent>>(64), 128u);  // the payload on the word's pair: whole lines
  EXPECT_EQ(stride_of(8, Wait::block), 16u);  // the layout does not depend on the wait
}

TEST(Apart, APayloadThatDoesNotFitNextToItsWordStartsOnTheNextPairOfLinesBelow1KiB) {
  const RingDesign duplex_shm = ring_laid_out(kRingShm, true);
  EXPECT_EQ(ring_payload_offset(kRingShm, 56), 8u);  // fits: right after the word
  EXPECT_EQ(ring_payload_offset(kRingShm, 57), 128u);
  EXPECT_EQ(ring_payload_offset(kRingShm, 1023), 128u);
  EXPECT_EQ(ring_payload_offset(kRingShm, 1024), 64u);  // from 1 KiB, on the line after the word
  EXPECT_EQ(ring_payload_offset(kRingAdjacent, 64), 64u);
  EXPECT_EQ(ring_payload_offset(kRingPrefetch, 64), 8u);
  EXPECT_EQ(ring_payload_offset(kRingPrefetch, 4096), 64u);  // aligned from 1 KiB
  EXPECT_EQ(ring_payload_offset(kRingBatched, 64), 0u);
  // A ring that carries replies keeps the word on its payload's pair: right after it, or on the line before.
  EXPECT_EQ(ring_payload_offset(duplex_shm, 64), 8u);
  EXPECT_EQ(ring_payload_offset(duplex_shm, 4096), 64u);
}

TEST(Apart, ADuplexRingLaysOutEveryMessageAsSlotseqDoes) {
  TransportOptions o = Pair::options(Wait::spin);
  o.duplex = true;
  o.message_bytes = 64;
  o.capacity = 8;
  const Effective e = ShmTransport(o).effective();
  EXPECT_EQ(e.capacity_bytes / e.capacity_messages, 128u);  // 8 + 64 on one pair, no second word
  o.duplex = false;
  const Effective one_way = ShmTransport(o).effective();
  EXPECT_EQ(one_way.capacity_bytes / one_way.capacity_messages, 256u);
}

// Without --capacity, a ring that carries replies has two slots (one message in flight each way: round trips through
// many slots cost more than through few), and a one-way ring about 4 MiB of slots, whole slots, no more than 4 MiB
// unless the old rule (up to 64 slots, at most 16 MiB) gives more; the same for every design (transports/shm.cpp,
// default_capacity).
TEST(DefaultCapacity, ADuplexRingHasTwoSlotsAOneWayRingAbout4MiB) {
  TransportOptions o = Pair::options(Wait::spin);
  o.capacity = 0;
  constexpr std::size_t kMiB = std::size_t{1} << 20;
  for (std::size_t bytes : {8u, 64u, 1024u, 4096u}) {
    o.message_bytes = bytes;
    o.duplex = true;
    EXPECT_EQ(ShmTransport(o).effective().capacity_messages, 2u) << bytes;
    EXPECT_EQ(ShmRing<kRingNaive>(o).effective().capacity_messages, 2u) << bytes;
    o.duplex = false;
    for (const Effective e : {ShmTransport(o).effective(), ShmRing<kRingNaive>(o).effective()}) {
      EXPECT_LE(e.capacity_bytes, 4 * kMiB) << bytes;
      EXPECT_GT(e.capacity_bytes + e.capacity_bytes / e.capacity_messages, 4 * kMiB)
          << bytes << ": one more slot would pass 4 MiB";
      EXPECT_GT(e.capacity_messages, 64u) << bytes;
    }
  }
  o.message_bytes = 65536;  // 64 slots are 4 MiB already
  EXPECT_EQ(ShmTransport(o).effective().capacity_messages, 64u);
  o.message_bytes = std::size_t{1} << 20;  // the old rule's 15 slots stay (16 MiB of slots of 1 MiB and a line)
  EXPECT_EQ(ShmTransport(o).effective().capacity_messages, 15u);
  o.capacity = 8;
  o.duplex = true;
  EXPECT_EQ(ShmTransport(o).effective().capacity_messages, 8u) << "--capacity still decides";
  o.duplex = false;
  EXPECT_EQ(ShmTransport(o).effective().capacity_messages, 8u) << "--capacity still decides";
}

// A one-way ring that streams small messages to memory (streaming copy-in, and ring_stream_batch says it holds its
// words back) gets 256 KiB of slots, at least 256, instead of 4 MiB: the words' lines then stay in the producer's own
// cache (transports/shm.cpp, streaming_capacity). Where it does not stream those messages (a duplex ring, a
// design that does not, 8 KiB and more, --capacity, rendezvous), the capacity is what it was.
TEST(DefaultCapacity, AStreamingRingHas256KiBOfSlots) {
  TransportOptions o = Pair::options(Wait::spin);
  o.capacity = 0;
  o.duplex = false;
  o.streaming_copy_in = true;
  constexpr std::size_t kKiB = 1024;
  for (std::size_t bytes : {64u, 256u, 1000u, 1024u, 4096u, 8191u}) {
    o.message_bytes = bytes;
    const Effective e = ShmTransport(o).effective();
    const std::size_t stride = e.capacity_bytes / e.capacity_messages;
    EXPECT_EQ(e.capacity_messages, std::max<std::size_t>(256 * kKiB / stride, 256)) << bytes;
    EXPECT_LE(e.capacity_bytes, std::max<std::size_t>(256 * kKiB, 256 * stride)) << bytes;
    EXPECT_GT(e.capacity_bytes + stride, 256 * kKiB) << bytes << ": one more slot would pass 256 KiB";
    o.streaming_copy_in = false;
    EXPECT_GT(ShmTransport(o).effective().capacity_bytes, 3 * 1024 * kKiB) << bytes << ": ordinary stores keep 4 MiB";
    o.streaming_copy_in = true;
  }
  o.message_bytes = 64;
  EXPECT_EQ(ShmTransport(o).effective().capacity_messages, 1024u);  // slots of 256 bytes: word, payload two lines on
  // 8 B slots are packed next to their words (no streamed payload line): 4 MiB, as without streaming
  o.message_bytes = 8;
  EXPECT_EQ(ShmTransport(o).effective().capacity_bytes, std::size_t{4} << 20);
  o.message_bytes = 64;
  EXPECT_GT(ShmRing<kRingSlip>(o).effective().capacity_messages, 1024u) << "a design that keeps its second word";
  o.message_bytes = 8192;  // large messages have a copy of their own (a fence per message), and keep 4 MiB
  EXPECT_GT(ShmTransport(o).effective().capacity_bytes, 3 * 1024 * kKiB);
  o.message_bytes = 64;
  o.capacity = 100;
  EXPECT_EQ(ShmTransport(o).effective().capacity_messages, 100u) << "--capacity still decides";
  o.capacity = 0;
  o.duplex = true;
  EXPECT_EQ(ShmTransport(o).effective().capacity_messages, 2u) << "a duplex ring never streams";
}

// Packed slots share lines, apart slots prefetch only their payloads, and the batch a consumer prefetches can wrap
// around the ring; bursts of every length up to the ring's (an odd capacity, so batches and wraps fall anywhere)
// still arrive in order and intact. The consumer publishes its tail only every few messages or when it stops, as
// a consumer does before it waits.
template <class Ring>
void wrap_bursts(std::size_t bytes) {
  TransportOptions o = Pair::options(Wait::spin);
  o.message_bytes = bytes;
  o.capacity = 7;
  Ring producer(o), consumer = producer.split_consumer();
  producer.open(Role::producer);
  consumer.open(Role::consumer);
  std::uint64_t sent = 0, received = 0;
  std::vector<std::byte> m(bytes);
  for (int round = 0; round < 3000; ++round) {
    const int burst = 1 + (round * 5 + round / 7) % 7;
    for (int i = 0; i < burst; ++i, ++sent) {
      for (std::size_t b = 0; b < bytes; ++b) m[b] = static_cast<std::byte>(sent * 131 + b);
      producer.send(m);
    }
    if (round % 3 == 0) producer.flush();
    for (; received < sent; ++received) {
      consumer.recv(m);
      for (std::size_t b = 0; b < bytes; ++b)
        ASSERT_EQ(m[b], static_cast<std::byte>(received * 131 + b)) << "message " << received << " byte " << b;
    }
    consumer.flush();  // it would wait now: whatever it consumed is published first
  }
  EXPECT_EQ(received, sent);
}

class Wraps : public ::testing::TestWithParam<std::size_t> {};
// 24 B: two packed slots per line; 64 and 100 B: shm's one or two payload lines two lines after the word, and
// prefetch's two lines with two words.
INSTANTIATE_TEST_SUITE_P(Prefetch, Wraps, ::testing::Values(24, 64, 100));

TEST_P(Wraps, SlotsWrapAroundIntactWithTheTailPublishedInBatches) { wrap_bursts<ShmTransport>(GetParam()); }
TEST_P(Wraps, TwoWordSlotsWrapAroundIntactWithTheTailPublishedInBatches) {
  wrap_bursts<ShmRing<kRingPrefetch>>(GetParam());
}

// A duplex ring's short path (transports/shm.cpp, Layout::direct), in request/reply order from one thread: every
// size around the word, the line and a page, both directions intact through many laps of its two slots, and under
// block and hybrid no FUTEX_WAKE (no system call at all) while nobody sleeps.
TEST(ShortPath, RequestsAndRepliesCrossIntactWithoutASystemCall) {
  for (Wait wait : all_waits)
    for (std::size_t bytes : {1u, 8u, 56u, 64u, 100u, 4096u}) {
      TransportOptions o = Pair::options(wait);
      o.message_bytes = bytes;
      o.duplex = true;
      ShmTransport producer(o), consumer = producer.split_consumer();
      producer.open(Role::producer);
      consumer.open(Role::consumer);
      std::vector<std::byte> out(bytes), in(bytes);
      auto fill = [&](std::uint64_t v) {
        for (std::size_t b = 0; b < bytes; ++b) out[b] = static_cast<std::byte>(v * 131 + b);
      };
      auto check = [&](std::uint64_t v) {
        for (std::size_t b = 0; b < bytes; ++b)
          ASSERT_EQ(in[b], static_cast<std::byte>(v * 131 + b)) << to_string(wait) << " " << bytes << " B, message " << v;
      };
      for (std::uint64_t i = 0; i < 1000; ++i) {
        fill(2 * i);
        producer.send(out);
        consumer.recv(in);
        check(2 * i);
        fill(2 * i + 1);
        consumer.send(out);
        producer.recv(in);
        check(2 * i + 1);
      }
      EXPECT_EQ(producer.counters().syscalls + consumer.counters().syscalls, 0u) << to_string(wait) << " " << bytes;
    }
}

// The short path hands its wait over to the ring's own loop: a reader whose message comes 20 ms late yields
// (spin) or sleeps and is woken (hybrid, block), and still gets the message intact.
TEST(ShortPath, AReaderPastItsBudgetYieldsOrSleeps) {
  for (Wait wait : all_waits) {
    TransportOptions o = Pair::options(wait);
    o.duplex = true;
    o.spin_budget = 16;
    ShmTransport producer(o), consumer = producer.split_consumer();
    producer.open(Role::producer);
    consumer.open(Role::consumer);
    std::vector<std::byte> out(kBytes, std::byte{7}), in(kBytes);
    std::atomic<bool> started{false};
    std::thread reader([&] {
      started = true;
      consumer.recv(in);
    });
    while (!started) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the reader is past its 16 polls by then
    producer.send(out);
    reader.join();
    EXPECT_EQ(in, out) << to_string(wait);
    const TransportCounters c = consumer.counters();
    if (wait == Wait::spin) {
      EXPECT_GT(c.spin_yields, 0u);
      EXPECT_EQ(c.blocking_waits, 0u);
    } else {
      EXPECT_GE(c.blocking_waits, 1u) << to_string(wait);
      EXPECT_EQ(c.spin_yields, 0u) << to_string(wait);
      EXPECT_EQ(producer.counters().futex_wakes, 1u) << to_string(wait);
    }
  }
}

}  // namespace
}  // namespace ipcbench
