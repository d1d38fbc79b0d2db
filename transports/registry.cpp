#include "transports/registry.hpp"

#include "harness/runner.hpp"
#include "transports/mq.hpp"
#include "transports/pipe.hpp"
#include "transports/shm.hpp"
#include "transports/tcp.hpp"
#include "transports/unix.hpp"
#include "transports/unixdgram.hpp"

namespace ipcbench {

namespace {
template <Transport T>
constexpr TransportEntry row(std::string_view name, std::string_view summary) {
  return {name, summary, &T::capabilities, &run_transport<T>};
}

template <const RingDesign& D>
constexpr TransportEntry ring(std::string_view name, std::string_view summary,
                              EntryKind kind = EntryKind::ring_variant) {
  return {name, summary, &ShmRing<D>::capabilities, &run_transport<ShmRing<D>>, kind, &D};
}

constexpr TransportEntry kTable[] = {
    ring<kRingShm>("shm", "shared-memory SPSC ring, per-slot sequence words kept off the payload's lines, trails a "
                   "streaming writer and prefetches what it wrote; futex wake-ups only for sleepers",
                   EntryKind::transport),
    row<MqTransport>("mq", "POSIX message queue (mq_open); capacity = mq_maxmsg, size <= fs.mqueue.msgsize_max"),
    row<PipeTransport>("pipe", "anonymous pipes (one per direction); capacity via F_SETPIPE_SZ"),
    row<UnixTransport>("unix", "Unix domain stream socket pair (socketpair)"),
    row<UnixDgramTransport>("unixdgram", "Unix domain datagram socket pair: one datagram per message, boundaries kept"),
    row<TcpTransport>("tcp", "TCP over 127.0.0.1, ephemeral port, TCP_NODELAY"),
    // The shm ring ablation, simplest first; `shm` above is the last step.
    ring<kRingNaive>("shm-naive", "ring ablation: Lamport ring, head and tail on one line, both read every operation"),
    ring<kRingPadded>("shm-padded", "ring ablation: head and tail on cache lines of their own"),
    ring<kRingCached>("shm-cached", "ring ablation: padded + private copies of the other side's index"),
    ring<kRingBatched>("shm-batched", "ring ablation: cached + indices published once per batch (or before waiting)"),
    ring<kRingSlotSeq>("shm-slotseq", "ring ablation: cached + a sequence word in every slot, no head index (FastForward)"),
    ring<kRingTwoSeq>("shm-2seq", "ring ablation: slotseq + a second sequence word after a message that spills a line"),
    ring<kRingSlip>("shm-slip", "ring ablation: 2seq + the consumer trails a streaming producer (temporal slipping)"),
    ring<kRingSlipPacked>("shm-slip-packed", "ring ablation: slip with slots that fit a line packed (4 x 8 B per line) "
                          "and the tail published per 16 messages"),
    ring<kRingPrefetch>("shm-prefetch", "ring ablation: slip-packed + a trailing consumer prefetches the batch it found "
                        "complete"),
    ring<kRingQuarter>("shm-quarter", "ring ablation: shm with a trailing consumer a quarter of the ring (at most 16 "
                       "slots) behind at every size, as shm was before 2026-12-04"),
    ring<kRingUnstaged>("shm-unstaged", "ring ablation: shm whose round trips copy each message into its slot when "
                        "they send it, not (the part past its word's line) while the previous one is answered"),
    ring<kRingFalseShare>("shm-packed", "ring ablation: slotseq with slots packed, not padded to lines (false sharing)"),
    ring<kRingZeroCopy>("shm-zerocopy", "ring ablation: slotseq, message written and read in place (reserve/commit)"),
    ring<kRingAdjacent>("shm-adjacent", "ring ablation: shm-quarter with a payload of 57 B or more on the line right "
                        "after its sequence word (one 128-byte pair), not two lines on"),
    {"shm-rawcopy", "baseline, not a transport: memcpy into and out of shm slots, no synchronisation (stream only)",
     &ShmRawCopy::capabilities, &run_transport<ShmRawCopy>, EntryKind::baseline, nullptr},
    {"shm-rawcopy-follow", "baseline, not a transport: shm-rawcopy whose consumer copies out a slot only once the "
     "producer's count (stored after each copy, never waited on by the producer) covers it (stream only)",
     &ShmFollowCopy::capabilities, &run_transport<ShmFollowCopy>, EntryKind::baseline, nullptr},
};
}  // namespace

std::span<const TransportEntry> transport_table() { return kTable; }

std::vector<std::string> transport_group(std::string_view group) {
  std::vector<std::string> out;
  if (group == "ablation") {  // in the order of the ladder, then the toggles, then the ceiling
    for (auto n : {"shm-naive", "shm-padded", "shm-cached", "shm-batched", "shm-slotseq", "shm-2seq", "shm-slip",
                   "shm-slip-packed", "shm-prefetch", "shm-quarter", "shm-unstaged", "shm", "shm-packed",
                   "shm-zerocopy", "shm-adjacent", "shm-rawcopy", "shm-rawcopy-follow"})
      out.emplace_back(n);
    return out;
  }
  for (const auto& e : kTable) {
    const bool in = group == "default" ? e.kind == EntryKind::transport
                    : group == "all"   ? e.kind != EntryKind::baseline
                                       : false;
    if (in) out.emplace_back(e.name);
  }
  return out;
}

const TransportEntry* find_transport(std::string_view name) {
  for (const auto& e : kTable)
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace ipcbench
