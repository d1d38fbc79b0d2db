// The MPMC ring of the shm mailbox (transports/mpmc.hpp) in thread mode: P producer and C consumer threads
// on one ring in ordinary memory. Every message carries its producer, sequence number and a checksum; each
// consumer checks that one producer's messages reach it in order, and a shared table of "seen" flags catches
// any message received twice or never. Small rings (1, 2, 4 slots) make every push and pop contend and wrap.
// Built into the unit tests and into the ThreadSanitizer build (ipcbench_ring_tsan_tests), where a payload
// read that is not ordered after its write is reported.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness/mailbox.hpp"
#include "transports/mpmc.hpp"

namespace ipcbench {
namespace {

struct Msg {
  std::uint32_t producer;  // kEnd: stop
  std::uint32_t seq;
  std::uint64_t check;
  std::uint64_t filler[5];  // 64 bytes in all: a message is a whole cache line
};
constexpr std::uint32_t kEnd = ~0u;
std::uint64_t checksum(std::uint32_t p, std::uint32_t s) { return (std::uint64_t{p} << 32 | s) * 0x9E3779B97F4A7C15ull; }

struct Param {
  unsigned producers, consumers;
  std::size_t capacity;
  Wait wait;
  std::uint32_t per_producer;
};
void PrintTo(const Param& p, std::ostream* os) {
  *os << p.producers << "P" << p.consumers << "C cap " << p.capacity << " " << to_string(p.wait);
}

struct Outcome {
  std::vector<std::string> errors;
  std::vector<std::uint64_t> per_consumer;
  std::uint64_t received = 0;
};

Outcome run_ring(const Param& prm) {
  const std::size_t bytes = MpmcRing::bytes_for(prm.capacity, sizeof(Msg));
  struct Free {
    void operator()(std::byte* p) const { ::operator delete[](p, std::align_val_t{64}); }
  };
  std::unique_ptr<std::byte[], Free> mem(static_cast<std::byte*>(::operator new[](bytes, std::align_val_t{64})));
  MpmcRing ring(mem.get(), prm.capacity, sizeof(Msg), true);
  const std::uint32_t budget = 64;  // more threads than CPUs here: give the CPU up soon when spinning

  std::vector<std::atomic<std::uint8_t>> seen(std::size_t{prm.producers} * prm.per_producer);
  Outcome out;
  out.per_consumer.assign(prm.consumers, 0);
  std::vector<std::vector<std::string>> errors(prm.consumers);
  std::vector<std::thread> consumers;
  for (unsigned c = 0; c < prm.consumers; ++c)
    consumers.emplace_back([&, c] {
      TransportCounters counters;
      std::vector<std::int64_t> last(prm.producers, -1);
      for (;;) {
        Msg m;
        ring.pop({reinterpret_cast<std::byte*>(&m), sizeof m}, prm.wait, budget, counters);
        if (m.producer == kEnd) return;
        auto fail = [&](const std::string& what) {
          if (errors[c].size() < 5) errors[c].push_back("consumer " + std::to_string(c) + ": " + what);
        };
        if (m.producer >= prm.producers || m.seq >= prm.per_producer) {
          fail("corrupt message (producer " + std::to_string(m.producer) + ")");
          continue;
        }
        if (m.check != checksum(m.producer, m.seq)) fail("bad checksum on " + std::to_string(m.seq));
        if (static_cast<std::int64_t>(m.seq) <= last[m.producer])
          fail("producer " + std::to_string(m.producer) + ": " + std::to_string(m.seq) + " after " +
               std::to_string(last[m.producer]));
        last[m.producer] = m.seq;
        if (seen[std::size_t{m.producer} * prm.per_producer + m.seq].exchange(1) != 0)
          fail("producer " + std::to_string(m.producer) + " message " + std::to_string(m.seq) + " received twice");
        ++out.per_consumer[c];
      }
    });
  std::vector<std::thread> producers;
  for (unsigned p = 0; p < prm.producers; ++p)
    producers.emplace_back([&, p] {
      TransportCounters counters;
      for (std::uint32_t s = 0; s < prm.per_producer; ++s) {
        Msg m{p, s, checksum(p, s), {}};
        ring.push({reinterpret_cast<const std::byte*>(&m), sizeof m}, prm.wait, budget, counters);
      }
    });
  for (auto& t : producers) t.join();
  for (unsigned c = 0; c < prm.consumers; ++c) {
    Msg end{kEnd, 0, 0, {}};
    TransportCounters counters;
    ring.push({reinterpret_cast<const std::byte*>(&end), sizeof end}, prm.wait, budget, counters);
  }
  for (auto& t : consumers) t.join();
  for (auto& e : errors) out.errors.insert(out.errors.end(), e.begin(), e.end());
  std::size_t missing = 0;
  for (auto& s : seen) missing += s.load() == 0;
  if (missing != 0) out.errors.push_back(std::to_string(missing) + " messages never received");
  for (auto n : out.per_consumer) out.received += n;
  return out;
}

std::vector<Param> params() {
  std::vector<Param> out;
  for (Wait w : all_waits)
    for (unsigned p : {1u, 2u, 3u})
      for (unsigned c : {1u, 2u, 3u})
        for (std::size_t cap : {1ul, 4ul, 64ul}) out.push_back({p, c, cap, w, cap == 64 ? 20'000u : 5'000u});
  return out;
}
std::string name(const ::testing::TestParamInfo<Param>& i) {
  return std::to_string(i.param.producers) + "P" + std::to_string(i.param.consumers) + "C_cap" +
         std::to_string(i.param.capacity) + "_" + to_string(i.param.wait);
}

class MpmcThreads : public ::testing::TestWithParam<Param> {};

TEST_P(MpmcThreads, EveryMessageOnceInProducerOrder) {
  const auto& p = GetParam();
  const Outcome o = run_ring(p);
  for (const auto& e : o.errors) ADD_FAILURE() << e;
  EXPECT_EQ(o.received, std::uint64_t{p.producers} * p.per_producer);
}

INSTANTIATE_TEST_SUITE_P(Ring, MpmcThreads, ::testing::ValuesIn(params()), name);

TEST(MpmcRing, CapacityRoundsUpToAPowerOfTwoAndFullAndEmptyAreReported) {
  const std::size_t bytes = MpmcRing::bytes_for(3, 8);
  std::vector<std::byte> mem(bytes + 64);
  auto* base = reinterpret_cast<std::byte*>((reinterpret_cast<std::uintptr_t>(mem.data()) + 63) & ~std::uintptr_t{63});
  MpmcRing ring(base, 3, 8, true);
  ASSERT_EQ(ring.capacity(), 4u);
  std::uint64_t v = 0;
  auto as = [](std::uint64_t& x) { return std::span<std::byte>(reinterpret_cast<std::byte*>(&x), 8); };
  EXPECT_FALSE(ring.try_pop(as(v)));
  for (std::uint64_t i = 0; i < 4; ++i) {
    v = i;
    EXPECT_TRUE(ring.try_push(as(v))) << i;
  }
  v = 99;
  EXPECT_FALSE(ring.try_push(as(v)));
  for (std::uint64_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(ring.try_pop(as(v)));
    EXPECT_EQ(v, i);
  }
  EXPECT_FALSE(ring.try_pop(as(v)));
}

TEST(Mailbox, JainIndex) {
  const std::vector<std::uint64_t> equal{50, 50}, one_takes_all{100, 0}, none{0, 0}, single{7};
  EXPECT_DOUBLE_EQ(jain_index(equal), 1.0);
  EXPECT_DOUBLE_EQ(jain_index(one_takes_all), 0.5);
  EXPECT_DOUBLE_EQ(jain_index(single), 1.0);
  EXPECT_DOUBLE_EQ(jain_index(none), 0.0);
  const std::vector<std::uint64_t> skew{30, 10};  // 40^2 / (2 * 1000) = 0.8
  EXPECT_DOUBLE_EQ(jain_index(skew), 0.8);
}

}  // namespace
}  // namespace ipcbench
