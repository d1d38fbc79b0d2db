// The shm ring's staging (transports/shm.hpp, ShmRing::stage and send_staged), driven from one thread so every
// step is deterministic: producer and consumer are two views of one duplex ring. What must hold: a staged message
// arrives whole once it is sent; stage() writes nothing into a slot the consumer still owns; a send() after a
// stage() replaces the staged message; only the part of a message past its word's line is staged, so a message
// that fits on that line is never staged; and a design without staging never stages.
#include <gtest/gtest.h>

#include <cstddef>
#include <stdexcept>
#include <vector>

#include "tests/split_pair.hpp"
#include "transports/shm.hpp"

namespace ipcbench {
namespace {

template <const RingDesign& D>
struct Pair : test_support::SplitPair<ShmRing<D>> {
  explicit Pair(std::size_t n) : test_support::SplitPair<ShmRing<D>>(options(n)), bytes(n) {}
  static TransportOptions options(std::size_t n) {
    TransportOptions o;
    o.message_bytes = n;
    o.wait = Wait::spin;
    o.spin_budget = 1u << 20;  // never yield or sleep here: one thread plays both sides
    o.duplex = true;           // a round trip's rings: two slots each way, the short path
    return o;
  }
  std::vector<std::byte> message(std::uint64_t seq) const {
    std::vector<std::byte> m(bytes);
    for (std::size_t i = 0; i < bytes; ++i) m[i] = static_cast<std::byte>(seq * 31 + i);
    return m;
  }
  void expect(std::uint64_t seq) {
    std::vector<std::byte> m(bytes);
    this->consumer.recv(m);
    EXPECT_EQ(m, message(seq)) << "message " << seq;
  }
  std::size_t bytes;
};

TEST(Stage, StagedMessagesArriveWholeAtEverySize) {
  for (std::size_t bytes : {57ul, 64ul, 100ul, 1000ul, 4096ul}) {
    SCOPED_TRACE(bytes);
    Pair<kRingShm> p(bytes);
    for (std::uint64_t i = 0; i < 50; ++i) {
      const auto m = p.message(i);
      ASSERT_TRUE(p.producer.stage(m)) << "message " << i << ": the consumer has taken every earlier one";
      p.producer.send_staged(m);
      p.expect(i);
    }
    EXPECT_EQ(p.producer.counters().staged_messages, 50u);
  }
}

// Two messages sent and not yet read fill a round trip's ring: staging a third would overwrite the first.
TEST(Stage, NothingIsStagedIntoASlotTheConsumerStillOwns) {
  Pair<kRingShm> p(64);
  p.producer.send(p.message(0));
  p.producer.send(p.message(1));
  EXPECT_FALSE(p.producer.stage(p.message(2)));
  p.expect(0);
  p.expect(1);
  EXPECT_EQ(p.producer.counters().staged_messages, 0u);
}

TEST(Stage, ASendAfterAStageReplacesTheStagedMessage) {
  Pair<kRingShm> p(64);
  ASSERT_TRUE(p.producer.stage(p.message(7)));
  p.producer.send(p.message(0));
  p.expect(0);
  EXPECT_THROW(p.producer.send_staged(p.message(7)), std::logic_error);  // nothing is staged any more
  EXPECT_EQ(p.producer.counters().staged_messages, 0u);
}

TEST(Stage, AMessageOnItsWordsLineAloneIsNeverStaged) {
  Pair<kRingShm> p(56);  // word and payload: exactly one line
  EXPECT_FALSE(p.producer.stage(p.message(0)));
  p.producer.send(p.message(0));
  p.expect(0);
}

TEST(Stage, OnlyTheStagingDesignStages) {
  Pair<kRingUnstaged> p(64);
  EXPECT_FALSE(p.producer.stage(p.message(0)));
  EXPECT_THROW(p.producer.send_staged(p.message(0)), std::logic_error);
  p.producer.send(p.message(0));
  p.expect(0);
  EXPECT_FALSE(kRingUnstaged.stage);
  EXPECT_TRUE(kRingShm.stage);
}

}  // namespace
}  // namespace ipcbench
