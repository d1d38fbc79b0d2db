#pragma once
// shm: a single-producer/single-consumer ring in a MAP_SHARED anonymous mapping created before fork (no
// name, so nothing can leak). Each slot carries a sequence word next to its payload: the consumer polls
// the slot itself, so a message costs the cache lines of its slot plus, once per lap, the consumer's
// `tail` line that the producer reads only when its cached copy says the ring is full (rigtorp-style).
// Waiting: spin (yield after the budget), block (FUTEX_WAIT; the writer calls FUTEX_WAKE only when the
// reader has announced it is sleeping), hybrid (spin the budget, then futex). Pingpong uses a second ring
// for replies. Copy-in/copy-out: the sender's buffer is copied into the slot and out again on receipt.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

#include "harness/os/mapping.hpp"
#include "transports/transport.hpp"

namespace ipcbench {

class ShmTransport {
 public:
  explicit ShmTransport(const TransportOptions& options);

  ShmTransport split_consumer() const;  // a view of the same mapping; this object owns it
  void open(Role role);
  void send(std::span<const std::byte> msg);
  void recv(std::span<std::byte> msg);

  [[nodiscard]] TransportCounters counters() const { return counters_; }
  [[nodiscard]] Effective effective() const { return {capacity_, capacity_ * stride_}; }
  static Capabilities capabilities();

 private:
  ShmTransport() = default;

  // Futex words: bit 0 = "I am about to sleep / sleeping", bits 1.. = wake epoch. The waker clears the bit
  // by adding 1, which also changes the epoch, so a sleeper whose announcement was consumed by a stale
  // wake sees a changed value in FUTEX_WAIT and re-checks instead of sleeping through its message.
  struct RingHeader {
    alignas(64) std::atomic<std::uint64_t> tail;  // slots consumed (written by the consumer only)
    alignas(64) std::atomic<std::uint32_t> consumer_futex;
    alignas(64) std::atomic<std::uint32_t> producer_futex;
  };
  struct Endpoint {  // this process's view of one ring (process-local, never shared)
    RingHeader* ring = nullptr;
    std::byte* slots = nullptr;
    std::uint64_t pos = 0;          // next slot to write (producer) or read (consumer)
    std::uint64_t cached_tail = 0;  // producer only: last tail seen
  };

  std::atomic<std::uint64_t>& seq_of(const Endpoint& e, std::uint64_t pos) const;
  void push(Endpoint& e, std::span<const std::byte> msg);
  void pop(Endpoint& e, std::span<std::byte> msg);
  void wake_if_sleeping(std::atomic<std::uint32_t>& word);

  TransportOptions options_;
  std::size_t stride_ = 0;
  std::size_t capacity_ = 0;
  os::Mapping mapping_;
  Endpoint tx_, rx_;
  TransportCounters counters_;
};

}  // namespace ipcbench
