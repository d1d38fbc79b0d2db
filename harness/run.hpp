#pragma once
// What one run is asked to do (RunConfig) and what it measured (RunResult).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/open_loop.hpp"
#include "harness/os/perf.hpp"
#include "harness/stats.hpp"
#include "transports/transport.hpp"

namespace ipcbench {

// rpc: a request and a reply of its own size (--reply-sizes); pingpong is rpc with equal sizes, measured by the
// same loop. mailbox: P producers and C consumers share one mailbox (harness/mailbox.hpp). rate: an open loop
// at a fixed offered rate (harness/open_loop.hpp).
enum class Pattern { pingpong, stream, rpc, mailbox, rate };
inline const char* to_string(Pattern p) {
  switch (p) {
    case Pattern::pingpong: return "pingpong";
    case Pattern::stream: return "stream";
    case Pattern::rpc: return "rpc";
    case Pattern::mailbox: return "mailbox";
    case Pattern::rate: return "rate";
  }
  return "?";
}
// Patterns whose producer sends a request and blocks for exactly one reply.
inline bool round_trip(Pattern p) { return p == Pattern::pingpong || p == Pattern::rpc; }

struct CpuPair {
  int producer = 0;
  int consumer = 0;
  bool operator==(const CpuPair&) const = default;
  [[nodiscard]] std::string str() const { return std::to_string(producer) + ":" + std::to_string(consumer); }
};

// Test hooks: make the consumer die, stop answering or fail (throw) after receiving this many messages, or
// sleep before every receive (a slow consumer, so a bounded buffer fills up).
// A dying consumer (SIGKILL) exists only in process mode; thread mode refuses it.
struct Fault {
  std::int64_t consumer_kill_after = -1;
  std::int64_t consumer_stall_after = -1;
  std::int64_t consumer_fail_after = -1;
  std::uint32_t consumer_delay_us = 0;
  std::size_t consumer_reply_bytes = 0;  // round trips: reply with this many bytes instead of the agreed size
};

// --capacity: what was asked for one direction. Default-constructed: the transport's default (not given).
struct Capacity {
  enum class Kind { transport_default, rendezvous, bounded, unbounded };
  Kind kind = Kind::transport_default;
  std::size_t messages = 0;  // bounded only, >= 1

  static Capacity rendezvous() { return {Kind::rendezvous, 0}; }
  static Capacity bounded(std::size_t n) { return {Kind::bounded, n}; }
  static Capacity unbounded() { return {Kind::unbounded, 0}; }
  bool operator==(const Capacity&) const = default;
  // "default", "0", "16", "unbounded": as typed on the command line
  [[nodiscard]] std::string str() const {
    switch (kind) {
      case Kind::transport_default: return "default";
      case Kind::rendezvous: return "0";
      case Kind::bounded: return std::to_string(messages);
      case Kind::unbounded: return "unbounded";
    }
    return "?";
  }
  // "default", "rendezvous", "bounded", "unbounded": the JSON's `buffering`
  [[nodiscard]] const char* buffering() const {
    switch (kind) {
      case Kind::transport_default: return "default";
      case Kind::rendezvous: return "rendezvous";
      case Kind::bounded: return "bounded";
      case Kind::unbounded: return "unbounded";
    }
    return "?";
  }
};

// --copy-in: how a one-way shm ring and its copy baselines copy a message of kLargeCopyFrom bytes or more into
// their slots, and the `shm` ring smaller ones too (ring_stream_batch). automatic is resolved by the harness before
// each run (resolve_copy_in); a run that still says automatic (a test, the Google Benchmark front end) copies with
// ordinary stores.
enum class CopyIn { automatic, cached, streaming };
inline const char* to_string(CopyIn c) {
  return c == CopyIn::streaming ? "streaming" : c == CopyIn::cached ? "cached" : "auto";
}

// --reply-line: whether a round trip over a ring that can (`shm`, messages of up to 1080 B, default capacity) answers
// in the line the request came in (shared: one line both sides write, the cache-line floor's pattern) or on a line of
// its own (own: one writer per line, the two-line floor's). automatic is resolved before each run from the two
// floors measured just before it (resolve_reply_line); a run that still says automatic (a test, the Google
// Benchmark front end, one CPU) keeps its own line.
enum class ReplyLine { automatic, own, shared };
inline const char* to_string(ReplyLine r) {
  return r == ReplyLine::shared ? "shared" : r == ReplyLine::own ? "own" : "auto";
}

struct RunConfig {
  std::string transport = "shm";
  Pattern pattern = Pattern::pingpong;
  Wait wait = Wait::spin;
  std::size_t payload_bytes = 64;  // the request's size for rpc
  std::size_t reply_bytes = 0;     // rpc: --reply-sizes; 0 = payload_bytes
  unsigned producers = 1, consumers = 1;  // mailbox: --producers, --consumers
  CpuPair cpus;
  std::string placement = "cross-core";
  Capacity capacity;             // per direction; a sweep axis
  std::uint64_t messages = 0;    // 0: as many as fit in duration_s (estimated from the warm-up)
  double duration_s = 0.25;
  std::uint64_t warmup = 1000;
  bool verify = false;
  double timeout_s = 5.0;        // no progress for this long fails the run
  std::uint32_t spin_budget = 0; // 0: automatic, small when both ends share a CPU
  bool threads = false;          // producer and consumer as two threads of one process (same worker code)
  Fault fault;
  OfferedRate rate;              // pattern rate: the offered load (harness/open_loop.hpp)
  bool one_way = false;          // pingpong: the consumer also times each request one way (--one-way)
  CopyIn copy_in = CopyIn::automatic;  // --copy-in (requested; resolve_copy_in sets the stores and why)
  CopyIn copy_in_stores = CopyIn::cached;
  std::string copy_in_why;       // empty: the run makes no such copy (copy_in_applies)
  ReplyLine reply_line = ReplyLine::automatic;  // --reply-line (requested; resolve_reply_line sets the line and why)
  ReplyLine reply_line_used = ReplyLine::own;
  std::string reply_line_why;    // empty: the run's transport has no choice (reply_line_applies)
};

struct SideStats {
  int cpu = -1;
  double user_ns = 0, sys_ns = 0;  // measured phase only (getrusage RUSAGE_THREAD)
  std::int64_t vol_ctx_switches = 0, invol_ctx_switches = 0;
  TransportCounters counters;      // measured phase only
  std::uint64_t verified = 0;      // messages checked (seq + checksum) with --verify, warm-up included
  // Messages received in the measured phase whose payload carried the sequence number this side expected
  // (payload::carries; every message is checked, with or without --verify). Equal to the messages received for
  // every transport; a baseline whose producer never waits (shm-rawcopy) may read other laps' data. Absent
  // on a side that receives nothing (a stream's producer) and for the floors.
  std::optional<std::uint64_t> in_sequence;
  os::PerfReading perf;            // measured phase only; a value is absent where this machine cannot count it
  // System calls the harness itself makes inside the measured phase (stopping the counters, the stream's
  // "done" message, clock reads where they are system calls): in perf's syscall count, not the transport's.
  std::uint64_t harness_syscalls = 0;
  std::int64_t cpu_after = -1;  // sched_getcpu() at the end of the measured phase: pinning still honoured?

