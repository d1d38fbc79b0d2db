#include "transports/shm.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "harness/os/futex.hpp"
#include "transports/wait.hpp"

namespace ipcbench {

namespace {
using shm_ring::kStreamingBit;
using shm_ring::kStreamingStreak;
constexpr std::size_t kLine = shm_ring::kSlotLine;
constexpr std::size_t kSeqBytes = sizeof(std::uint64_t);
// Unsuccessful polls after which a reader polls both sequence words of a two-line slot at once (2seq), or
// prefetches the payload's first line with each poll of a word two lines away (apart, one-way rings).
constexpr std::uint32_t kEagerAfterPolls = 4;
// slip: polls after which a consumer trailing a producer that has not flushed polls the next slot itself;
// and how many bytes of slots it trails by at most. Trailing a large message by whole slots lets its lines
// leave the writer's cache before they are read: 64 KiB streams measured 0.84x the raw copy with a 16 KiB
// limit (no trailing at that size) and 0.98x with 1 MiB (16 slots).
constexpr std::uint32_t kSlipPolls = 64;
constexpr std::size_t kSlipBytes = std::size_t{1} << 20;
constexpr std::uint64_t kSlipSlots = 16;
constexpr std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }
// aligned_payload: from this size on, a slot's payload starts on the line after its sequence word.
constexpr std::size_t kAlignedFrom = 1024;
// prefetch: only slots of up to four lines are prefetched (a larger message is copied in runs long enough for
// the hardware prefetcher).
constexpr std::size_t kPrefetchMaxStride = 4 * kLine;
// Streaming copy-in of small messages (ring_stream_batch): at most this many held back, at most this many bytes of
// slots, at most a quarter of the ring, and not at all with room for fewer than kStreamBatchLeast (a fence per
// message or two would cost more than the streaming stores save: 5 M msgs/s at 64 B with one per message, next to a
// 450 ns floor). Next to that floor, 64 B streams moved 41-49 M msgs/s holding 32 back, 63-73 M holding 256 (the
// same rounds, cached stores: 22-28 M); 128-512 measured alike and 1024 less (README, "Streaming small messages").
constexpr std::uint64_t kStreamBatch = 256;
constexpr std::size_t kStreamBatchBytes = std::size_t{256} << 10;
constexpr std::uint64_t kStreamBatchLeast = 8;

// Prefetch for reading the lines from the one holding `from` up to the last that ends by `to`. The caller knows
// everything before `to` is complete; a packed slot's last line also holds the start of the next slot, which may
// still be being written, so a line that crosses `to` is left alone (taking it away from the writer would cost a
// transfer each way).
void prefetch_lines(const std::byte* from, const std::byte* to) {
  const auto end = reinterpret_cast<std::uintptr_t>(to);
  for (auto p = reinterpret_cast<std::uintptr_t>(from) & ~std::uintptr_t{kLine - 1}; p + kLine <= end; p += kLine)
    __builtin_prefetch(reinterpret_cast<const void*>(p), 0, 3);
}

std::size_t payload_offset(const RingDesign& d, std::size_t message_bytes) {
  if (!d.slot_seq) return 0;
  // apart: the payload of a message that does not fit next to its word starts d.seq_apart lines on; from
  // kAlignedFrom on, one word per slot is nothing next to the payload's lines, and it goes on the line before
  if (d.seq_apart != 0 && kSeqBytes + message_bytes > kLine && message_bytes < kAlignedFrom)
    return d.seq_apart * kLine;
  return d.aligned_payload && message_bytes >= kAlignedFrom ? kLine : kSeqBytes;
}

// Does this message's payload sit apart from its sequence word (seq_apart lines on)?
bool payload_apart(const RingDesign& d, std::size_t message_bytes) {
  return d.seq_apart != 0 && payload_offset(d, message_bytes) == d.seq_apart * kLine;
}

// Where a slot's second sequence word goes, or 0 for none: in the 2seq design a message that does not fit on
// its first cache line next to the leading sequence word gets one right after its payload as well. A consumer
// that has waited kEagerAfterPolls polls reads both words at once, so the first and the last line of the
// message cross between the caches in parallel instead of one after the other.
std::size_t trailing_seq_offset(const RingDesign& d, std::size_t message_bytes) {
  const std::size_t end = payload_offset(d, message_bytes) + message_bytes;
  if (!d.trailing_seq || end <= kLine) return 0;
  return round_up(end, kSeqBytes);
}

// Slots are whole cache lines, except packed ones (ring_packs). The false-sharing toggle packs to whole sequence
// words; a slipping design packs only a slot that fits in one line, to a power of two (16, 32 or 64 bytes), so no
// slot ever straddles two lines.
std::size_t slot_stride(const RingDesign& d, std::size_t message_bytes) {
  if (!d.slot_seq) return round_up(std::max<std::size_t>(message_bytes, 1), kLine);
  const std::size_t end = payload_offset(d, message_bytes) + message_bytes;
  if (ring_packs(d, message_bytes) && d.slip) return std::bit_ceil(end);
  if (payload_apart(d, message_bytes))  // whole pairs: the next
    return round_up(end, d.seq_apart * kLine);  // slot's word never shares a pair with this payload
  const std::size_t to = ring_packs(d, message_bytes) ? kSeqBytes : kLine;
  if (auto t = trailing_seq_offset(d, message_bytes)) return round_up(t + kSeqBytes, to);
  return round_up(end, to);
}

// A one-way ring gets about 4 MiB of slots (kOneWayBytes), and never fewer than it used to (up to 64 slots, at most
// 16 MiB of them), at least two. 4 MiB is several times a core's second-level cache and well inside a shared last
// level: a consumer that lags the producer then reads lines that have left the writer's own caches, instead of
// taking each one out of them while they are written. On the development VM (AMD EPYC, Zen 4: 1 MiB L2, 32 MiB
// L3), against the 64 slots of before, same invocations (README, "A ring of 4 MiB"): 1 KiB streams 6.6 -> 38-39
// GB/s, 4 KiB 8.5 -> 34-46, 16 KiB 11.5 -> 43-50, 256 B 24 -> 96-100 M msgs/s, 512 B 13 -> 72 M; rings of 512 or
// 1024 slots (a few hundred KiB) were no faster than 64. A ring that holds the whole run (hundreds of MiB) is slower
// again: its slots are cold everywhere. A duplex ring (ping-pong, rpc) carries one message in flight each way and
// gets kDuplexSlots: round trips that cycle through many slots cost more than through few
// (results/reference/ring-duplex-slots-tsc.json, AMD EPYC VM: 64 B round trips 1.34x the cache-line floor through 2
// slots, 1.61x through 64; 8 B 1.18x and 1.28x). Two, not one, so that a sender never waits for its peer to
// release the slot it filled last.
constexpr std::size_t kDuplexSlots = 2;
constexpr std::size_t kOneWayBytes = std::size_t{4} << 20;
std::size_t default_capacity(std::size_t stride, bool duplex) {
  if (duplex) return kDuplexSlots;
  const std::size_t before = std::clamp<std::size_t>((std::size_t{16} << 20) / stride, 2, 64);
  return std::max(before, kOneWayBytes / stride);
}

// A one-way ring that streams small messages (ring_stream_batch: the payloads go to memory with streaming stores,
// and only the sequence words are ordinary stores) gets 256 KiB of slots, and at least 256 of them, instead of 4
// MiB: the producer then keeps the words' lines of the whole ring in its own second-level cache (one line per slot;
// 4 MiB of 64 B slots have 16384 of them, 1 MiB), instead of taking each back from the shared level. Far regime
// (410-450 ns floor), one binary with --capacity, 64 B streams: 256 KiB of ring 85-86 M msgs/s, 4 MiB 46-52 M;
// 256 B 46-48 against 32-35 M; 1 KiB 15.6-16.6 against 11.3-12.1 M; 4 KiB 11-13 GB/s either way, 256 slots (1 MiB)
// 12.5-13.1 (README, "A smaller ring for streamed messages"). The 4 MiB of kOneWayBytes exist for ordinary stores,
// whose lines must leave the writer's caches before the reader takes them.
constexpr std::size_t kStreamRingBytes = std::size_t{256} << 10;
constexpr std::size_t kStreamRingSlots = 256;
std::size_t streaming_capacity(std::size_t stride) { return std::max(kStreamRingBytes / stride, kStreamRingSlots); }

// Announce, re-check, sleep. The seq_cst read-modify-write orders the announcement before the re-check
// (which uses seq_cst loads); the waker publishes, fences, then looks at the bit (Dekker): one of the two
// always sees the other.
template <class Ready>
void sleep_unless(std::atomic<std::uint32_t>& word, TransportCounters& c, Ready&& ready) {
  std::uint32_t announced = word.fetch_or(1, std::memory_order_seq_cst) | 1;
  if (ready()) return;
  ++c.syscalls;
  os::futex_wait(&word, announced);
}
}  // namespace

