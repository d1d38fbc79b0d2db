// The copy-in/copy-out ceilings (transports/shm.hpp): shm-rawcopy copies with no synchronisation at all, so its
// consumer reads whatever a slot holds; shm-rawcopy-follow's consumer copies out a slot only once the producer's
// count covers it, so a producer slower than its consumer still gets every message across, in order.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "harness/payload.hpp"
#include "transports/shm.hpp"

namespace ipcbench {
namespace {

template <class Baseline>
struct Pair {
  explicit Pair(std::size_t size) : bytes(size), producer(options(size)), consumer(producer.split_consumer()) {
    producer.open(Role::producer);
    consumer.open(Role::consumer);
  }
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
    producer.send(m);
  }
  bool receive(std::uint64_t seq) {
    std::vector<std::byte> m(bytes);
    consumer.recv(m);
    return payload::carries(m, seq);
  }
  std::size_t bytes;
  Baseline producer, consumer;
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

// TransportOptions::streaming_copy_in: the ring copies large messages into its slots with streaming stores, which
// are weakly ordered (copy_large_streaming fences them before the sequence word publishes the message). A producer
// thread streams messages at sizes around the 8 KiB threshold; every byte of every one arrives, in order.
template <class Ring>
void streams_intact_with_streaming_stores(const char* name) {
  for (std::size_t bytes : {kLargeCopyFrom - 1, kLargeCopyFrom, kLargeCopyFrom + 5, std::size_t{65536 + 24}}) {
    TransportOptions o = Pair<Ring>::options(bytes);
    o.streaming_copy_in = true;
    o.capacity = 8;  // small, so the producer laps the ring many times and waits for room
    Ring producer(o), consumer = producer.split_consumer();
    producer.open(Role::producer);
    consumer.open(Role::consumer);
    constexpr std::uint64_t kMessages = 3000;
    std::thread t([&] {
      std::vector<std::byte> m(bytes);
      for (std::uint64_t i = 1000; i < 1000 + kMessages; ++i) {
        payload::fill_verified(m, i);
        producer.send(m);
      }
    });
    std::vector<std::byte> m(bytes);
    std::uint64_t intact = 0;
    for (std::uint64_t i = 1000; i < 1000 + kMessages; ++i) {
      consumer.recv(m);
      try {
        payload::check_verified(m, i);  // every byte, from the sequence number
        ++intact;
      } catch (const payload::VerifyError&) {
      }
    }
    t.join();
    EXPECT_EQ(intact, kMessages) << name << ", " << bytes << " B";
  }
}

TEST(StreamingCopyIn, TheRingDeliversEveryMessageIntact) { streams_intact_with_streaming_stores<ShmTransport>("shm"); }

}  // namespace
}  // namespace ipcbench
