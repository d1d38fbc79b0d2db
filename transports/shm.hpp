#pragma once
// shm: single-producer/single-consumer rings in a MAP_SHARED anonymous mapping created before fork (no
// name, so nothing can leak). Pingpong uses a second ring for replies; without --capacity each ring of such a
// duplex pair has 2 slots (one message is in flight each way), a one-way ring about 4 MiB of slots (shm.cpp,
// default_capacity), or 256 KiB when it streams small messages to memory (streaming_capacity).
//
// One template, several designs (RingDesign), so the cost of each step of the classic ring ladder can be
// measured with everything else equal (same mapping, waits, harness and payload):
//   naive    Lamport: head and tail on one cache line, both read from shared memory on every operation
//   padded   head and tail on cache lines of their own (no false sharing between the two indices)
//   cached   each side keeps a private copy of the other's index and reloads it only when the copy says
//            full/empty (the MCRingBuffer / rigtorp SPSCQueue step)
//   batched  cached, and each index is published once per batch of messages, or before the side waits
//   slotseq  no head index at all; every slot carries a sequence word on its payload's first cache line
//            (FastForward-style), so the consumer polls the slot itself and a small message costs one line
//            transfer; the producer keeps a cached copy of the consumer's tail
//   2seq     slotseq + a second sequence word after a message longer than its first line (below)
//   slip     2seq + temporal slipping. A consumer that catches up with a *streaming* producer would
//            poll the very line being written, so every slot crosses between the caches several times; it
//            trails the producer by `lookahead` slots instead (it waits for the slot that many ahead, whose
//            sequence word vouches for all before it) and never touches a line still being written. The
//            producer marks each message it sends without having stopped (flushed) since the previous one;
//            after 4 marked messages in a row the consumer takes it for streaming. It publishes its position
//            in `head` only when it stops (before any wait, and when the harness flushes): a head that has
//            caught up with the consumer says "idle", and then the consumer polls the next slot itself, the
//            one-transfer hand-over ping-pong needs (which never marks, so never trails). A trailing consumer gives
//            up trailing after kSlipPolls polls, so a producer that never flushes delays a message by that
//            much at most. And a message of 1 KiB or more starts on its own cache line, after the sequence
//            word's: glibc copies large blocks with `rep movsb`, which slows down when source and destination
//            are not equally aligned, and the harness's buffers are line-aligned (one line per slot is
//            nothing next to a kilobyte).
//   slip-packed  slip, with the slots that fit in one line packed to 16, 32 or 64 bytes (four 8 B messages per
//            line; see ring_packs), and the consumer's tail published once per 16 messages or before it waits
//            (not under block, see ring_batch). A trailing consumer never reads a line still being written,
//            so the lines its slots share cost nothing while the producer streams.
//   prefetch slip-packed, and a trailing consumer that finds a batch complete asks for all its lines at
//            once (prefetch), so their transfers overlap instead of following the copy one line at a time.
//            (Prefetching for the producer, PREFETCHW on free slots ahead, was measured too and gained nothing.)
//   apart    `shm-unstaged`: prefetch without 2seq's second word, and in a one-way ring a message that does not fit
//            next to its sequence word (57 B to 1 KiB) starts two lines after it. A trailing consumer then reads only
//            payload lines (and one word per batch), and the words' lines stay with the producer: a 64 B stream
//            moves one line per message instead of two. Two lines, not one: the 128-byte-aligned pair of lines
//            travels together (the adjacent-line prefetcher fetches a line's buddy), and with the word on the line
//            right before its payload (the `adjacent` toggle) the stream gained little. From 1 KiB the payload
//            starts on the line after its word (one word per slot is nothing next to the payload's lines). A
//            reader that has waited a few polls prefetches the payload's first line with each poll of a word two
//            lines away, so both cross in parallel. A duplex ring (one that carries replies: ping-pong, rpc) lays out
//            its slots as slotseq does instead, the payload right after its word on one pair. Its reader waits for
//            the word out of line (wait_message) and, once it has waited a few polls, prefetches the slot's second
//            line with each poll when the message runs onto it, so that line crosses with the word's. In earlier
//            builds, a second word read with every inline poll (2seq's idea) put 64 B round trips at 1.35-1.5x the
//            130 ns floor, the word alone at 1.0-1.1x; on 2026-12-05 this wait gave 1.08x against 1.24x next to a
//            120 ns floor and 1.03x against 1.38x next to a 410-480 ns one (README, "The far regime"). The same
//            ring may not stream as fast, but a request/reply ring is there for its latency. A trailing consumer of
//            a one-way ring whose payloads sit apart from their words stays up to half the ring behind (at most
//            32 slots), not a quarter
//            (16): at 64 B, 16 slots (4 KiB) behind, the stream fell into a state where the consumer kept catching up
//            and the producer spent 40 ns per message instead of 12-19 (24-26 against 52-81 M msgs/s), in a third
//            to half of the runs of some sweeps. 32 slots behind, four development sweeps gave 1.11-2.0x the
//            median; the two kept ones, measured later with this build (results/reference/ring-trail-half.json
//            and -b), 1.00x and 0.96x, with slow trailing rows in both designs: it helps in the periods where
//            trailing a quarter behind is slow and costs nothing measurable in the others. At 8 B (packed slots)
//            it was 0.88-1.07x, so those keep a quarter; at 256 B it made no difference.
//            With streaming copy-in (two CPUs that share no cache), a one-way ring of this layout copies the messages
//            it sends mid-stream with streaming stores and publishes their words in batches (ring_stream_batch).
//   quarter  `shm` as it was before that: a quarter of the ring (at most 16 slots) at every size.
//   staged   `shm`: apart, and a round trip's side copies the part of its next message past the word's line into
//            its slot while it waits for the peer's message, so that sending stores one line (ShmRing::stage).
//            `shm-unstaged` is the same ring without it (the `shm` before 2026-12-06). Alternating with it and side
//            by side in ipcbench_ring_steps, 64 B round trips took 0.93-0.96x its time next to 111-130 ns floors and
//            0.96-0.98x far (README, "Staging the next message"); 8 B messages fit on the word's line, unstaged.
//            And a round trip of `shm` may answer in place (TransportOptions::reply_in_place, --reply-line): both
//            sides take turns on one line, the cache-line floor's pattern, instead of a line per direction (InPlace,
//            below). On the VM of 2026-12-06 (one-line floor 220-230 ns, two-line 280-285 ns), rounds alternating:
//            8 B 0.98x the floor in place against 1.33x, 64 B 0.96x against 1.32x (README, "Answering in place").
// Toggle on `quarter` (the `shm` it was measured against): `adjacent` puts the payload on the line right after its
// word (one 128-byte pair).
// Toggles on slotseq: `packed` drops the cache-line padding between slots, so the sequence word the
// producer writes sits on the line the consumer is still reading (false sharing); `zero_copy` lets the
// harness write and read the message in place (reserve/commit, peek/release) instead of copy-in/copy-out;
// `2seq` gives a message longer than its first line a second sequence word after its payload, which a reader
// that has waited a few polls reads together with the first, so the message's first and last lines travel
// in parallel (lower ping-pong latency at 64 B, but a streaming writer then loses more lines to the reader).
//
// Waiting: spin (yield after the budget), block (FUTEX_WAIT; the writer calls FUTEX_WAKE only when the
// reader has announced it is sleeping), hybrid (spin the budget, then futex). Every design shares it.
//
// The short path: a duplex ring that publishes every message and its tail one at a time (a ping-pong's or an rpc's
// two slots, in every design) sends and receives through a few inline lines instead of reserve/commit and
// peek/release, and hands a wait over to the general code only once the spin budget is spent (ShmRing<D>::send).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <stdexcept>