bool ring_packs(const RingDesign& d, std::size_t message_bytes) {
  if (!d.packed || payload_offset(d, message_bytes) >= kLine) return false;
  return !d.slip || payload_offset(d, message_bytes) + message_bytes <= kLine;
}

RingDesign ring_laid_out(const RingDesign& d, bool duplex) {
  RingDesign out = d;
  if (duplex) out.seq_apart = 0;
  return out;
}

bool ring_answers_in_place(const RingDesign& d, const TransportOptions& o) {
  return d.in_place && o.reply_in_place && o.duplex && !o.rendezvous && o.capacity == 0 &&
         o.largest_message() <= shm_ring::kInPlaceMost;
}

std::size_t ring_payload_offset(const RingDesign& d, std::size_t message_bytes) {
  return payload_offset(d, message_bytes);
}

std::uint64_t ring_lookahead(const RingDesign& d, std::size_t message_bytes, std::size_t capacity) {
  if (!d.slip) return 1;
  const std::uint64_t by_bytes = kSlipBytes / slot_stride(d, message_bytes);
  // trail_half: where the payload sits apart from its word (57 B to 1 KiB), half the ring, up to 32 slots (shm.hpp)
  const bool half = d.trail_half && payload_apart(d, message_bytes);
  const std::uint64_t most = half ? 2 * kSlipSlots : kSlipSlots;
  return std::clamp<std::uint64_t>(std::min<std::uint64_t>({most, capacity / (half ? 2 : 4), by_bytes}), 1, most);
}

