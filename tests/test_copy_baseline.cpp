// The copy-in/copy-out ceilings (transports/shm.hpp): shm-rawcopy copies with no synchronisation at all, so its
// consumer reads whatever a slot holds; shm-rawcopy-follow's consumer copies out a slot only once the producer's
// count covers it, so a producer slower than its consumer still gets every message across, in order.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "harness/payload.hpp"
#include "tests/split_pair.hpp"
#include "transports/shm.hpp"

namespace ipcbench {
namespace {

template <class Baseline>
struct Pair : test_support::SplitPair<Baseline> {
  explicit Pair(std::size_t size) : test_support::SplitPair<Baseline>(options(size)), bytes(size) {}
  static TransportOptions options(std::size_t bytes) {
    TransportOptions o;
    o.message_bytes = bytes;
    o.wait = Wait::spin;
    o.duplex = false;
    return o;
  }
  void send(std::uint64_t seq) {
    std::vector<std::byte> m(bytes);
    payload::fill_fast(m, seq);
    this->producer.send(m);
  }
  bool receive(std::uint64_t seq) {
    std::vector<std::byte> m(bytes);
    this->consumer.recv(m);
    return payload::carries(m, seq);
  }
  std::size_t bytes;
};

// Sequence numbers from 1000: an all-zero slot reads as message 0 (fill_fast writes zeros for it).
TEST(CopyBaseline, RawCopyReadsWhateverItsSlotHoldsWithoutWaiting) {
  Pair<ShmRawCopy> p(64);
  EXPECT_FALSE(p.receive(1000)) << "nothing sent yet, and the consumer read message 1000 anyway?";
  p.send(1000);  // into slot 0, which the consumer has passed
  p.send(1001);  // slot 1
  EXPECT_TRUE(p.receive(1001)) << "the consumer reads slot 1 whatever it expects";
}

TEST(CopyBaseline, FollowCopiesOutOnlyWhatThePayloadsCountCovers) {
  for (std::size_t bytes : {8, 64, 4096, 65536}) {
    Pair<ShmFollowCopy> p(bytes);
    constexpr std::uint64_t kMessages = 20;  // fewer than the slots (64 or more): the producer never laps the consumer
    std::thread producer([&] {
      for (std::uint64_t i = 1000; i < 1000 + kMessages; ++i) {
        std::this_thread::sleep_for(std::chrono::microseconds(500));  // far slower than the consumer
        p.send(i);
      }
    });
    std::uint64_t in_sequence = 0;
    for (std::uint64_t i = 1000; i < 1000 + kMessages; ++i) in_sequence += p.receive(i) ? 1 : 0;
    producer.join();
    EXPECT_EQ(in_sequence, kMessages) << bytes << " B";
    TransportOptions o = Pair<ShmFollowCopy>::options(bytes);
    EXPECT_EQ(p.producer.effective().capacity_messages, ShmRing<kRingPadded>(o).effective().capacity_messages)
        << bytes << " B: the rings' default slot count";
  }
}

// A producer thread streams `messages` messages (sequence numbers from 1000) through a ring made with `o`, then
// flushes, as the harness does at the end of a stream. How many arrived intact (every byte checked, in order), and
// the producer's counters.
template <class Ring>
std::pair<std::uint64_t, TransportCounters> stream_verified(const TransportOptions& o, std::uint64_t messages) {
  Ring producer(o), consumer = producer.split_consumer();
  producer.open(Role::producer);
  consumer.open(Role::consumer);
  std::thread t([&] {
    std::vector<std::byte> m(o.message_bytes);
    for (std::uint64_t i = 1000; i < 1000 + messages; ++i) {
      payload::fill_verified(m, i);
      producer.send(m);
    }
    producer.flush();  // what a ring still holds back goes out when its producer stops
  });
  std::vector<std::byte> m(o.message_bytes);
  std::uint64_t intact = 0;
  for (std::uint64_t i = 1000; i < 1000 + messages; ++i) {
    consumer.recv(m);
    try {
      payload::check_verified(m, i);  // every byte, from the sequence number
      ++intact;
    } catch (const payload::VerifyError&) {
    }
  }
  t.join();
  return {intact, producer.counters()};
}

// TransportOptions::streaming_copy_in: the ring copies large messages into its slots with streaming stores, which
// are weakly ordered (copy_large_streaming fences them before the sequence word publishes the message). A producer
// thread streams messages at sizes around the 8 KiB threshold; every byte of every one arrives, in order.
TEST(StreamingCopyIn, TheRingDeliversEveryMessageIntact) {
  for (std::size_t bytes : {kLargeCopyFrom - 1, kLargeCopyFrom, kLargeCopyFrom + 5, std::size_t{65536 + 24}}) {
    TransportOptions o = Pair<ShmTransport>::options(bytes);
    o.streaming_copy_in = true;
    o.capacity = 8;  // small, so the producer laps the ring many times and waits for room
    EXPECT_EQ(stream_verified<ShmTransport>(o, 3000).first, 3000u) << bytes << " B";
  }
}

// Streaming small messages (ring_stream_batch): mid-stream the `shm` ring copies each message with streaming stores
// and holds its sequence word back, publishing a batch after one fence, or when the producer stops (a full ring,
// flush). A count of messages that is no multiple of any batch: every byte of every message arrives, in order, with
// each wait, at sizes around the payload's lines and up to the large copy; the producer's counter says they were
// streamed: every one but the first and the first after each wait for room (when the ring was full).
TEST(StreamingCopyIn, SmallMessagesArriveIntactInBatches) {
  for (Wait wait : {Wait::spin, Wait::block, Wait::hybrid})
    for (std::size_t slots : {std::size_t{64}, std::size_t{0}})  // 16 held back at most, or 256 (the default ring)
      for (std::size_t bytes : {std::size_t{57}, std::size_t{64}, std::size_t{100}, std::size_t{1024},
                                std::size_t{4100}, kLargeCopyFrom - 1}) {
        TransportOptions o = Pair<ShmTransport>::options(bytes);
        o.streaming_copy_in = true;
        o.wait = wait;
        o.capacity = slots;
        constexpr std::uint64_t kMessages = 3001;
        const auto [intact, counters] = stream_verified<ShmTransport>(o, kMessages);
        const std::string what = std::string(to_string(wait)) + ", " + std::to_string(slots) + " slots, " +
                                 std::to_string(bytes) + " B";
        EXPECT_EQ(intact, kMessages) << what;
        EXPECT_GT(counters.streamed_messages, 0u) << what;
        EXPECT_EQ(counters.streamed_messages + counters.full_waits + 1, kMessages) << what;
      }
}

// Which rings stream small messages, and how many they hold back: a slipping design whose payload starts on a line
// of its own, given room for kStreamBatchLeast (8) in a quarter of its slots; the rest copy as without the option.
TEST(StreamingCopyIn, OnlyRingsWithPayloadsOnTheirOwnLinesHoldMessagesBack) {
  const RingDesign shm = ring_laid_out(kRingShm, false);
  EXPECT_EQ(ring_stream_batch(shm, 64, 16384), 256u);
  EXPECT_EQ(ring_stream_batch(shm, 57, 16384), 256u);
  EXPECT_EQ(ring_stream_batch(shm, 1024, 4096), (256u << 10) / (64 + 1024)) << "at most 256 KiB of slots";
  EXPECT_EQ(ring_stream_batch(shm, 64, 64), 16u) << "at most a quarter of the ring";
  EXPECT_EQ(ring_stream_batch(shm, 64, 32), 8u);
  EXPECT_EQ(ring_stream_batch(shm, 64, 31), 0u) << "room for fewer than 8";
  EXPECT_EQ(ring_stream_batch(shm, 56, 16384), 0u) << "next to its word, in a packed slot";
  EXPECT_EQ(ring_stream_batch(shm, kLargeCopyFrom, 16384), 0u) << "large: fenced and published one at a time";
  EXPECT_EQ(ring_stream_batch(ring_laid_out(kRingShm, true), 64, 16384), 0u) << "a duplex ring: payload by its word";
  EXPECT_EQ(ring_stream_batch(ring_laid_out(kRingPrefetch, false), 64, 16384), 0u) << "a trailing second word";
  EXPECT_EQ(ring_stream_batch(ring_laid_out(kRingSlotSeq, false), 1024, 16384), 0u) << "no slip";
  EXPECT_EQ(ring_stream_batch(ring_laid_out(kRingNaive, false), 64, 16384), 0u);

  // A held message's last streaming store is padded to 16 bytes (copy_streaming_unfenced): its slot has the room.
  for (std::size_t bytes = 57; bytes < kLargeCopyFrom; bytes += 37) {
    TransportOptions o = Pair<ShmTransport>::options(bytes);
    o.capacity = 64;
    const Effective e = ShmTransport(o).effective();
    const std::size_t stride = e.capacity_bytes / e.capacity_messages;
    EXPECT_GE(stride, ring_payload_offset(shm, bytes) + (bytes + 15) / 16 * 16) << bytes << " B";
  }

  // Without the option, or at 8 B, the same stream copies with ordinary stores.
  for (auto [bytes, streaming] : {std::pair{std::size_t{64}, false}, std::pair{std::size_t{8}, true}}) {
    TransportOptions o = Pair<ShmTransport>::options(bytes);
    o.streaming_copy_in = streaming;
    ShmTransport producer(o), consumer = producer.split_consumer();
    producer.open(Role::producer);
    consumer.open(Role::consumer);
    std::vector<std::byte> m(bytes);
    for (int i = 0; i < 100; ++i) producer.send(m);
    producer.flush();
    for (int i = 0; i < 100; ++i) consumer.recv(m);
    EXPECT_EQ(producer.counters().streamed_messages, 0u) << bytes << " B, streaming " << streaming;
  }
}

}  // namespace
}  // namespace ipcbench
