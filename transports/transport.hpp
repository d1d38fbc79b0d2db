#pragma once
// The transport contract. A transport moves whole messages of one fixed size between a producer and a
// consumer process and knows nothing of clocks, CPUs, iteration counts, statistics or JSON: the harness
// (harness/runner.hpp) owns all of that, so every transport is measured by the same code.
//
//   T t(options);        in the parent, before fork: creates the kernel object / shared mapping
//   t.split_consumer();  thread mode only, instead of fork: a second object holding the consumer's ends (t
//                        keeps the producer's and must outlive it); each thread then opens its own object
//   t.open(role);        in each process after fork: keeps its ends, connects/accepts, drops names
//   t.send(bytes);       one whole message producer->consumer (or consumer->producer for replies)
//   t.recv(bytes);       one whole message of exactly bytes.size()
//   t.counters();        what waiting cost this side (yields, futex calls, blocking waits, full buffers,
//                        system calls)
//   t.effective();       what the kernel actually granted (capacity in bytes/messages)
//   T::capabilities();   limits on this machine, checked by the harness before anything runs
// Optional, found with `requires` by the harness:
//   t.flush();           publish what the transport holds back (batching); called before the producer
//                        waits on anything else, so a held-back message cannot deadlock the run
//   T::zero_copy         true: t.reserve()/t.commit() and t.peek()/t.release() give the slot's payload to
//                        write or read in place instead of send/recv copying it
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace ipcbench {

enum class Wait { block, spin, hybrid };
enum class Role { producer, consumer };

inline constexpr std::array<Wait, 3> all_waits{Wait::block, Wait::spin, Wait::hybrid};
// One bit per wait strategy, for Capabilities::full_waits_counted.
constexpr unsigned wait_bit(Wait w) { return 1u << static_cast<unsigned>(w); }

inline const char* to_string(Wait w) {
  switch (w) {
    case Wait::block: return "block";
    case Wait::spin: return "spin";
    case Wait::hybrid: return "hybrid";
  }
  return "?";
}

struct TransportOptions {
  std::size_t message_bytes = 64;  // every request (producer->consumer) of the run has exactly this size
  std::size_t reply_bytes = 0;     // every reply (consumer->producer), rpc; 0 = message_bytes
  [[nodiscard]] std::size_t reply_size() const { return reply_bytes != 0 ? reply_bytes : message_bytes; }
  [[nodiscard]] std::size_t largest_message() const { return message_bytes > reply_size() ? message_bytes : reply_size(); }
  std::size_t capacity = 0;        // messages that fit in one direction; 0 = the transport's default
  // --capacity unbounded: `capacity` is then the harness's pick from Capabilities (the kernel's limit, or a ring
  // that holds the run); a transport with a larger mechanism than a fixed size (tcp autotuning) may use it instead.
  bool unbounded = false;
  // --capacity 0 on a transport with Capabilities::native_rendezvous: send() returns only once the receiver has
  // taken the message. Without native support the harness emulates it and this stays false.
  bool rendezvous = false;
  Wait wait = Wait::block;
  // Unsuccessful polls before falling back: spin -> sched_yield(), hybrid -> block in the kernel.
  std::uint32_t spin_budget = 4096;
  bool duplex = true;  // false: only producer->consumer is used (stream); saves a second queue/ring
  // A one-way shm ring (and its copy baselines) copies messages of kLargeCopyFrom bytes or more into its slots with
  // streaming stores (transports/copy.hpp): for two ends that share no cache. The harness decides (--copy-in). A
  // ring of the `shm` design streams smaller messages too, mid-stream, in batches (ring_stream_batch).
  bool streaming_copy_in = false;
  // A round trip (pingpong, rpc: strictly a request, then its reply) on a ring whose design allows it (`shm`): each
  // side writes its message into the one line the peer's came in (the cache-line floor's pattern) instead of a
  // line of its own (the two-line floor's). The harness decides (--reply-line). The transport may decline
  // (TransportCounters::in_place_messages says whether it did not).
  bool reply_in_place = false;
};

// Counted by the transport while it waits, so the price of each wait strategy is visible.
struct TransportCounters {
  std::uint64_t spin_yields = 0;     // spin budget exhausted, sched_yield() instead (same-CPU fallback)
  std::uint64_t blocking_waits = 0;  // went to sleep in the kernel (futex wait, poll, blocking call)
  std::uint64_t futex_wakes = 0;     // FUTEX_WAKE calls issued (shm)
  // A send found no room in the buffer and had to wait (EAGAIN on a non-blocking send, a full ring). A blocking
  // system call that sleeps inside the kernel cannot be told from one that did not: Capabilities says when
  // this is known.
  std::uint64_t full_waits = 0;
  // Every system call made in send/recv: each attempt (EAGAIN and EINTR retries too), poll, futex wait or
  // wake, sched_yield. Checked against the kernel's own count (raw_syscalls:sys_enter) when perf allows.
  std::uint64_t syscalls = 0;
  // shm: waits in which the consumer trailed a streaming producer instead of polling the slot being written.
  std::uint64_t trailing_waits = 0;
  // shm rings and copy baselines: messages copied into their slots with streaming stores (streaming_copy_in).
  std::uint64_t streamed_messages = 0;
  // shm rings of a round trip: messages this side sent from a slot whose part past the sequence word's line it
  // had written while it waited for the peer's message (stage / send_staged), so sending wrote one line.
  std::uint64_t staged_messages = 0;
  // shm rings of a round trip that answer in place (TransportOptions::reply_in_place): messages this side wrote
  // into the line the peer's message came in.
  std::uint64_t in_place_messages = 0;
};

struct Effective {
  std::size_t capacity_messages = 0;  // 0 = not expressible in messages (byte streams)
  std::size_t capacity_bytes = 0;
};

struct Capabilities {
  std::size_t max_message_bytes = 0;  // on this machine, as configured now
  std::string limit_hint;             // why, and how to raise it
  std::size_t max_capacity = 0;       // messages; 0 = no specific limit
  std::string capacity_hint;          // why, and how to raise it (for max_capacity and max_capacity_bytes)
  std::size_t max_capacity_bytes = 0; // capacity x message size may not exceed this (pipe-max-size, wmem_max); 0 = none
  std::string unbounded_means{};      // what --capacity unbounded gets here, one line; "" = the harness's default
  bool native_rendezvous = false;     // honours TransportOptions::rendezvous; otherwise the harness emulates it
  unsigned full_waits_counted = 0;    // wait_bit() of every strategy under which counters().full_waits is known
};

template <class T>
concept Transport = std::constructible_from<T, const TransportOptions&> &&
                    requires(T t, const T ct, Role role, std::span<const std::byte> out, std::span<std::byte> in) {
                      t.open(role);
                      { t.split_consumer() } -> std::same_as<T>;
                      t.send(out);
                      t.recv(in);
                      { ct.counters() } -> std::same_as<TransportCounters>;
                      { ct.effective() } -> std::same_as<Effective>;
                      { T::capabilities() } -> std::same_as<Capabilities>;
                    };

}  // namespace ipcbench