std::uint64_t ring_stream_batch(const RingDesign& d, std::size_t message_bytes, std::size_t capacity) {
  if (!d.slip || message_bytes >= kLargeCopyFrom || trailing_seq_offset(d, message_bytes) != 0) return 0;
  const std::size_t at = payload_offset(d, message_bytes);
  if (at == 0 || at % kLine != 0) return 0;  // the payload shares its first line with the word (or there is none)
  const std::uint64_t k =
      std::min<std::uint64_t>({kStreamBatch, kStreamBatchBytes / slot_stride(d, message_bytes), capacity / 4});
  return k >= kStreamBatchLeast ? k : 0;
}

template <const RingDesign& D>
Capabilities ShmRing<D>::capabilities() {
  Capabilities c{std::size_t{1} << 30, "shm: messages are limited to 1 GiB by ipcbench, not by the kernel", 0, ""};
  c.native_rendezvous = true;  // one slot, and commit() waits until the consumer has released it
  c.full_waits_counted = wait_bit(Wait::block) | wait_bit(Wait::spin) | wait_bit(Wait::hybrid);
  return c;
}

template <const RingDesign& D>
ShmRing<D>::ShmRing(const TransportOptions& options) : options_(options) {
  const RingDesign d = ring_laid_out(D, options.duplex);
  layout_.stride = slot_stride(d, options.largest_message());
  layout_.trailing_seq = trailing_seq_offset(d, options.largest_message());
  layout_.payload = payload_offset(d, options.largest_message());
  if (payload_apart(d, options.largest_message())) layout_.touch = layout_.payload;
  layout_.capacity = options.capacity != 0 ? options.capacity : default_capacity(layout_.stride, options.duplex);
  const bool streams = options.streaming_copy_in && !options.duplex && !options.rendezvous;
  if (streams && options.capacity == 0 && ring_stream_batch(d, options.largest_message(), layout_.capacity) != 0)
    layout_.capacity = streaming_capacity(layout_.stride);
  if (options.rendezvous) layout_.capacity = 1;  // one slot, and commit() waits for its release
  layout_.batch = ring_batch(D, layout_.capacity, options.wait);
  layout_.lookahead = ring_lookahead(d, options.message_bytes, layout_.capacity);
  if (streams) layout_.stream_batch = ring_stream_batch(d, options.largest_message(), layout_.capacity);
  // A waiting reader of a duplex ring that does not trail prefetches the line after its word's with each poll,
  // when the message runs onto it (README, "The far regime"): that line then crosses together with the word's
  // instead of after it. From the first poll: until 2026-12-06 it began after kEagerAfterPolls, which next to a
  // 120-130 ns floor a reader hardly reaches before the message is there. A development switch, rounds
  // alternating, 6 rows each next to 120-130 ns: 64 B round trips 137 ns (1.14x that floor) after 4 polls,
  // 130 ns (1.08x) from the first, as at 8 B. Far regime (410-490 ns), 64 B medians after 4 polls against from
  // the first, three sets of rounds: 432/427, 449/451, and with this build 442/449 ns: no difference beyond the
  // spread (README, "Reading ahead, the tail after the reply, and code layout"). Until the peer's write
  // invalidates it, the line is still in this cache from the slot's last lap, and the prefetch finds it there.
  layout_.eager_after = kEagerAfterPolls;
  if (D.prefetch && options.duplex && layout_.lookahead == 1 && layout_.touch == 0 && layout_.trailing_seq == 0 &&
      layout_.payload + options.largest_message() > kLine) {
    layout_.touch = kLine;
    layout_.eager_after = 0;
  }
  // The header is whole 128-byte pairs and strides are whole pairs where they must be (apart), so slots keep
  // their alignment to pairs in either ring.
  static_assert(sizeof(RingHeader) % (2 * kLine) == 0);
  std::size_t ring_bytes = round_up(sizeof(RingHeader), kLine) + round_up(layout_.capacity * layout_.stride, kLine);
  std::size_t rings = options.duplex ? 2 : 1;
  layout_.direct = options.duplex && !options.rendezvous && layout_.batch == 1 && layout_.lookahead == 1 &&
                   layout_.trailing_seq == 0;
  layout_.in_place = layout_.direct && ring_answers_in_place(D, options);
  mapping_ = os::Mapping::shared_anonymous(ring_bytes * rings + (layout_.in_place ? shm_ring::kInPlaceBytes : 0));
  auto setup = [&](std::byte* base) {
    Endpoint e;
    e.ring = new (base) RingHeader{};
    e.slots = base + round_up(sizeof(RingHeader), kLine);
    e.end = e.slots + layout_.capacity * layout_.stride;
    e.cur = e.slots;
    if constexpr (D.slot_seq)
      for (std::byte* p = e.slots; p != e.end; p += layout_.stride) {
        new (p) std::atomic<std::uint64_t>(0);
        if (layout_.trailing_seq) new (p + layout_.trailing_seq) std::atomic<std::uint64_t>(0);
      }
    return e;
  };
  tx_ = setup(mapping_.data());  // producer -> consumer
  if (options.duplex) rx_ = setup(mapping_.data() + ring_bytes);  // replies
  if (layout_.in_place) {  // after both rings, whose headers hold the futex words (open() picks them)
    std::byte* at = mapping_.data() + ring_bytes * rings;
    in_place_.line = at;
    new (at) std::atomic<std::uint64_t>(0);
    for (int side = 0; side < 2; ++side)
      for (int n = 0; n < 2; ++n) in_place_.rest[side][n] = at + 2 * kLine + (2 * side + n) * shm_ring::kInPlaceRest;
  }
}