#include "harness/os/futex.hpp"
#include "harness/os/mapping.hpp"
#include "transports/copy.hpp"
#include "transports/transport.hpp"

namespace ipcbench {

struct RingDesign {
  const char* name;
  bool shared_index_line;  // head and tail on one cache line (naive)
  bool cached_indices;     // private copies of the other side's index
  std::uint32_t batch;     // publish the own index every `batch` operations (1 = every operation)
  bool slot_seq;           // per-slot sequence words instead of a head index
  bool packed;             // slots not padded to cache lines
  bool zero_copy;          // reserve/commit and peek/release instead of copying
  bool trailing_seq;       // slotseq: a second sequence word after a message longer than its first line
  bool slip;               // slotseq: the consumer trails a streaming producer by a few slots
  bool aligned_payload;    // slotseq: a message of kAlignedFrom bytes or more starts on a cache line of its own
  bool prefetch = false;   // slip: a trailing consumer asks for every line of the batch it found complete at once
                           // (small slots only)
  std::uint32_t seq_apart = 0;  // slotseq: lines from a sequence word to a payload that does not fit next to it
                                // (0: the payload follows the word; see ring_payload_offset)
  bool trail_half = false;      // slip, a payload apart from its word: trail by up to half the ring, not a quarter
  bool stage = false;           // round trips: the part of the next message past its word's line is written early
  bool in_place = false;        // round trips: may answer in the request's line (TransportOptions::reply_in_place)
};

// What a batched design publishes at once: its batch, but never more than a quarter of the ring. A slot-sequence
// design batches only its tail, and not under `block`: a producer asleep on a full ring would be woken a batch
// late (measured on a 64 B cross-core stream: 3.2 M msgs/s with the batch, 6.3-7.9 M without; on one CPU the
// batch helps instead, 0.4-0.7 against 0.15-0.16 M, because a woken producer no longer preempts the consumer at
// once; cross-core is the case that matters).
inline std::uint64_t ring_batch(const RingDesign& d, std::size_t capacity, Wait wait) {
  if (d.slot_seq && wait == Wait::block) return 1;
  const std::uint64_t quarter = capacity / 4;
  return d.batch < quarter ? d.batch : (quarter > 0 ? quarter : 1);
}

// Are the slots packed for this message size? The false-sharing toggle (slotseq-packed) packs every slot below
// 1 KiB. A slipping design packs only slots that fit in one line (a message of up to 56 B, four 8 B slots per
// line): packing slots that straddle lines (64 B in 80) gained nothing measurable in spin streams (16.1 vs 15.5
// and 12.6 vs 13.2 M msgs/s against padded slots, in two runs).
bool ring_packs(const RingDesign& d, std::size_t message_bytes);

// The design as a ring lays out its slots: `apart` applies to one-way rings only (see above); a `duplex` ring
// (one that carries replies too) keeps each sequence word on its payload's pair of lines.
RingDesign ring_laid_out(const RingDesign& d, bool duplex);

// Where a slot's payload starts, in bytes from the slot (0 for the index designs, whose slots are payload only),
// for a design as a ring lays it out (ring_laid_out).
std::size_t ring_payload_offset(const RingDesign& d, std::size_t message_bytes);

// slip: how many slots a consumer trails a streaming producer by (1: it does not), for this message size
// and slot count.
std::uint64_t ring_lookahead(const RingDesign& d, std::size_t message_bytes, std::size_t capacity);

// Streaming copy-in of small messages (TransportOptions::streaming_copy_in, under kLargeCopyFrom): how many messages
// a one-way ring of this design (as ring_laid_out lays it out) holds back and publishes at once, for this message
// size and slot count; 0 = it copies them with ordinary stores and publishes each at once, as without the option.
// While it streams (every message after the first since it last stopped), the producer copies each message into
// its slot with streaming stores and holds its sequence word back; after a batch, or when it stops (flush, a
// full ring), one SFENCE and the held words in order, each with the streaming mark. A consumer on another die
// then reads the payloads from memory, prefetched a trailing batch at a time, instead of taking each line out of
// the producer's caches while the producer takes it back for the next lap: next to a 420-460 ns cache-line floor,
// builds alternating, 64 B streams went from 26 to 68 M msgs/s, 256 B from 12 to 43 M and 1 KiB from 5.4 to 10.9 M
// (medians of 6 rounds; README, "Streaming small messages"). Only for a slipping design whose payload starts on a line of its own (apart or aligned, no
// trailing word), and only with room for at least kStreamBatchLeast messages in a quarter of the ring.
std::uint64_t ring_stream_batch(const RingDesign& d, std::size_t message_bytes, std::size_t capacity);

inline constexpr RingDesign kRingNaive{"naive", true, false, 1, false, false, false, false, false, false};
inline constexpr RingDesign kRingPadded{"padded", false, false, 1, false, false, false, false, false, false};
inline constexpr RingDesign kRingCached{"cached", false, true, 1, false, false, false, false, false, false};
inline constexpr RingDesign kRingBatched{"batched", false, true, 16, false, false, false, false, false, false};
inline constexpr RingDesign kRingSlotSeq{"slotseq", false, true, 1, true, false, false, false, false, false};
inline constexpr RingDesign kRingFalseShare{"slotseq-packed", false, true, 1, true, true, false, false, false, false};
inline constexpr RingDesign kRingZeroCopy{"slotseq-zerocopy", false, true, 1, true, false, true, false, false, false};
inline constexpr RingDesign kRingTwoSeq{"slotseq-2seq", false, true, 1, true, false, false, true, false, false};
inline constexpr RingDesign kRingSlip{"slotseq-2seq-slip", false, true, 1, true, false, false, true, true, true};
inline constexpr RingDesign kRingSlipPacked{"slotseq-2seq-slip-packed", false, true, 16, true, true, false, true, true,
                                            true};
inline constexpr RingDesign kRingPrefetch{"slotseq-2seq-slip-packed-prefetch", false, true, 16, true, true, false, true,
                                          true, true, true};
inline constexpr RingDesign kRingQuarter{"slotseq-slip-packed-prefetch-apart", false, true, 16, true, true, false, false,
                                         true, true, true, 2};
inline constexpr RingDesign kRingUnstaged{"slotseq-slip-packed-prefetch-apart-half", false, true, 16, true, true, false,
                                          false, true, true, true, 2, true};
inline constexpr RingDesign kRingShm{"slotseq-slip-packed-prefetch-apart-half-staged", false, true, 16, true, true,
                                     false, false, true, true, true, 2, true, true, true};
inline constexpr RingDesign kRingAdjacent{"slotseq-slip-packed-prefetch-adjacent", false, true, 16, true, true, false,
                                          false, true, true, true, 1};

namespace shm_ring {
// slip: set in a sequence word when the producer had not stopped (flushed) since its previous message.
inline constexpr std::uint64_t kStreamingBit = std::uint64_t{1} << 63;
// slip: marked messages in a row after which the consumer takes the producer for a streaming one. One is not
// enough: in a ping-pong either side now and then finds its next message already there, skips the stop, and
// marks its next message; trailing then would cost that round trip the head's line.
inline constexpr std::uint32_t kStreamingStreak = 4;
// A cache line, as the slots are laid out (shm.cpp's kLine).
inline constexpr std::size_t kSlotLine = 64;
// stage(): polls of the peer's tail before it leaves the message to send(). A bound, not a wait a ping-pong
// reaches: there the tail comes within a line transfer of the reply it follows.
inline constexpr std::uint32_t kStagePolls = 256;
// Answering in place (TransportOptions::reply_in_place): the first kInPlaceHead bytes of a message go on the line
// both sides write, after its word; the rest, up to kInPlaceMost bytes in all (1080: 56 + 1 KiB), on lines of the
// sender's own. Measured here up to 1 KiB: the shared line took 0.59x the own lines' round trip at 200 B, 0.56x at
// 512 B and 0.92x at 1000 B (README, "Answering in place").
inline constexpr std::size_t kInPlaceHead = kSlotLine - sizeof(std::uint64_t);
inline constexpr std::size_t kInPlaceRest = 16 * kSlotLine;
inline constexpr std::size_t kInPlaceMost = kInPlaceHead + kInPlaceRest;
// The region of a pair that answers in place: the shared line on a 128-byte pair of its own, then four areas for the
// rest (two per side), each whole pairs (the adjacent-line prefetcher fetches a line's buddy, which must not be a
// line the other side writes).
inline constexpr std::size_t kInPlaceBytes = 2 * kSlotLine + 4 * kInPlaceRest;
static_assert(kInPlaceRest % (2 * kSlotLine) == 0);
}  // namespace shm_ring

// Does a ring of design `d` answer in place with these options (a round trip's short path, messages of up to
// kInPlaceMost bytes, and the harness asked for it)?
bool ring_answers_in_place(const RingDesign& d, const TransportOptions& options);

template <const RingDesign& D>
class ShmRing {
 public:
  static constexpr const RingDesign& design = D;
  static constexpr bool zero_copy = D.zero_copy;

