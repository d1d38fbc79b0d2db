// A stream's sender writes each message a few sends ahead (harness/runner.hpp, TransportOps::send_ahead), so the
// transport's copy never loads a line whose stamp is still in the store buffer. Every message must still carry
// its own sequence number, and a message written ahead must be the one sent.
#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <vector>

#include "harness/payload.hpp"
#include "harness/runner.hpp"

namespace ipcbench {
namespace {

// A copying transport that only looks at what it is handed: which buffer, and which message it carries.
struct Recorder {
  static inline std::size_t bytes = 64;
  static inline bool verified = false;
  struct Sent {
    const std::byte* data;
    std::uint64_t seq;  // the message it carried, checked in send()
  };
  static inline std::vector<Sent> sent;
  static inline std::vector<std::uint64_t> wrong;  // sends whose message was not the expected one

  explicit Recorder(const TransportOptions&) {}
  void open(Role) {}
  Recorder split_consumer() const { return Recorder(TransportOptions{}); }
  void send(std::span<const std::byte> m) {
    const std::uint64_t want = expected++;
    bool ok = m.size() == bytes;
    if (ok && verified) {
      try {
        payload::check_verified(m, want);
      } catch (const payload::VerifyError&) {
        ok = false;
      }
    } else if (ok) {
      ok = payload::carries(m, want);
    }
    if (!ok) wrong.push_back(want);
    sent.push_back({m.data(), want});
  }
  void recv(std::span<std::byte>) {}
  TransportCounters counters() const { return {}; }
  Effective effective() const { return {}; }
  static Capabilities capabilities() { return {}; }
  static inline std::uint64_t expected = 0;
};
static_assert(Transport<Recorder>);

void reset(std::size_t bytes, bool verified, std::uint64_t first) {
  Recorder::bytes = bytes;
  Recorder::verified = verified;
  Recorder::sent.clear();
  Recorder::wrong.clear();
  Recorder::expected = first;
}

TEST(StreamAhead, EveryMessageCarriesItsOwnSequenceNumber) {
  for (bool verified : {false, true})
    for (std::size_t bytes : {1ul, 8ul, 63ul, 64ul, 65ul, 512ul, 513ul, 4096ul}) {
      const std::uint64_t first = 1000;  // not 0: an all-zero buffer reads as message 0
      reset(bytes, verified, first);
      Recorder t{TransportOptions{}};
      detail::TransportOps<Recorder> ops(t, bytes, verified);
      for (std::uint64_t seq = first; seq < first + 100; ++seq) ops.send_one(seq);
      EXPECT_TRUE(Recorder::wrong.empty()) << bytes << " B, verified " << verified << ": first wrong message "
                                           << (Recorder::wrong.empty() ? 0 : Recorder::wrong.front());
      EXPECT_EQ(Recorder::sent.size(), 100u);
    }
}

TEST(StreamAhead, SmallMessagesCycleThroughBuffersWrittenBeforeTheirSend) {
  reset(64, false, 1000);
  Recorder t{TransportOptions{}};
  detail::TransportOps<Recorder> ops(t, 64, false);
  const std::size_t k = ops.written_ahead();
  ASSERT_GT(k, 1u) << "a 64 B stream is written ahead";
  for (std::uint64_t seq = 1000; seq < 1000 + 4 * k; ++seq) {
    ops.send_one(seq);
    // The buffer just sent already holds the message k sends on.
    EXPECT_TRUE(payload::carries({Recorder::sent.back().data, 64}, seq + k)) << "after sending " << seq;
  }
  for (std::size_t i = 0; i < Recorder::sent.size(); ++i) {
    for (std::size_t j = i + 1; j < std::min(Recorder::sent.size(), i + k); ++j)
      EXPECT_NE(Recorder::sent[i].data, Recorder::sent[j].data) << "sends " << i << " and " << j;
    if (i + k < Recorder::sent.size()) {
      EXPECT_EQ(Recorder::sent[i].data, Recorder::sent[i + k].data);
    }
  }
  EXPECT_TRUE(Recorder::wrong.empty());
}

TEST(StreamAhead, ASkippedSequenceNumberIsWrittenAtItsSend) {
  reset(64, true, 5000);
  Recorder t{TransportOptions{}};
  detail::TransportOps<Recorder> ops(t, 64, true);
  for (std::uint64_t seq = 5000; seq < 5010; ++seq) ops.send_one(seq);
  Recorder::expected = 7000;  // what the buffers hold ahead (5010...) is not what is sent next
  for (std::uint64_t seq = 7000; seq < 7020; ++seq) ops.send_one(seq);
  EXPECT_TRUE(Recorder::wrong.empty()) << "first wrong message " << Recorder::wrong.front();
}

TEST(StreamAhead, LargeMessagesAndAcknowledgedSendsAreNotWrittenAhead) {
  reset(4096, false, 1000);
  Recorder t{TransportOptions{}};
  EXPECT_EQ(detail::TransportOps<Recorder>(t, 4096, false).written_ahead(), 1u);
  EXPECT_EQ(detail::TransportOps<Recorder>(t, 513, false).written_ahead(), 1u);
  EXPECT_GT(detail::TransportOps<Recorder>(t, 512, false).written_ahead(), 1u);
  // Rendezvous emulated by an acknowledgement per message sends from one buffer and waits for its ack.
  reset(64, false, 1000);
  detail::TransportOps<Recorder> acked(t, 64, false, /*ack_each=*/true);
  for (std::uint64_t seq = 1000; seq < 1010; ++seq) acked.send_one(seq);
  ASSERT_EQ(Recorder::sent.size(), 10u);
  for (const auto& s : Recorder::sent) EXPECT_EQ(s.data, Recorder::sent.front().data);
  EXPECT_TRUE(Recorder::wrong.empty());
}

}  // namespace
}  // namespace ipcbench