template <const RingDesign& D>
ShmRing<D> ShmRing<D>::split_consumer() const {
  ShmRing view;
  view.options_ = options_;
  view.layout_ = layout_;
  view.tx_ = tx_;
  view.rx_ = rx_;
  view.in_place_ = in_place_;
  return view;
}

template <const RingDesign& D>
void ShmRing<D>::open(Role role) {
  if (layout_.in_place) {  // the requests' ring header's futex words: the producer sleeps on its producer_futex
    RingHeader& r = *tx_.ring;
    const bool producer = role == Role::producer;
    in_place_.mine = producer ? 1 : 2;
    in_place_.sleep = producer ? &r.producer_futex : &r.consumer_futex;
    in_place_.wake = producer ? &r.consumer_futex : &r.producer_futex;
  }
  if (role == Role::consumer) std::swap(tx_, rx_);
}

template <const RingDesign& D>
void ShmRing<D>::out_of_turn(const char* call, std::span<const std::byte> msg) {
  if (msg.size() > shm_ring::kInPlaceMost)
    throw std::length_error(std::string("shm: ") + call + "() of " + std::to_string(msg.size()) +
                            " bytes on a pair that answers in place, which holds at most " +
                            std::to_string(shm_ring::kInPlaceMost));
  throw std::logic_error(std::string("shm: ") + call +
                         "() out of turn: a pair that answers in place carries one request, then its reply, and "
                         "again (the producer sends first)");
}