  explicit ShmRing(const TransportOptions& options);

  ShmRing split_consumer() const;  // a view of the same mapping; this object owns it
  void open(Role role);
  void send(std::span<const std::byte> msg);
  void recv(std::span<std::byte> msg);
  // Staging (D.stage, the short path only): a round trip's side copies the part of its next message past the
  // sequence word's line into the next slot while it waits for the peer's, once that slot is free (false: nothing
  // was written, or the message fits on the word's line; send it with send()). Then send_staged(), given the same
  // message, writes its bytes on the word's line and the word. Any send() in between drops the staged copy.
  bool stage(std::span<const std::byte> msg);
  [[nodiscard]] bool staged() const { return staged_; }  // a staged message waits for send_staged()
  // Answering in place (TransportOptions::reply_in_place, where ring_answers_in_place says yes): both directions
  // take turns on one line, so each side must alternate, the producer sending first (send() and recv() throw
  // std::logic_error otherwise, before they touch the line).
  [[nodiscard]] bool in_place() const { return layout_.in_place; }
  void send_staged(std::span<const std::byte> msg);
  // Zero copy (D.zero_copy): the next slot's payload, written in place, then published; the next message's
  // payload, read in place, then given back. One reservation or peek at a time per direction.
  std::span<std::byte> reserve();
  void commit();
  std::span<const std::byte> peek();
  void release();
  // Publishes what a batched design still holds back (the harness calls it before it waits elsewhere).
  void flush();

