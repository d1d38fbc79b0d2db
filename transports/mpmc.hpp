#pragma once
// A bounded multi-producer/multi-consumer ring (Vyukov's queue) over memory the caller provides: in a
// MAP_SHARED anonymous mapping created before fork for the mailbox, or on the heap for the thread tests.
// Every slot carries a sequence word: a producer claims a ticket with a CAS on the enqueue index, copies the
// message in and publishes it by storing ticket + 1 in the slot; a consumer claims ticket t with a CAS on the
// dequeue index once the slot reads t + 1, copies out and frees the slot for the next lap (t + capacity).
// So no message is lost or taken twice, and each consumer sees any one producer's messages in order.
// Waiting follows transports/wait.hpp: spin (yield after the budget), block (FUTEX_WAIT on an epoch word,
// woken only when a waiter has announced itself), hybrid. It does not measure fairness between consumers:
// which consumer wins a ticket is up to the CAS race and the scheduler, which is what the mailbox records.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>

#include "harness/os/futex.hpp"
#include "transports/transport.hpp"
#include "transports/wait.hpp"

namespace ipcbench {

class MpmcRing {
 public:
  static constexpr std::size_t kLine = 64;

  // Capacity is rounded up to a power of two (the index is masked, not divided), at least 2: with one slot
  // a published message (seq = ticket + 1) would read as free to the next lap's producer (seq = its ticket).
  static std::size_t slots_for(std::size_t capacity) {
    std::size_t n = 2;
    while (n < capacity) n <<= 1;
    return n;
  }
  static std::size_t stride_for(std::size_t message_bytes) {
    return (sizeof(std::uint64_t) + message_bytes + kLine - 1) / kLine * kLine;
  }
  static std::size_t bytes_for(std::size_t capacity, std::size_t message_bytes) {
    return sizeof(Header) + slots_for(capacity) * stride_for(message_bytes);
  }

  MpmcRing() = default;
  // `memory` holds bytes_for(capacity, message_bytes), 64-byte aligned; `init`: construct the ring there
  // (once, before any other view of it is used).
  MpmcRing(std::byte* memory, std::size_t capacity, std::size_t message_bytes, bool init)
      : header_(reinterpret_cast<Header*>(memory)),
        slots_(memory + sizeof(Header)),
        mask_(slots_for(capacity) - 1),
        stride_(stride_for(message_bytes)),
        message_bytes_(message_bytes) {
    if (!init) return;
    new (header_) Header{};
    for (std::size_t i = 0; i <= mask_; ++i) new (slots_ + i * stride_) std::atomic<std::uint64_t>(i);
  }

  [[nodiscard]] std::size_t capacity() const { return mask_ + 1; }
  [[nodiscard]] std::size_t stride() const { return stride_; }

  bool try_push(std::span<const std::byte> msg) {
    std::uint64_t pos = header_->enqueue.load(std::memory_order_relaxed);
    std::byte* slot;
    for (;;) {
      slot = slot_at(pos);
      const std::uint64_t seq = seq_of(slot).load(std::memory_order_acquire);
      const auto diff = static_cast<std::int64_t>(seq - pos);
      if (diff == 0) {
        if (header_->enqueue.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) break;
      } else if (diff < 0) {
        return false;  // full: the slot still holds the message of the previous lap
      } else {
        pos = header_->enqueue.load(std::memory_order_relaxed);
      }
    }
    std::memcpy(slot + sizeof(std::uint64_t), msg.data(), msg.size());
    seq_of(slot).store(pos + 1, std::memory_order_release);
    return true;
  }

  bool try_pop(std::span<std::byte> msg) {
    std::uint64_t pos = header_->dequeue.load(std::memory_order_relaxed);
    std::byte* slot;
    for (;;) {
      slot = slot_at(pos);
      const std::uint64_t seq = seq_of(slot).load(std::memory_order_acquire);
      const auto diff = static_cast<std::int64_t>(seq - (pos + 1));
      if (diff == 0) {
        if (header_->dequeue.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) break;
      } else if (diff < 0) {
        return false;  // empty
      } else {
        pos = header_->dequeue.load(std::memory_order_relaxed);
      }
    }
    std::memcpy(msg.data(), slot + sizeof(std::uint64_t), msg.size());
    seq_of(slot).store(pos + mask_ + 1, std::memory_order_release);
    return true;
  }

  void push(std::span<const std::byte> msg, Wait wait, std::uint32_t budget, TransportCounters& c) {
    if (!try_push(msg)) {
      ++c.full_waits;
      wait_until(wait, budget, c, [&] { return try_push(msg); }, [&] { sleep(header_->space, c, [&] { return has_room(); }); });
    }
    if (wait != Wait::spin) wake_one(header_->items, c);
  }

  void pop(std::span<std::byte> msg, Wait wait, std::uint32_t budget, TransportCounters& c) {
    if (!try_pop(msg))
      wait_until(wait, budget, c, [&] { return try_pop(msg); }, [&] { sleep(header_->items, c, [&] { return has_message(); }); });
    if (wait != Wait::spin) wake_one(header_->space, c);
  }

 private:
  // A wait channel: waiters announce themselves, then read the epoch, re-try, and sleep on the epoch. The
  // other side, after its operation, bumps the epoch and wakes one waiter only if one is announced. The
  // seq_cst fences on both sides make "the other side saw no waiter" imply "the waiter's re-try sees the
  // operation" (Dekker), so no wake-up is lost.
  struct alignas(kLine) Channel {
    std::atomic<std::uint32_t> epoch{0};
    std::atomic<std::uint32_t> waiters{0};
  };
  struct Header {
    alignas(kLine) std::atomic<std::uint64_t> enqueue{0};
    alignas(kLine) std::atomic<std::uint64_t> dequeue{0};
    Channel items;  // consumers wait here for messages
    Channel space;  // producers wait here for free slots
  };

  // `ready()` says, without taking anything, whether the operation would now succeed.
  template <class Ready>
  static void sleep(Channel& ch, TransportCounters& c, Ready&& ready) {
    ch.waiters.fetch_add(1, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    const std::uint32_t e = ch.epoch.load(std::memory_order_seq_cst);
    if (!ready()) {
      ++c.syscalls;
      os::futex_wait(&ch.epoch, e);  // returns at once if the epoch moved since e; wait_until re-tries after
    }
    ch.waiters.fetch_sub(1, std::memory_order_seq_cst);
  }
  static void wake_one(Channel& ch, TransportCounters& c) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (ch.waiters.load(std::memory_order_seq_cst) == 0) return;
    ch.epoch.fetch_add(1, std::memory_order_seq_cst);
    ++c.futex_wakes;
    ++c.syscalls;
    os::futex_wake(&ch.epoch, 1);
  }

  bool has_room() const {
    const std::uint64_t pos = header_->enqueue.load(std::memory_order_seq_cst);
    return seq_of(slot_at(pos)).load(std::memory_order_seq_cst) == pos;
  }
  bool has_message() const {
    const std::uint64_t pos = header_->dequeue.load(std::memory_order_seq_cst);
    return seq_of(slot_at(pos)).load(std::memory_order_seq_cst) == pos + 1;
  }
  std::byte* slot_at(std::uint64_t pos) const { return slots_ + (pos & mask_) * stride_; }
  static std::atomic<std::uint64_t>& seq_of(std::byte* slot) {
    return *std::launder(reinterpret_cast<std::atomic<std::uint64_t>*>(slot));
  }

  Header* header_ = nullptr;
  std::byte* slots_ = nullptr;
  std::size_t mask_ = 0, stride_ = 0, message_bytes_ = 0;
};

}  // namespace ipcbench