// Answering in place: the peer's message is not there yet. The rest of it, on lines of the peer's own, was written
// early when it was staged, so each poll also asks for those lines (prefetches: the peer may still be writing them,
// and a load would race with its copy), and they cross before the word does.
template <const RingDesign& D>
void ShmRing<D>::wait_in_place(std::uint64_t want, const std::byte* rest, std::size_t rest_bytes) {
  auto& word = *std::launder(reinterpret_cast<std::atomic<std::uint64_t>*>(in_place_.line));
  wait_until(
      options_.wait, options_.spin_budget, counters_,
      [&] {
        if (rest)
          for (std::size_t at = 0; at < rest_bytes; at += kLine) __builtin_prefetch(rest + at, 0, 3);
        return word.load(std::memory_order_acquire) == want;
      },
      [&] { sleep_unless(*in_place_.sleep, counters_, [&] { return word.load(std::memory_order_seq_cst) == want; }); });
}

// The producer publishes slots in order, each with a release store of its sequence word, so the word of the
// slot `lookahead - 1` ahead vouches for every slot before it: the consumer reads those without polling.
template <const RingDesign& D>
bool ShmRing<D>::ready_ahead(Endpoint& e) {
  if (e.pos < e.ready) return true;
  if (!streaming(e)) return false;  // nothing is likely that far ahead: no probe (ping-pong pays none)
  const std::uint64_t k = layout_.lookahead - 1;
  const std::byte* slot = e.cur + k * layout_.stride;
  if (slot >= e.end) slot -= e.end - e.slots;
  std::uint32_t marked = 0;
  if (!published_at(slot, e.pos + k + 1, std::memory_order_acquire, true, &marked)) return false;
  e.streak = marked != 0 ? std::max(e.streak, kStreamingStreak) : 0;  // that far ahead and still mid-stream
  e.ready = e.pos + k + 1;
  if constexpr (D.prefetch) {  // every line up to the end of that slot is complete: ask for them all at once
    if (layout_.stride <= kPrefetchMaxStride) {
      const std::byte* to = slot + layout_.stride;
      if (layout_.touch) {  // the payloads only: the sequence words' lines stay with the producer
        for (const std::byte* p = e.cur;; p = p + layout_.stride == e.end ? e.slots : p + layout_.stride) {
          prefetch_lines(p + layout_.payload, p + layout_.stride);
          if (p == slot) break;
        }
      } else if (to > e.cur) {
        prefetch_lines(e.cur, to);
      } else {  // the batch wraps around the end of the ring
        prefetch_lines(e.cur, e.end);
        prefetch_lines(e.slots, to);
      }
    }
  }
  return true;
}

template <const RingDesign& D>
void ShmRing<D>::wake_if_sleeping(std::atomic<std::uint32_t>& word) {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (word.load(std::memory_order_relaxed) & 1) {
    word.fetch_add(1, std::memory_order_acq_rel);  // clear the bit, new epoch
    os::futex_wake(&word, 1);
    ++counters_.futex_wakes;
    ++counters_.syscalls;
  }
}