  [[nodiscard]] TransportCounters counters() const { return counters_; }
  [[nodiscard]] Effective effective() const {
    if (layout_.in_place) return {1, shm_ring::kInPlaceBytes};  // one message in flight, in the pair's one region
    return {layout_.capacity, layout_.capacity * layout_.stride};
  }
  static Capabilities capabilities();

 private:
  ShmRing() = default;

  // Futex words: bit 0 = "I am about to sleep / sleeping", bits 1.. = wake epoch. The waker clears the bit
  // by adding 1, which also changes the epoch, so a sleeper whose announcement was consumed by a stale
  // wake sees a changed value in FUTEX_WAIT and re-checks instead of sleeping through its message.
  struct RingHeader {
    alignas(64) std::atomic<std::uint64_t> head;  // slots published (index designs; producer writes)
    std::atomic<std::uint64_t> shared_tail;       // naive: the consumer's index on the producer's line
    alignas(64) std::atomic<std::uint64_t> own_tail;  // slots consumed (consumer writes)
    alignas(64) std::atomic<std::uint32_t> consumer_futex;
    alignas(64) std::atomic<std::uint32_t> producer_futex;
    std::atomic<std::uint64_t>& tail() { return D.shared_index_line ? shared_tail : own_tail; }
  };
  struct Endpoint {  // this process's view of one ring (process-local, never shared)
    RingHeader* ring = nullptr;
    std::byte* slots = nullptr;
    std::byte* end = nullptr;     // one past the last slot
    std::byte* cur = nullptr;     // the slot of `pos` (kept incrementally: no division per message)
    std::uint64_t pos = 0;        // next slot to write (producer) or read (consumer)
    std::uint64_t cached = 0;     // the other side's index as last seen (cached designs)
    std::uint64_t published = 0;  // own index as last published (batched designs; slip: the producer's head)
    std::uint64_t ready = 0;      // slip: messages before this one are known to be published
    std::uint32_t streak = 0;     // slip: messages found in a row that were sent mid-stream
    std::uint64_t held = 0;       // stream_batch: messages copied in whose sequence words are not yet stored
    std::byte* held_at = nullptr;  // stream_batch: the slot of the first of them
  };

  static std::atomic<std::uint64_t>& seq_of(const Endpoint& e);  // of the slot at e.pos
  [[gnu::noinline]] static std::atomic<std::uint64_t>& seq_of_called(const Endpoint& e);  // the same, through a call
  std::byte* payload(const Endpoint& e) const;                    // of the slot at e.pos
  std::atomic<std::uint64_t>& trailing_seq_of(const Endpoint& e) const;
  bool published(Endpoint& e, std::memory_order mo, bool eager) const;  // slotseq: message at e.pos there?
  bool published_at(const std::byte* slot, std::uint64_t want, std::memory_order mo, bool eager,
                    std::uint32_t* streak) const;
  static bool streaming(const Endpoint& e);  // slip: has the producer been streaming (a streak of marked messages)?
  bool ready_ahead(Endpoint& e);  // slip: is the message at e.pos known to be there, without polling its slot?
  void advance(Endpoint& e) const;
  bool has_room(Endpoint& e);
  bool has_message(Endpoint& e, bool eager);
  void wait_room(Endpoint& e);
  void wait_message(Endpoint& e);
  void wait_message_slipping(Endpoint& e);
  void wait_taken(Endpoint& e);
  void publish_head(Endpoint& e, bool force);
  void publish_tail(Endpoint& e, bool force);
  void publish_held(Endpoint& e);
  void wake_if_sleeping(std::atomic<std::uint32_t>& word);
  void send_in_place(std::span<const std::byte> msg, bool staged);
  void recv_in_place(std::span<std::byte> msg);
  void wait_in_place(std::uint64_t want, const std::byte* rest, std::size_t rest_bytes);  // rest: the peer's, or null  // rest: the peer's line for the rest, or null
  [[noreturn]] static void out_of_turn(const char* call, std::span<const std::byte> msg);  // or too long

  // Everything derived from the options, in one value so that split_consumer() copies it whole.
  struct Layout {
    std::size_t stride = 0;        // bytes per slot
    std::size_t capacity = 0;      // slots
    std::uint64_t batch = 1;       // batched designs: messages per index publication
    std::size_t trailing_seq = 0;  // offset of the second sequence word in a slot, 0 = none
    std::uint64_t lookahead = 1;   // slip: how many slots a trailing consumer stays behind (1 = it does not)
    std::size_t payload = 0;       // offset of the payload in a slot
    std::size_t touch = 0;         // where an eager reader also prefetches, 0 = nowhere: the payload's first
                                   // line (seq_apart), or the slot's second line (a duplex ring's message that
                                   // runs past its word's line)
    std::uint32_t eager_after = 0;  // unsuccessful polls before a waiting reader is eager (wait_message)
    std::uint64_t stream_batch = 0;  // streaming copy-in of small messages: words held back at most (ring_stream_batch)
    bool direct = false;           // send and recv take the short path (above; ShmRing<D>::send, below)
    bool in_place = false;         // the short path answers in place (ring_answers_in_place; InPlace below)
  };
  // Answering in place: one line that both sides write in turn (the word, then a message's first kInPlaceHead
  // bytes) and, per side, two areas for the rest of a longer message, used by messages in turn. The producer
  // stores 2n+1 into the word for its nth message (from 0), the consumer 2n+2 for its reply: the cache-line floor's
  // pattern. A sender's line for message n was last used by message n-2, which the peer read before it sent the
  // message this side received before sending n-1, so it may be written (staged) any time after n-1 is sent.
  struct InPlace {
    std::byte* line = nullptr;
    std::byte* rest[2][2] = {};    // [0: the producer's, 1: the consumer's][message number & 1], kInPlaceRest each
    std::uint64_t sent = 0, received = 0;
    std::uint64_t mine = 1;        // added to 2n: 1 for the producer, 2 for the consumer
    std::atomic<std::uint32_t>* sleep = nullptr;  // futex word this side sleeps on (block, hybrid)
    std::atomic<std::uint32_t>* wake = nullptr;   // the peer's
  };

