#include "transports/shm.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include "harness/os/futex.hpp"
#include "transports/wait.hpp"

namespace ipcbench {

namespace {
constexpr std::size_t kLine = 64;
constexpr std::size_t kSeqBytes = sizeof(std::uint64_t);
constexpr std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

// Announce, re-check, sleep. The seq_cst read-modify-write orders the announcement before the re-check;
// the waker publishes, fences, then looks at the bit (Dekker): one of the two always sees the other.
template <class Ready>
void sleep_unless(std::atomic<std::uint32_t>& word, Ready&& ready) {
  std::uint32_t announced = word.fetch_or(1, std::memory_order_seq_cst) | 1;
  if (!ready()) os::futex_wait(&word, announced);
}
}  // namespace

Capabilities ShmTransport::capabilities() {
  return {std::size_t{1} << 30, "shm: messages are limited to 1 GiB by ipcbench, not by the kernel", 0, ""};
}

ShmTransport::ShmTransport(const TransportOptions& options) : options_(options) {
  stride_ = round_up(kSeqBytes + options.message_bytes, kLine);
  capacity_ = options.capacity != 0 ? options.capacity
                                    : std::clamp<std::size_t>((std::size_t{16} << 20) / stride_, 2, 64);
  std::size_t ring_bytes = round_up(sizeof(RingHeader), kLine) + capacity_ * stride_;
  std::size_t rings = options.duplex ? 2 : 1;
  mapping_ = os::Mapping::shared_anonymous(ring_bytes * rings);
  auto setup = [&](std::byte* base) {
    Endpoint e;
    e.ring = new (base) RingHeader{};
    e.slots = base + round_up(sizeof(RingHeader), kLine);
    for (std::size_t i = 0; i < capacity_; ++i) new (e.slots + i * stride_) std::atomic<std::uint64_t>(0);
    return e;
  };
  tx_ = setup(mapping_.data());  // producer -> consumer
  if (options.duplex) rx_ = setup(mapping_.data() + ring_bytes);  // replies
}

ShmTransport ShmTransport::split_consumer() const {
  ShmTransport view;
  view.options_ = options_;
  view.stride_ = stride_;
  view.capacity_ = capacity_;
  view.tx_ = tx_;
  view.rx_ = rx_;
  return view;
}

void ShmTransport::open(Role role) {
  if (role == Role::consumer) std::swap(tx_, rx_);
}

std::atomic<std::uint64_t>& ShmTransport::seq_of(const Endpoint& e, std::uint64_t pos) const {
  return *std::launder(reinterpret_cast<std::atomic<std::uint64_t>*>(e.slots + (pos % capacity_) * stride_));
}

void ShmTransport::wake_if_sleeping(std::atomic<std::uint32_t>& word) {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (word.load(std::memory_order_relaxed) & 1) {
    word.fetch_add(1, std::memory_order_acq_rel);  // clear the bit, new epoch
    os::futex_wake(&word, 1);
    ++counters_.futex_wakes;
  }
}

void ShmTransport::send(std::span<const std::byte> msg) { push(tx_, msg); }
void ShmTransport::recv(std::span<std::byte> msg) { pop(rx_, msg); }

void ShmTransport::push(Endpoint& e, std::span<const std::byte> msg) {
  const std::uint64_t pos = e.pos;
  RingHeader& r = *e.ring;
  if (pos - e.cached_tail >= capacity_) {
    wait_until(
        options_.wait, options_.spin_budget, counters_,
        [&] {
          e.cached_tail = r.tail.load(std::memory_order_acquire);
          return pos - e.cached_tail < capacity_;
        },
        [&] { sleep_unless(r.producer_futex, [&] { return pos - r.tail.load(std::memory_order_seq_cst) < capacity_; }); });
  }
  auto& seq = seq_of(e, pos);
  std::memcpy(reinterpret_cast<std::byte*>(&seq) + kSeqBytes, msg.data(), msg.size());
  seq.store(pos + 1, std::memory_order_release);
  e.pos = pos + 1;
  if (options_.wait != Wait::spin) wake_if_sleeping(r.consumer_futex);
}

void ShmTransport::pop(Endpoint& e, std::span<std::byte> msg) {
  const std::uint64_t pos = e.pos;
  RingHeader& r = *e.ring;
  auto& seq = seq_of(e, pos);
  wait_until(
      options_.wait, options_.spin_budget, counters_,
      [&] { return seq.load(std::memory_order_acquire) == pos + 1; },
      [&] { sleep_unless(r.consumer_futex, [&] { return seq.load(std::memory_order_seq_cst) == pos + 1; }); });
  std::memcpy(msg.data(), reinterpret_cast<const std::byte*>(&seq) + kSeqBytes, msg.size());
  e.pos = pos + 1;
  r.tail.store(pos + 1, std::memory_order_release);
  if (options_.wait != Wait::spin) wake_if_sleeping(r.producer_futex);
}

}  // namespace ipcbench