// Before a side waits, whatever it holds back is published: a batched producer that waits for the reply
// while its request is unpublished would wait forever.
template <const RingDesign& D>
void ShmRing<D>::flush() {
  if (tx_.ring) {
    publish_held(tx_);  // before the head, which vouches for every slot before it
    publish_head(tx_, true);
  }
  if (rx_.ring) publish_tail(rx_, true);
}

// Streaming small messages (Layout::stream_batch): one fence makes the held payloads' streaming stores visible, then
// their sequence words go out in order, each with the streaming mark (every held message was sent mid-stream).
template <const RingDesign& D>
void ShmRing<D>::publish_held(Endpoint& e) {
  if (e.held == 0) return;
  streaming_fence();
  std::byte* slot = e.held_at;
  for (std::uint64_t pos = e.pos - e.held; pos != e.pos; ++pos) {
    std::launder(reinterpret_cast<std::atomic<std::uint64_t>*>(slot))->store((pos + 1) | kStreamingBit,
                                                                             std::memory_order_release);
    slot += layout_.stride;
    if (slot == e.end) slot = e.slots;
  }
  e.held = 0;
  if (options_.wait != Wait::spin) wake_if_sleeping(e.ring->consumer_futex);
}

template <const RingDesign& D>
void ShmRing<D>::wait_room(Endpoint& e) {
  if (has_room(e)) return;
  ++counters_.full_waits;
  flush();
  RingHeader& r = *e.ring;
  wait_until(
      options_.wait, options_.spin_budget, counters_, [&] { return has_room(e); },
      [&] {
        sleep_unless(r.producer_futex, counters_, [&] {
          return e.pos - r.tail().load(std::memory_order_seq_cst) < layout_.capacity;
        });
      });
}

template <const RingDesign& D>
void ShmRing<D>::wait_message(Endpoint& e) {
  if constexpr (D.slip) {
    if (layout_.lookahead > 1) return wait_message_slipping(e);
  }
  if (has_message(e, false)) return;
  flush();
  RingHeader& r = *e.ring;
  std::uint32_t polls = 0;
  wait_until(
      options_.wait, options_.spin_budget, counters_, [&] { return has_message(e, ++polls > layout_.eager_after); },
      [&] {
        sleep_unless(r.consumer_futex, counters_, [&] {
          if constexpr (D.slot_seq) return published(e, std::memory_order_seq_cst, true);
          else return e.pos < r.head.load(std::memory_order_seq_cst);
        });
      });
}

// slip (see shm.hpp). Whether to trail is decided per wait: only after kStreamingStreak messages in a row that
// the producer sent mid-stream (their sequence words carry kStreamingBit), and only while the producer's head is behind this
// position (a head equal to it says the producer stopped right here, so the next message will be polled for).
// A ping-pong or a paced sender flushes before every message, so its messages never carry the bit and its
// consumer never reads the head: the single-message hand-over costs exactly what slotseq's does.
template <const RingDesign& D>
void ShmRing<D>::wait_message_slipping(Endpoint& e) {
  if (ready_ahead(e) || (!streaming(e) && published(e, std::memory_order_acquire, false))) return;
  flush();
  RingHeader& r = *e.ring;
  bool trail = streaming(e) && options_.wait != Wait::block;
  std::uint32_t polls = 0;
  auto trailing = [&] {
    if (ready_ahead(e)) return true;
    const std::uint64_t head = r.head.load(std::memory_order_acquire);
    if (head > e.pos) {
      e.ready = head;
      e.streak = 0;
      return true;
    }
    if (head == e.pos || ++polls > kSlipPolls) trail = false;
    return false;
  };
  if (trail) {
    ++counters_.trailing_waits;
    if (trailing()) return;
  }
  wait_until(
      options_.wait, options_.spin_budget, counters_,
      [&] { return trail ? trailing() : published(e, std::memory_order_acquire, ++polls > kEagerAfterPolls); },
      [&] { sleep_unless(r.consumer_futex, counters_, [&] { return published(e, std::memory_order_seq_cst, true); }); });
}