  // raw_syscalls:sys_enter over the phase minus harness_syscalls: what the transport's calls cost the
  // kernel, to compare with counters.syscalls. Absent when the tracepoint could not be counted.
  [[nodiscard]] std::optional<std::uint64_t> kernel_syscalls() const {
    auto raw = perf[os::Counter::syscalls];
    if (!raw) return std::nullopt;
    return *raw > harness_syscalls ? *raw - harness_syscalls : 0;
  }
};

// Mailbox runs: who sent and who received each message (indices: producer p, consumer c).
struct MailboxStats {
  std::vector<int> producer_cpus, consumer_cpus;
  std::vector<std::uint64_t> sent;                   // per producer
  std::vector<std::uint64_t> per_consumer;           // messages each consumer received
  std::vector<std::vector<std::uint64_t>> per_pair;  // [p][c]: from producer p, received by consumer c
  std::string end_protocol;                          // how consumers learnt the run was over
};

struct RunResult {
  RunConfig config;
  std::string status = "ok";  // ok | error | skipped
  std::string error;
  std::uint64_t messages = 0;  // measured
  std::uint64_t warmup = 0;
  double elapsed_ns = 0;       // measured phase: first send .. last reply / consumer's confirmation
  std::vector<double> rtt_ns;  // round-trip samples (mailbox: one-way, send to receive), sorted once summarised
  Summary rtt;
  Histogram histogram;
  double msgs_per_s = 0, bytes_per_s = 0;
  SideStats producer, consumer;
  Effective effective;
  // How --capacity was carried out: "" (not rendezvous), "native", "emulated: ack per message" or, for
  // pingpong, "implied: pingpong waits for each reply"; and what "unbounded" meant for this transport here.
  std::string rendezvous;
  std::string unbounded_means;
  bool full_waits_counted = false;  // counters.full_waits is known for this transport and wait strategy
  std::uint64_t sent = 0;           // producer: messages whose send returned, warm-up included (also on failure)
  std::uint32_t spin_budget = 0;
  double wall_s = 0;  // whole run including fork, handshake, warm-up and teardown
  OneWay one_way;       // rate, and pingpong with --one-way: the consumer's deltas from the send stamps
  OpenLoop open_loop;   // rate only
  double stream_drain_ns = -1;  // stream: producer's last send returned .. consumer confirmed the last byte
  std::vector<std::string> warnings;  // conditions that distort this run (harness/open_loop.hpp)
  std::optional<MailboxStats> mailbox;
};

std::uint32_t auto_spin_budget(const CpuPair& cpus);
// Bytes of each reply: rpc's own size, else the request's.
inline std::size_t reply_size(const RunConfig& cfg) {
  return cfg.pattern == Pattern::rpc && cfg.reply_bytes != 0 ? cfg.reply_bytes : cfg.payload_bytes;
}

}  // namespace ipcbench