  TransportOptions options_;
  Layout layout_;
  os::Mapping mapping_;
  Endpoint tx_, rx_;
  TransportCounters counters_;
  InPlace in_place_;
  bool staged_ = false;  // the slot at tx_.pos holds a message written by stage() and not yet published
  // The bytes of a message that share its sequence word's line: send_staged() writes them, stage() the rest.
  std::size_t staged_head() const {
    return layout_.payload < shm_ring::kSlotLine ? shm_ring::kSlotLine - layout_.payload : 0;
  }
};

// The ring's hot path, here rather than in shm.cpp so that it is inlined into the harness's loops: a stream's
// sender and receiver then run from one message to the next without a call, unless they wait. Each call had put a
// return address and saved registers into the store buffer behind the ring's own stores, which wait for their
// lines; with the harness's message layer inlined too, 64 B streams went from 59.7 to 90.9 M msgs/s (median of 12
// rotating rounds; README, "The hot path inline"). Every design takes it (they differ only in the lines they
// touch); a wait, the flush and the slip's look-ahead stay in shm.cpp.

template <const RingDesign& D>
[[gnu::always_inline]] inline std::atomic<std::uint64_t>& ShmRing<D>::seq_of(const Endpoint& e) {
  return *std::launder(reinterpret_cast<std::atomic<std::uint64_t>*>(e.cur));
}

// The short path's sender and reader reach the sequence word through this call, on purpose: that path is latency,
// and without the call 64 B ping-pongs were slower. Builds alternating in three sweeps of 6-12 rounds, medians of the
// p50 over the cache-line floor next to the usual floor: with the call on both sides 0.99-1.04x; inlined on both
// 1.09-1.23x; inlined in the sender only 1.08x, in the reader only 1.15x; inlined with a second pause in the poll
// 1.29x. 8 B round trips did not move. How long the writer's copy and word and the reader's poll take relative to
// each other decides how often the word's line crosses twice, and this arrangement measured best here (README,
// "The stream's last call"). Until 2026-12-05 every path had the call by accident (`extern template` kept seq_of
// out of line), a stream's producer too, which gains nothing measurable from losing it.
template <const RingDesign& D>
std::atomic<std::uint64_t>& ShmRing<D>::seq_of_called(const Endpoint& e) {
  return seq_of(e);
}

template <const RingDesign& D>
[[gnu::always_inline]] inline std::atomic<std::uint64_t>& ShmRing<D>::trailing_seq_of(const Endpoint& e) const {
  return *std::launder(reinterpret_cast<std::atomic<std::uint64_t>*>(e.cur + layout_.trailing_seq));
}

// `eager`: both sequence words are loaded before either is compared, so both lines are requested together
// (what a reader that has been waiting for a while wants: the message's lines then cross in parallel).
// Otherwise the trailing word is read only once the leading one matches, so a reader that is just behind
// a streaming writer keeps one line of the slot being written, not two, away from it.
template <const RingDesign& D>
[[gnu::always_inline]] inline bool ShmRing<D>::published_at(const std::byte* slot, std::uint64_t want,
                                                             std::memory_order mo, bool eager,
                                                             std::uint32_t* streak) const {
  auto word = [](const std::byte* p) -> const std::atomic<std::uint64_t>& {
    return *std::launder(reinterpret_cast<const std::atomic<std::uint64_t>*>(p));
  };
  const std::uint64_t lead = word(slot).load(mo);
  bool ok = (lead & ~shm_ring::kStreamingBit) == want;
  if (layout_.trailing_seq && (ok || eager)) ok &= word(slot + layout_.trailing_seq).load(mo) == want;
  if (ok && streak) *streak = (lead & shm_ring::kStreamingBit) != 0 ? *streak + 1 : 0;
  return ok;
}

template <const RingDesign& D>
[[gnu::always_inline]] inline bool ShmRing<D>::published(Endpoint& e, std::memory_order mo, bool eager) const {
  // The payload's first line travels together with the sequence word's. A prefetch, not a load: the producer
  // may be writing that line, and a load would race with its copy (ThreadSanitizer says so).
  if (eager && layout_.touch) __builtin_prefetch(e.cur + layout_.touch, 0, 3);
  return published_at(e.cur, e.pos + 1, mo, eager, &e.streak);
}

template <const RingDesign& D>
[[gnu::always_inline]] inline bool ShmRing<D>::streaming(const Endpoint& e) {
  return e.streak >= shm_ring::kStreamingStreak;
}

template <const RingDesign& D>
[[gnu::always_inline]] inline std::byte* ShmRing<D>::payload(const Endpoint& e) const {
  return e.cur + layout_.payload;
}

template <const RingDesign& D>
[[gnu::always_inline]] inline void ShmRing<D>::advance(Endpoint& e) const {
  ++e.pos;
  e.cur += layout_.stride;
  if (e.cur == e.end) e.cur = e.slots;
}

// Producer: is there a free slot at e.pos? The naive designs read both indices from the shared lines every
// time; the others trust their copy of the consumer's tail until it says "full".
template <const RingDesign& D>
[[gnu::always_inline]] inline bool ShmRing<D>::has_room(Endpoint& e) {
  RingHeader& r = *e.ring;
  if constexpr (D.cached_indices) {
    if (e.pos - e.cached < layout_.capacity) return true;
    e.cached = r.tail().load(std::memory_order_acquire);
    return e.pos - e.cached < layout_.capacity;
  } else {
    const std::uint64_t tail = r.tail().load(std::memory_order_acquire);
    return r.head.load(std::memory_order_relaxed) - tail < layout_.capacity;
  }
}

// Consumer: has the message at e.pos been published?
template <const RingDesign& D>
[[gnu::always_inline]] inline bool ShmRing<D>::has_message(Endpoint& e, bool eager) {
  RingHeader& r = *e.ring;
  if constexpr (D.slot_seq) {
    return published(e, std::memory_order_acquire, eager);
  } else if constexpr (D.cached_indices) {
    if (e.pos < e.cached) return true;
    e.cached = r.head.load(std::memory_order_acquire);
    return e.pos < e.cached;
  } else {
    const std::uint64_t head = r.head.load(std::memory_order_acquire);
    return r.tail().load(std::memory_order_relaxed) != head;
  }
}

// The sequence word published the message. A slipping producer also says where it stopped, but only after
// two or more messages since it last stopped: only then was the last one marked as sent mid-stream, and only
// then may its consumer be trailing and waiting for this head.
template <const RingDesign& D>
void ShmRing<D>::publish_head(Endpoint& e, bool force) {
  if constexpr (D.slot_seq) {
    if (D.slip && force) {
      if (e.pos - e.published >= 2) e.ring->head.store(e.pos, std::memory_order_release);
      e.published = e.pos;
    }
    return;
  } else {
    if (e.pos == e.published || (!force && e.pos - e.published < layout_.batch)) return;
    e.ring->head.store(e.pos, std::memory_order_release);
    e.published = e.pos;
    if (options_.wait != Wait::spin) wake_if_sleeping(e.ring->consumer_futex);
  }
}

template <const RingDesign& D>
[[gnu::always_inline]] inline void ShmRing<D>::publish_tail(Endpoint& e, bool force) {
  if (e.pos == e.published || (!force && e.pos - e.published < layout_.batch)) return;
  e.ring->tail().store(e.pos, std::memory_order_release);
  e.published = e.pos;
  if (options_.wait != Wait::spin) wake_if_sleeping(e.ring->producer_futex);
}

template <const RingDesign& D>
[[gnu::always_inline]] inline std::span<std::byte> ShmRing<D>::reserve() {
  if (!has_room(tx_)) [[unlikely]] wait_room(tx_);
  return {payload(tx_), options_.largest_message()};  // the harness takes its direction's size
}

template <const RingDesign& D>
[[gnu::always_inline]] inline void ShmRing<D>::commit() {
  Endpoint& e = tx_;
  if constexpr (D.slot_seq) {
    if (layout_.trailing_seq) trailing_seq_of(e).store(e.pos + 1, std::memory_order_release);
    const std::uint64_t mid_stream = D.slip && e.pos != e.published ? shm_ring::kStreamingBit : 0;
    seq_of(e).store((e.pos + 1) | mid_stream, std::memory_order_release);
    advance(e);
    if (options_.wait != Wait::spin) wake_if_sleeping(e.ring->consumer_futex);
  } else {
    advance(e);
    publish_head(e, false);
  }
  if (options_.rendezvous) wait_taken(e);
}

template <const RingDesign& D>
[[gnu::always_inline]] inline std::span<const std::byte> ShmRing<D>::peek() {
  // A trailing consumer (lookahead > 1) reads a message it already knows is there without a call: the slot
  // `lookahead - 1` ahead vouched for it (ready_ahead). Only when it reaches that mark does it go to wait_message.
  const bool there = layout_.lookahead > 1 ? rx_.pos < rx_.ready : has_message(rx_, false);
  if (!there) [[unlikely]] wait_message(rx_);
  return {payload(rx_), options_.largest_message()};
}

template <const RingDesign& D>
[[gnu::always_inline]] inline void ShmRing<D>::release() {
  advance(rx_);
  publish_tail(rx_, false);
}

// The short path (Layout::direct): a duplex ring that publishes every message and its tail one at a time, with no
// second sequence word, no trailing and no rendezvous (every design's ring of a ping-pong or rpc, unless --capacity
// makes it batch). What reserve/commit and peek/release do for it comes down to a few lines: the message is
// published unmarked (a ring that never trails has no use for the mark), the tail is stored after every message
// (by a design that batches its tail, before the reader waits: see recv), and the reader looks once inline, then
// waits in wait_message (poll, yield, sleep). In a round trip each side goes from the message it sees to the one
// it sends through this path, so its length is latency. One build with
// and without it (a development switch), 24 alternating rounds of `shm` ping-pongs: 0.95x the p50 at 8 B and 0.94x
// at 64 B (README, "The ring's short path"). Until 2026-12-05 the reader also polled inline for its spin budget;
// next to a 410-480 ns floor that loop cost 1.25x the floor at 8 B against 0.94x through wait_message (README,
// "The far regime"). Every design of the ablation takes it, so their round trips still differ only in the lines
// they touch (and in shm's prefetch of a 64 B message's second line).
template <const RingDesign& D>
[[gnu::always_inline]] inline void ShmRing<D>::send(std::span<const std::byte> msg) {
  if (layout_.direct) {
    Endpoint& e = tx_;
    if constexpr (D.stage) staged_ = false;  // this message replaces whatever stage() wrote into the slot
    if constexpr (D.in_place) {
      if (layout_.in_place) return send_in_place(msg, false);
    }
    if (!has_room(e)) [[unlikely]] wait_room(e);
    copy_message(payload(e), msg.data(), msg.size());
    if constexpr (D.slot_seq) {
      seq_of_called(e).store(e.pos + 1, std::memory_order_release);
      advance(e);
      if (options_.wait != Wait::spin) wake_if_sleeping(e.ring->consumer_futex);
    } else {
      advance(e);
      publish_head(e, false);  // batch 1: every message
    }
    return;
  }
  auto to = reserve();
  if (options_.duplex) {
    copy_message(to.data(), msg.data(), msg.size());
  } else if (layout_.stream_batch != 0 && tx_.pos != tx_.published) {  // streaming small messages, mid-stream
    Endpoint& e = tx_;
    copy_streaming_unfenced(to.data(), msg.data(), msg.size());
    if (e.held++ == 0) e.held_at = e.cur;
    ++counters_.streamed_messages;
    advance(e);
    if (e.held == layout_.stream_batch) publish_held(e);
    return;
  } else {
    copy_into_slot(to.data(), msg.data(), msg.size(), options_.streaming_copy_in);
    if (options_.streaming_copy_in && msg.size() >= kLargeCopyFrom) ++counters_.streamed_messages;
  }
  commit();
}

// Staging (D.stage: `shm`; `shm-unstaged` does not). On the short path a message's payload and its sequence word
// are stored one after the other, so a message that runs onto the slot's second line (a 64 B one: word and payload
// are 72 bytes) publishes two lines at once, and its reader takes the second with the first (the prefetch in
// published()). A round trip's sender knows its next message while it waits for the reply (the harness writes it
// then: TransportOps::round_trip and serve), and the slot it goes to is free by then: with two slots per direction,
// it held the message before the one just sent, whose reply has come back (has_room still checks). stage() copies
// the part of the message past the word's line into the slot during that wait; the reader, polling the word of that
// very slot, prefetches that line with each poll and has it before the word arrives; send_staged() writes the bytes
// on the word's line and the word, so only that line crosses when it matters, as for an 8 B message. Staging the
// bytes on the word's line too was worse (far, 8 rows each: 64 B at 1.05x the floor against 0.99x unstaged), as
// the reader polls that line while the writer writes it. The copy never touches the word, and the reader reads the
// payload only once the word says it is there (an acquire load, after the release store below), so it cannot see a
// half-written message.
template <const RingDesign& D>
[[gnu::always_inline]] inline bool ShmRing<D>::stage(std::span<const std::byte> msg) {
  if constexpr (D.stage && D.slot_seq) {
    if constexpr (D.in_place) {
      if (layout_.in_place) {  // the line for the rest is free as soon as the previous message is sent (InPlace)
        if (msg.size() <= shm_ring::kInPlaceHead) return false;
        InPlace& p = in_place_;
        copy_message(p.rest[p.mine - 1][p.sent & 1], msg.data() + shm_ring::kInPlaceHead,
                     msg.size() - shm_ring::kInPlaceHead);
        staged_ = true;
        return true;
      }
    }
    const std::size_t head = staged_head();
    if (!layout_.direct || msg.size() <= head) return false;
    // The slot is free once the peer has taken the message before the one just sent, and its tail says so a
    // moment after its reply to that message (the tail is stored after the reply: ShmRing::recv). Right after a
    // send, that store may still be on its way: without waiting for it, a far ping-pong staged only 55-60 % of its
    // 64 B messages, a near one 65-70 %. A few polls of the tail, then send() as usual.
    for (std::uint32_t polls = 0; !has_room(tx_); os::cpu_relax())
      if (++polls > shm_ring::kStagePolls) return false;
    copy_payload(payload(tx_) + head, msg.data() + head, msg.size() - head);
    staged_ = true;
    return true;
  } else {
    (void)msg;
    return false;
  }
}

template <const RingDesign& D>
[[gnu::always_inline]] inline void ShmRing<D>::send_staged(std::span<const std::byte> msg) {
  if constexpr (D.stage && D.slot_seq) {
    Endpoint& e = tx_;
    if (!staged_) [[unlikely]]
      throw std::logic_error("shm: send_staged() without a staged message (stage() said false, or send() came between)");
    staged_ = false;
    if constexpr (D.in_place) {
      if (layout_.in_place) {
        send_in_place(msg, true);
        ++counters_.staged_messages;
        return;
      }
    }
    copy_message(payload(e), msg.data(), staged_head());
    seq_of_called(e).store(e.pos + 1, std::memory_order_release);
    advance(e);
    ++counters_.staged_messages;
    if (options_.wait != Wait::spin) wake_if_sleeping(e.ring->consumer_futex);
  } else {
    (void)msg;
    throw std::logic_error("shm: send_staged() on a design that does not stage");
  }
}

template <const RingDesign& D>
[[gnu::always_inline]] inline void ShmRing<D>::recv(std::span<std::byte> msg) {
  if (layout_.direct) {
    if constexpr (D.in_place) {
      if (layout_.in_place) return recv_in_place(msg);
    }
    Endpoint& e = rx_;
    auto arrived = [&] {
      if constexpr (D.slot_seq) return seq_of_called(e).load(std::memory_order_acquire) == e.pos + 1;
      else return has_message(e, false);
    };
    if (!arrived()) wait_message(e);
    copy_message(msg.data(), payload(e), msg.size());
    advance(e);
    // A design that batches its tail defers it here too: wait_message publishes it (flush) before this side
    // waits, and so does taking the last unpublished slot of the ring. In a round trip that is after this
    // side's reply is stored, off the path from request to reply; stored here, the tail went into the store
    // buffer ahead of the reply, and under hybrid or block the fence of wake_if_sleeping held the reply back
    // until the producer's copy of the tail's line was invalidated. With a development switch, rounds
    // alternating it next to a 410-480 ns floor (2026-12-06): hybrid 8 B p50 429-451 -> 407-426 ns, 64 B
    // 456-470 -> 421-450 ns; spin's p50 the same, its p99 lower (README, "Reading ahead, the tail after the
    // reply, and code layout").
    if constexpr (D.batch > 1) {
      if (e.pos - e.published >= layout_.capacity) publish_tail(e, true);
    } else {
      publish_tail(e, false);  // batch 1: every message
    }
    return;
  }
  auto from = peek();
  if (options_.duplex) copy_message(msg.data(), from.data(), msg.size());
  else copy_payload(msg.data(), from.data(), msg.size());
  release();
}

// Answering in place (Layout::in_place, InPlace): a round trip's two messages take turns on one line, the
// cache-line floor's pattern, where a ring's request and reply each have lines of their own (the two-line floor's).
// Which of the two patterns is faster depends on the two CPUs and changes with the coherence regime, so the harness
// picks one per run from both floors measured just before it (--reply-line auto; README, "Answering in place"). The
// bytes of a message past the line go to lines of the sender's own, written early when the harness stages them.
template <const RingDesign& D>
[[gnu::always_inline]] inline void ShmRing<D>::send_in_place(std::span<const std::byte> msg, bool staged) {
  InPlace& p = in_place_;
  // the producer sends once it has every reply (sent == received), the consumer when it owes one
  if (p.received != p.sent + (p.mine - 1) || msg.size() > shm_ring::kInPlaceMost) [[unlikely]] out_of_turn("send", msg);
  const std::size_t head = msg.size() < shm_ring::kInPlaceHead ? msg.size() : shm_ring::kInPlaceHead;
  if (!staged && msg.size() > head) copy_message(p.rest[p.mine - 1][p.sent & 1], msg.data() + head, msg.size() - head);
  copy_message(p.line + sizeof(std::uint64_t), msg.data(), head);
  std::launder(reinterpret_cast<std::atomic<std::uint64_t>*>(p.line))
      ->store(2 * p.sent + p.mine, std::memory_order_release);
  ++p.sent;
  ++counters_.in_place_messages;
  if (options_.wait != Wait::spin) wake_if_sleeping(*p.wake);
}

template <const RingDesign& D>
[[gnu::always_inline]] inline void ShmRing<D>::recv_in_place(std::span<std::byte> msg) {
  InPlace& p = in_place_;
  // the producer receives when it owes nothing but its reply (sent == received + 1), the consumer when it owes none
  if (p.sent != p.received + (2 - p.mine) || msg.size() > shm_ring::kInPlaceMost) [[unlikely]] out_of_turn("recv", msg);
  const std::uint64_t want = 2 * p.received + (3 - p.mine);  // the peer's word for its message number `received`
  const std::size_t head = msg.size() < shm_ring::kInPlaceHead ? msg.size() : shm_ring::kInPlaceHead;
  const std::byte* rest = msg.size() > head ? p.rest[2 - p.mine][p.received & 1] : nullptr;
  if (std::launder(reinterpret_cast<const std::atomic<std::uint64_t>*>(p.line))->load(std::memory_order_acquire) !=
      want)
    wait_in_place(want, rest, msg.size() - head);
  copy_message(msg.data(), p.line + sizeof(std::uint64_t), head);
  if (rest) copy_message(msg.data() + head, rest, msg.size() - head);
  ++p.received;
}

extern template class ShmRing<kRingNaive>;
extern template class ShmRing<kRingPadded>;
extern template class ShmRing<kRingCached>;
extern template class ShmRing<kRingBatched>;
extern template class ShmRing<kRingSlotSeq>;
extern template class ShmRing<kRingFalseShare>;
extern template class ShmRing<kRingZeroCopy>;
extern template class ShmRing<kRingTwoSeq>;
extern template class ShmRing<kRingSlip>;
extern template class ShmRing<kRingSlipPacked>;
extern template class ShmRing<kRingPrefetch>;
extern template class ShmRing<kRingQuarter>;
extern template class ShmRing<kRingShm>;
extern template class ShmRing<kRingUnstaged>;
extern template class ShmRing<kRingAdjacent>;

using ShmTransport = ShmRing<kRingShm>;

// Not transports: the copy-in/copy-out ceilings of a ring with the same slot count (stream only, no --verify).
//   shm-rawcopy (kFollow false): the producer copies each message into the next slot and the consumer copies
//     one out, with no synchronisation at all. Nothing keeps the consumer behind the producer: it may read a slot
//     before or while it is written, and in practice runs ahead and copies out old laps (lines the producer has
//     not written since, which cross no cache boundary); `in_sequence_messages` in the JSON shows how few of the
//     messages it read were the ones sent.
//   shm-rawcopy-follow (kFollow true): the same copies, and the producer stores its count of messages after each
//     copy; the consumer copies out a slot only once that count covers it. The producer still never waits (it
//     may overwrite a slot the consumer has not read: `in_sequence_messages` counts what arrived intact), so
//     this is a copy that moves each payload across with the least coordination there is: one word written
//     per message, read only when the consumer has caught up.
template <bool kFollow>
class ShmCopyBaseline {
 public:
  explicit ShmCopyBaseline(const TransportOptions& options);
  ShmCopyBaseline split_consumer() const;
  void open(Role) {}
  void send(std::span<const std::byte> msg);
  void recv(std::span<std::byte> msg);
  [[nodiscard]] TransportCounters counters() const { return counters_; }
  [[nodiscard]] Effective effective() const { return {capacity_, capacity_ * stride_}; }
  static Capabilities capabilities();

 private:
  ShmCopyBaseline() = default;
  std::size_t stride_ = 0, capacity_ = 0;
  os::Mapping mapping_;
  std::byte* slots_ = nullptr;
  std::atomic<std::uint64_t>* written_ = nullptr;  // follow: messages copied in so far, on a 128-byte pair of its own
  std::size_t tx_ = 0, rx_ = 0;                     // slot indices
  std::uint64_t sent_ = 0, received_ = 0, seen_ = 0;  // follow: counts, and the last value of *written_ read
  std::uint32_t spin_budget_ = 0;
  bool streaming_ = false;  // TransportOptions::streaming_copy_in: the ring's copy-in, so the comparison stays fair
  TransportCounters counters_;
};
using ShmRawCopy = ShmCopyBaseline<false>;
using ShmFollowCopy = ShmCopyBaseline<true>;

}  // namespace ipcbench