// Rendezvous (zero capacity): the send is complete only once the consumer has released the slot.
template <const RingDesign& D>
void ShmRing<D>::wait_taken(Endpoint& e) {
  RingHeader& r = *e.ring;
  auto taken = [&](std::memory_order mo) { return r.tail().load(mo) >= e.pos; };
  if (taken(std::memory_order_acquire)) return;
  flush();
  wait_until(
      options_.wait, options_.spin_budget, counters_, [&] { return taken(std::memory_order_acquire); },
      [&] { sleep_unless(r.producer_futex, counters_, [&] { return taken(std::memory_order_seq_cst); }); });
}

template class ShmRing<kRingNaive>;
template class ShmRing<kRingPadded>;
template class ShmRing<kRingCached>;
template class ShmRing<kRingBatched>;
template class ShmRing<kRingSlotSeq>;
template class ShmRing<kRingFalseShare>;
template class ShmRing<kRingZeroCopy>;
template class ShmRing<kRingTwoSeq>;
template class ShmRing<kRingSlip>;
template class ShmRing<kRingSlipPacked>;
template class ShmRing<kRingPrefetch>;
template class ShmRing<kRingQuarter>;
template class ShmRing<kRingShm>;
template class ShmRing<kRingUnstaged>;
template class ShmRing<kRingAdjacent>;

template <bool kFollow>
Capabilities ShmCopyBaseline<kFollow>::capabilities() {
  return {std::size_t{1} << 30,
          std::string(kFollow ? "shm-rawcopy-follow" : "shm-rawcopy") +
              ": messages are limited to 1 GiB by ipcbench, not by the kernel",
          0, ""};
}

template <bool kFollow>
ShmCopyBaseline<kFollow>::ShmCopyBaseline(const TransportOptions& options) {
  // The same slot count as the rings' default, each slot just the message rounded up to whole cache lines:
  // the ceiling for moving the payload alone, without any control word in the slots.
  stride_ = slot_stride(kRingPadded, options.message_bytes);
  capacity_ = options.capacity != 0 ? options.capacity : default_capacity(stride_, false);
  spin_budget_ = options.spin_budget;
  streaming_ = options.streaming_copy_in;
  // follow: the count on a 128-byte pair of lines of its own, after the slots (the adjacent-line prefetcher
  // fetches pairs, so a count sharing one with the last slot would travel with it)
  const std::size_t count_at = round_up(capacity_ * stride_, 2 * kLine);
  mapping_ = os::Mapping::shared_anonymous(kFollow ? count_at + 2 * kLine : capacity_ * stride_);
  slots_ = mapping_.data();
  if constexpr (kFollow) written_ = new (slots_ + count_at) std::atomic<std::uint64_t>(0);
}

template <bool kFollow>
ShmCopyBaseline<kFollow> ShmCopyBaseline<kFollow>::split_consumer() const {
  ShmCopyBaseline view;
  view.stride_ = stride_;
  view.capacity_ = capacity_;
  view.slots_ = slots_;
  view.written_ = written_;
  view.spin_budget_ = spin_budget_;
  view.streaming_ = streaming_;
  return view;
}

// Slot addresses advance as in the rings (no division per message), so the ceiling is not handicapped.
template <bool kFollow>
void ShmCopyBaseline<kFollow>::send(std::span<const std::byte> msg) {
  copy_into_slot(slots_ + tx_ * stride_, msg.data(), msg.size(), streaming_);
  if (streaming_ && msg.size() >= kLargeCopyFrom) ++counters_.streamed_messages;
  if (++tx_ == capacity_) tx_ = 0;
  if constexpr (kFollow) written_->store(++sent_, std::memory_order_release);
}

template <bool kFollow>
void ShmCopyBaseline<kFollow>::recv(std::span<std::byte> msg) {
  if constexpr (kFollow) {
    // Spins whatever --wait says (a baseline has no sleeping side); with both ends on one CPU, the spin
    // budget's sched_yield lets the producer run.
    if (seen_ <= received_)
      wait_until(Wait::spin, spin_budget_, counters_,
                 [&] { return (seen_ = written_->load(std::memory_order_acquire)) > received_; }, [] {});
    ++received_;
  }
  copy_payload(msg.data(), slots_ + rx_ * stride_, msg.size());
  if (++rx_ == capacity_) rx_ = 0;
}

template class ShmCopyBaseline<false>;
template class ShmCopyBaseline<true>;

}  // namespace ipcbench
