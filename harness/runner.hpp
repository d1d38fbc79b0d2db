#pragma once
// The one measuring loop. run_transport<T>() is instantiated once per transport (no virtual call per
// message); the cache-line floor uses the same loops with its own Ops. The harness forks the consumer,
// pins both sides, handshakes, warms up, sizes the measured phase from the warm-up, measures, collects
// the consumer's report and reaps it; any failure becomes a RunResult with status "error".
// Thread mode (RunConfig::threads) runs the same two sides in two threads of this process instead, so
// ThreadSanitizer can check a transport's memory ordering; only the pair runner differs.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "harness/clock.hpp"
#include "harness/os/cancel.hpp"
#include "harness/os/control.hpp"
#include "harness/os/perf.hpp"
#include "harness/payload.hpp"
#include "harness/run.hpp"
#include "harness/os/mapping.hpp"

namespace ipcbench {

namespace detail {

// Keeps payload reads from being optimised away: each side sums what it reads in its own Ops and adds the sum
// here once, when the Ops ends (per message, in thread mode, both sides would bounce this line between them).
// Atomic because in thread mode both sides add to it.
extern volatile std::atomic<std::uint64_t> g_sink;

struct Usage {
  double user_ns = 0, sys_ns = 0;
  std::int64_t vol = 0, invol = 0;
  static Usage now();
  Usage operator-(const Usage& o) const { return {user_ns - o.user_ns, sys_ns - o.sys_ns, vol - o.vol, invol - o.invol}; }
};

TransportCounters minus(const TransportCounters& a, const TransportCounters& b);

// Aligned, pre-faulted message buffer.
struct Buffer {
  explicit Buffer(std::size_t n);
  std::span<std::byte> span() { return {data.get(), size}; }
  struct Free {
    void operator()(std::byte* p) const { ::operator delete[](p, std::align_val_t{64}); }
  };
  std::unique_ptr<std::byte[], Free> data;
  std::size_t size;
};

std::uint64_t measured_count(const RunConfig& cfg, std::uint64_t warmup_ticks, std::uint64_t warmup_msgs);

using Side = std::function<void(os::ControlChannel&, int pinned_cpu)>;
// Fork/pin/handshake/diagnosis shared by every run. `setup` runs in the parent before fork.
void run_process_pair(const RunConfig& cfg, RunResult& res, const std::function<void()>& setup,
                      const Side& producer, const Side& consumer);
// The same with the consumer in a thread (os::PeerThread) of this process: `setup` runs before the thread
// starts, each side keeps its own end of the control channel, a consumer failure is reported over it as in
// process mode, and the thread is always joined. A killed consumer cannot be simulated here: a run with
// fault.consumer_kill_after set is refused (status "error").
void run_thread_pair(const RunConfig& cfg, RunResult& res, const std::function<void()>& setup,
                     const Side& producer, const Side& consumer);

// One side's figures for the measured phase, the same for producer and consumer.
SideStats side_stats(int cpu, const Usage& u, const TransportCounters& c, std::uint64_t verified,
                     std::optional<std::uint64_t> in_sequence, const os::PerfReading& perf,
                     std::uint64_t harness_syscalls);
// ops.in_sequence() now minus its value `from` the start of the measured phase (absent if either is).
template <class Ops>
std::optional<std::uint64_t> in_sequence_since(const Ops& ops, std::optional<std::uint64_t> from) {
  const std::optional<std::uint64_t> now = ops.in_sequence();
  if (!now || !from) return std::nullopt;
  return *now - *from;
}
// System calls the harness makes between ThreadCounters::start() and stop() on each side, which the
// syscall tracepoint counts and the transport does not: the counter's own stop, and on the producer's side
// its clock reads if they are system calls here plus, for stream, the control-channel recv of "done".
std::uint64_t producer_harness_syscalls(Pattern pattern, std::uint64_t n);
inline constexpr std::uint64_t kConsumerHarnessSyscalls = os::ThreadCounters::kOwnSyscalls;

void send_report(os::ControlChannel& ctl, const SideStats& s);
void read_report(os::ControlChannel& ctl, SideStats& s);
void finish(RunResult& res, const std::vector<std::uint64_t>& ticks);

template <class Ops>
void flush_held_back(Ops& ops) {
  if constexpr (requires { ops.flush(); }) ops.flush();
}

// The consumer's test hooks (Fault), called before it receives message number `received`.
inline void inject_fault(const Fault& f, std::uint64_t received) {
  if (f.consumer_kill_after >= 0 && received == static_cast<std::uint64_t>(f.consumer_kill_after)) ::raise(SIGKILL);
  if (f.consumer_stall_after >= 0 && received == static_cast<std::uint64_t>(f.consumer_stall_after))
    for (;;) {
      ::pause();
      os::check_cancel();  // a process is killed; a thread must be called off
    }
  if (f.consumer_fail_after >= 0 && received == static_cast<std::uint64_t>(f.consumer_fail_after))
    throw std::runtime_error("injected failure after " + std::to_string(received) + " messages");
  if (f.consumer_delay_us != 0) ::usleep(f.consumer_delay_us);
}

// Messages whose send returned, kept also when the run fails (a rendezvous test reads it after a stall).
struct NoteSent {
  RunResult& res;
  const std::uint64_t& seq;
  ~NoteSent() { res.sent = seq; }
};

// The producer's start, the same for every loop: the consumer's "ready", "go", the warm-up (round trips, or
// one-way sends whose end the consumer confirms), nothing held back. Counts `seq` up; returns the warm-up's ticks.
template <class Ops>
std::uint64_t producer_warm_up(Ops& ops, const RunConfig& cfg, os::ControlChannel& ctl, RunResult& res,
                               std::uint64_t& seq, bool round_trips) {
  res.consumer.cpu = ctl.receive(os::ControlMessage::ready).cpu;
  os::ControlMessage go;
  go.type = os::ControlMessage::go;
  go.count = cfg.warmup;
  ctl.send(go);
  const auto w0 = Clock::now();
  for (; seq < cfg.warmup; ++seq) {
    if (round_trips) ops.round_trip(seq);
    else ops.send_one(seq);
    os::note_progress();
  }
  flush_held_back(ops);  // nothing held back (batching) while the consumer reports the end of the warm-up
  if (!round_trips) ctl.receive(os::ControlMessage::warmup_done);
  return Clock::now() - w0;
}

// The consumer's side of it: "ready" with its CPU, the warm-up count from "go", the warm-up (serving requests,
// or receiving and then confirming), nothing held back. Counts `seq` up.
template <class Ops>
void consumer_warm_up(Ops& ops, const RunConfig& cfg, os::ControlChannel& ctl, int cpu, std::uint64_t& seq,
                      bool round_trips) {
  os::ControlMessage ready;
  ready.type = os::ControlMessage::ready;
  ready.cpu = cpu;
  ctl.send(ready);
  const std::uint64_t warmup = ctl.receive(os::ControlMessage::go).count;
  for (; seq < warmup; ++seq) {
    inject_fault(cfg.fault, seq);
    if (round_trips) ops.serve(seq);
    else ops.recv_one(seq);
  }
  flush_held_back(ops);  // the last reply must not wait for a request that never comes
  if (!round_trips) {
    os::ControlMessage m;
    m.type = os::ControlMessage::warmup_done;
    ctl.send(m);
  }
}

// Producer side of the patterns, generic over Ops:
//   ops.round_trip(seq)  pingpong and rpc: one request and its reply
//   ops.send_one(seq)    stream: one message
template <class Ops>
void produce(Ops& ops, const RunConfig& cfg, os::ControlChannel& ctl, RunResult& res) {
  os::ThreadCounters perf;  // opened (system calls) long before the measured phase
  const bool pingpong = round_trip(cfg.pattern);  // pingpong and rpc: one loop
  std::uint64_t seq = 0;
  NoteSent note_sent{res, seq};
  const auto warmup_ticks = producer_warm_up(ops, cfg, ctl, res, seq, pingpong);
  const std::uint64_t n = measured_count(cfg, warmup_ticks, cfg.warmup);
  std::vector<std::uint64_t> ticks(pingpong ? n : 0, 0);  // zero-filled: no page faults in the loop
  os::ControlMessage measure;
  measure.type = os::ControlMessage::measure;
  measure.count = n;
  ctl.send(measure);

  const auto harness_syscalls = producer_harness_syscalls(cfg.pattern, n);
  const auto c0 = ops.counters();
  const auto q0 = ops.in_sequence();
  const auto u0 = Usage::now();
  perf.start();
  const auto t_start = Clock::now();
  std::uint64_t t_end;
  if (pingpong) {
    std::uint64_t prev = t_start;
    for (std::uint64_t i = 0; i < n; ++i, ++seq) {
      ops.round_trip(seq);
      const auto t = Clock::now();
      ticks[i] = t - prev;
      prev = t;
      os::note_progress();
    }
    t_end = prev;
  } else {
    for (std::uint64_t i = 0; i < n; ++i, ++seq) {
      ops.send_one(seq);
      os::note_progress();
    }
    flush_held_back(ops);
    const auto t_sent = Clock::now();
    ctl.receive(os::ControlMessage::done);  // the consumer has read the last byte
    t_end = Clock::now();
    res.stream_drain_ns = Clock::to_ns(t_end - t_sent);
  }
  perf.stop();
  const auto u = Usage::now() - u0;
  res.messages = n;
  res.warmup = cfg.warmup;
  res.elapsed_ns = Clock::to_ns(t_end - t_start);
  res.producer =
      side_stats(res.producer.cpu, u, minus(ops.counters(), c0), ops.verified(),
                 pingpong ? in_sequence_since(ops, q0) : std::nullopt, perf.read(), harness_syscalls);
  read_report(ctl, res.consumer);
  finish(res, ticks);
}

//   ops.serve(seq)     pingpong and rpc: receive a request, send its reply
//   ops.recv_one(seq)  stream: receive one message
template <class Ops>
void consume(Ops& ops, const RunConfig& cfg, os::ControlChannel& ctl, int cpu) {
  os::ThreadCounters perf;
  const bool pingpong = round_trip(cfg.pattern);  // pingpong and rpc: one loop
  auto fault = [&](std::uint64_t received) { inject_fault(cfg.fault, received); };
  std::uint64_t seq = 0;
  consumer_warm_up(ops, cfg, ctl, cpu, seq, pingpong);
  const std::uint64_t n = ctl.receive(os::ControlMessage::measure).count;
  const auto c0 = ops.counters();
  const auto q0 = ops.in_sequence();
  const auto u0 = Usage::now();
  perf.start();
  for (std::uint64_t end = seq + n; seq < end; ++seq) {
    fault(seq);
    if (pingpong) ops.serve(seq);
    else ops.recv_one(seq);
  }
  flush_held_back(ops);
  perf.stop();  // before "done": the consumer's phase holds no system call of the harness but the stop
  if (!pingpong) {
    os::ControlMessage m;
    m.type = os::ControlMessage::done;
    ctl.send(m);
  }
  send_report(ctl, side_stats(cpu, Usage::now() - u0, minus(ops.counters(), c0), ops.verified(),
                              in_sequence_since(ops, q0), perf.read(), kConsumerHarnessSyscalls));
}

// Binds a transport and the payload discipline into the Ops the loops above expect. A zero-copy
// transport (T::zero_copy) has the payload written and read in place in its slot; every other one copies
// from and into the side's own message buffer. With `ack_each` (an emulated rendezvous in stream), every
// message is acknowledged by the consumer with one message of the same size on the reverse direction as
// soon as it has taken it, and the producer's send returns only with that acknowledgement. Nobody writes or
// reads the acknowledgement's payload.
template <class T>
concept ZeroCopyTransport = Transport<T> && T::zero_copy && requires(T t) {
  { t.reserve() } -> std::same_as<std::span<std::byte>>;
  t.commit();
  { t.peek() } -> std::same_as<std::span<const std::byte>>;
  t.release();
};

// A transport that can take a round trip's next message into its slot before sending it (ShmRing::stage).
template <class T>
concept StagingTransport = Transport<T> && requires(T t, std::span<const std::byte> m) {
  { t.stage(m) } -> std::same_as<bool>;
  { t.staged() } -> std::same_as<bool>;
  t.send_staged(m);
};

// `send_bytes` and `recv_bytes` are this side's sizes: the producer sends requests and receives replies, the
// consumer the other way round (equal except in rpc). Zero-copy slots hold the larger; each side uses its own.
template <Transport T>
class TransportOps {
 public:
  TransportOps(T& t, std::size_t send_bytes, std::size_t recv_bytes, bool verify, bool ack_each = false)
      : t_(t),
        out_(ZeroCopyTransport<T> ? 0 : send_bytes),
        in_(ZeroCopyTransport<T> ? 0 : recv_bytes),
        send_bytes_(send_bytes),
        recv_bytes_(recv_bytes),
        verify_(verify),
        ack_each_(ack_each) {
    if (const std::size_t n = ahead_buffers(send_bytes)) {
      ahead_.reserve(n);
      for (std::size_t i = 0; i < n; ++i) ahead_.emplace_back(send_bytes);
      ahead_seq_.assign(n, kNotFilled);
    }
  }
  TransportOps(T& t, std::size_t bytes, bool verify, bool ack_each = false) : TransportOps(t, bytes, bytes, verify, ack_each) {}
  ~TransportOps() { g_sink.fetch_add(sink_, std::memory_order_relaxed); }

  // Pingpong and rpc. A copying transport's round trip carries none of the harness's own work on the payload
  // where it can wait: each side writes its next message while the peer's is on its way, and the consumer checks
  // a request after it has sent the reply. Every message is still written whole, sent, received and read (a
  // zero-copy transport writes and reads it in the slot, so there it stays in the path). Measured on the shm ring
  // with this and the former order in one binary, alternating, 8 and 64 B round trips took 0.98-0.99x and
  // 0.92-0.98x the p50 (README, "The two-line floor").
  //
  // A transport that stages (StagingTransport: the shm ring) also takes the part of that next message past its
  // sequence word's line into its slot there, and sending it then writes one line (ShmRing::stage).
  [[gnu::always_inline]] void round_trip(std::uint64_t seq) {
    if constexpr (!ZeroCopyTransport<T>) {
      if (!ack_each_) {
        if (filled_ != seq) put(out_.span(), seq);
        send_prepared(seq);
        put(out_.span(), seq + 1);  // the next request, while this one is answered
        filled_ = seq + 1;
        stage_next();
        t_.recv(in_.span());
        take(in_.span(), seq);
        return;
      }
    }
    send_one(seq);
    recv_one(seq);
  }
  [[gnu::always_inline]] void serve(std::uint64_t seq) {
    if constexpr (!ZeroCopyTransport<T>) {
      if (!ack_each_) {
        if (filled_ != seq) put(out_.span(), seq);
        t_.recv(in_.span());
        send_prepared(seq);
        take(in_.span(), seq);
        put(out_.span(), seq + 1);  // the next reply, before waiting for its request
        filled_ = seq + 1;
        stage_next();
        return;
      }
    }
    recv_one(seq);
    send_one(seq);
  }
  // kStamp: `stamp` rides in the message (payload::put_stamp) and recv_one<true> returns the receiver's clock
  // minus it, in ticks, read as soon as the message is in (rate, one-way latency).
  template <bool kStamp = false>
  [[gnu::always_inline]] void send_one(std::uint64_t seq, std::uint64_t stamp = 0) {
    if constexpr (ZeroCopyTransport<T>) {
      auto slot = t_.reserve().first(send_bytes_);
      put(slot, seq);
      if constexpr (kStamp) payload::put_stamp(slot, stamp, verify_);
      t_.commit();
      if (ack_each_) {
        t_.peek();
        t_.release();
      }
    } else {
      if constexpr (!kStamp) {
        if (!ack_each_ && !ahead_.empty()) return send_ahead(seq);
      }
      filled_ = kNotFilled;  // out_ holds this message now, whatever round_trip or serve wrote ahead
      put(out_.span(), seq);
      if constexpr (kStamp) payload::put_stamp(out_.span(), stamp, verify_);
      t_.send(out_.span());
      if (ack_each_) t_.recv(in_.span());
    }
  }
  template <bool kStamp = false>
  [[gnu::always_inline]] std::int64_t recv_one(std::uint64_t seq) {
    std::int64_t delta = 0;
    if constexpr (ZeroCopyTransport<T>) {
      auto slot = t_.peek().first(recv_bytes_);
      if constexpr (kStamp) delta = static_cast<std::int64_t>(Clock::now() - payload::get_stamp(slot));
      take(slot, seq);
      t_.release();
      if (ack_each_) {
        t_.reserve();
        t_.commit();
      }
    } else {
      t_.recv(in_.span());
      if constexpr (kStamp) delta = static_cast<std::int64_t>(Clock::now() - payload::get_stamp(in_.span()));
      if (ack_each_) t_.send(out_.span());
      take(in_.span(), seq);
    }
    return delta;
  }
  // One-way pingpong: the request carries its send time; the consumer's delta comes back from serve_stamped.
  void round_trip_stamped(std::uint64_t seq, std::uint64_t stamp) {
    send_one<true>(seq, stamp);
    recv_one(seq);
  }
  std::int64_t serve_stamped(std::uint64_t seq) {
    const std::int64_t delta = recv_one<true>(seq);
    send_one(seq);
    return delta;
  }
  void flush() {
    if constexpr (requires { t_.flush(); }) t_.flush();
  }
  TransportCounters counters() const { return t_.counters(); }
  std::uint64_t verified() const { return verified_; }
  std::optional<std::uint64_t> in_sequence() const { return in_sequence_; }

  // How many messages ahead a stream's sender writes its messages (1: not ahead).
  std::size_t written_ahead() const { return ahead_.empty() ? 1 : ahead_.size(); }

 private:
  // Stream: message `seq` was written kAhead messages before it is sent, into one of kAhead buffers. Written
  // just before the send, the first line's stamp (an 8-byte store) was still in the store buffer when the
  // transport's copy loaded the line whole, so the load waited for it, and for every older store: the previous
  // messages' stores into a ring, each waiting for its line to come back from the reader's cache. The sender
  // then paid a line transfer per message (shm stream, 64 B, 256 slots: 23 M msgs/s, 27-30 M written ahead;
  // README, "Streams written ahead"). Round trips write ahead already (round_trip, serve).
  [[gnu::always_inline]] void send_ahead(std::uint64_t seq) {
    const std::size_t i = seq & (kAhead - 1);  // a mask, not a division per message
    Buffer& b = ahead_[i];
    if (ahead_seq_[i] != seq) put(b.span(), seq);  // the first laps, or a caller that skipped
    t_.send(b.span());
    put(b.span(), seq + kAhead);
    ahead_seq_[i] = seq + kAhead;
  }
  // Round trips: out_ holds message `seq`; send it from the transport's slot if stage_next put it there (the
  // transport still holds what was staged only if nothing was sent since: send() drops it, and every other writer
  // of out_ sends what it wrote), or else from out_.
  [[gnu::always_inline]] void send_prepared(std::uint64_t seq) {
    if constexpr (StagingTransport<T>) {
      if (filled_ == seq && t_.staged()) return t_.send_staged(out_.span());
    }
    t_.send(out_.span());
  }
  [[gnu::always_inline]] void stage_next() {
    if constexpr (StagingTransport<T>) t_.stage(out_.span());
  }
  static std::size_t ahead_buffers(std::size_t bytes) {
    if (ZeroCopyTransport<T> || bytes == 0 || bytes * kAhead > kAheadBytes) return 0;
    return kAhead;
  }
  [[gnu::always_inline]] void put(std::span<std::byte> to, std::uint64_t seq) {
    if (verify_) payload::fill_verified(to, seq);
    else payload::fill_fast(to, seq);
  }
  [[gnu::always_inline]] void take(std::span<const std::byte> from, std::uint64_t seq) {
    if (verify_) {
      payload::check_verified(from, seq);  // throws unless it is the message sent
      ++verified_;
      ++in_sequence_;
    } else {
      sink_ += payload::read_fast(from);
      in_sequence_ += payload::carries(from, seq) ? 1 : 0;
    }
  }
  T& t_;
  std::uint64_t sink_ = 0;
  Buffer out_, in_;
  std::size_t send_bytes_, recv_bytes_;
  bool verify_;
  bool ack_each_;
  std::uint64_t verified_ = 0;
  std::uint64_t in_sequence_ = 0;
  static constexpr std::uint64_t kNotFilled = ~std::uint64_t{0};
  std::uint64_t filled_ = kNotFilled;  // the message out_ holds, written ahead by round_trip or serve
  // Stream: 8 buffers, so a message's stores are 8 sends old when it is loaded; only for messages of up to
  // 512 bytes (the buffers stay within 4 KiB), where a line's stall is a large part of a message's cost.
  static constexpr std::size_t kAhead = 8;
  static_assert(std::has_single_bit(kAhead));
  static constexpr std::size_t kAheadBytes = 4096;
  std::vector<Buffer> ahead_;
  std::vector<std::uint64_t> ahead_seq_;
};

}  // namespace detail

}  // namespace ipcbench

#include "harness/timed_loops.hpp"  // rate and one-way pingpong, on the Ops above

namespace ipcbench {

// What a transport is asked for, with --capacity resolved against its capabilities (see Buffering below).
TransportOptions transport_options(const RunConfig& cfg, std::uint32_t spin_budget, const Capabilities& caps);

// --copy-in. Does this run copy messages into the slots of a one-way shm ring or copy baseline in a way --copy-in
// changes: messages of kLargeCopyFrom bytes or more, or smaller ones into a ring whose design streams them
// (ring_stream_batch: the `shm` ring from 57 bytes, given room for a batch)?
bool copy_in_applies(const RunConfig& cfg);
// Sets cfg.copy_in_stores and cfg.copy_in_why (empty when the run makes no such copy). automatic takes streaming
// stores for a message of kLargeCopyFrom bytes or more when the two CPUs share no cache: by the cache-line floor
// measured just before the run when there is one (at least kStreamingFloorNs; a VM's topology may not say where the
// host runs its vCPUs, and can change), else by the topology's placement class (cross-llc, cross-numa,
// cross-socket). A smaller message (which only a ring that holds its words back streams) takes them from a floor of
// kStreamingSmallFloorNs, or from the class shared-llc: two cores that share only the last level. Next to 120-133 ns
// floors on the development VM (two cores of one die), 64 B streams moved 73-104 M msgs/s with streaming stores
// against 24-86 M with cached ones, rounds alternating in three such windows (medians 97 and 60 M); a 64 KiB stream
// there moves less with them (21 against 38 GB/s). Under 80 ns the two CPUs may share a core's caches (SMT
// siblings), which was not measured here, and the copy stays cached (README, "A smaller ring for streamed messages").
//
// A floor does not tell every machine apart, though: on an Intel VM of 2026-12-06 (a 226 ns floor, one shared last
// level) the same rounds gave 64 B streams 71 M msgs/s cached against 47 M streaming, 1 KiB 18.6 against 10.2 M. So
// a stream of smaller messages across two CPUs is decided by measuring both: probe_copy_in runs the configuration
// for kCopyInProbeS with each kind of store, twice in turn, just before the run, and the faster (the better of its two
// probes) is taken. The floor rule stays for large messages, for one CPU and where a probe fails.
inline constexpr double kStreamingFloorNs = 300;
inline constexpr double kStreamingSmallFloorNs = 80;
inline constexpr double kCopyInProbeS = 0.02;
struct CopyInProbe {
  double cached_msgs_per_s = 0, streaming_msgs_per_s = 0;  // the better of each kind's two probes
};
// Does this row get probes under --copy-in auto (a stream of messages under kLargeCopyFrom into a ring that streams
// them, across two CPUs)?
bool copy_in_probes(const RunConfig& cfg);
std::optional<CopyInProbe> probe_copy_in(const RunConfig& cfg);
void resolve_copy_in(RunConfig& cfg, std::optional<double> floor_p50_ns, std::optional<CopyInProbe> probe = std::nullopt);

// --reply-line. Can this run's round trips answer in the request's line (ring_answers_in_place: a ring whose design
// allows it, a round trip, the default capacity, messages of up to shm_ring::kInPlaceMost bytes each way)?
bool reply_line_applies(const RunConfig& cfg);
// Sets cfg.reply_line_used and cfg.reply_line_why (empty when the choice does not apply). automatic answers in the
// request's line when the cache-line floor measured just before the run is below the two-line floor measured with
// it: each pattern's cost changes with the two CPUs and with the coherence regime, and a ring's round trip costs
// about its pattern's floor (README, "Answering in place"). Without both floors (one CPU), its own line.
void resolve_reply_line(RunConfig& cfg, std::optional<double> one_line_p50_ns, std::optional<double> two_line_p50_ns);

// How a run carries out --capacity on a transport:
//   unbounded: the transport's own limit here (Capabilities::max_capacity, or max_capacity_bytes / message size),
//              or, with no limit (shm), a ring that holds every message of the run, up to kUnboundedRingBytes;
//   0:         native if the transport says so; otherwise, in stream, the consumer acknowledges every message
//              over the reverse direction of a 1-message buffer ("emulated: ack per message"); in pingpong the
//              reply already is that acknowledgement ("implied").
inline constexpr std::size_t kUnboundedRingBytes = std::size_t{256} << 20;
std::size_t unbounded_capacity(const RunConfig& cfg, const Capabilities& caps);
std::string unbounded_means(const Capabilities& caps);
std::string rendezvous_kind(const RunConfig& cfg, const Capabilities& caps);
inline bool emulated_rendezvous(const RunConfig& cfg, const Capabilities& caps) {
  return cfg.capacity.kind == Capacity::Kind::rendezvous && cfg.pattern == Pattern::stream && !caps.native_rendezvous;
}

template <Transport T>
RunResult run_transport(const RunConfig& cfg) {
  RunResult res;
  res.config = cfg;
  res.spin_budget = cfg.spin_budget != 0 ? cfg.spin_budget : auto_spin_budget(cfg.cpus);
  const Capabilities caps = T::capabilities();
  const bool ack_each = emulated_rendezvous(cfg, caps);
  res.rendezvous = rendezvous_kind(cfg, caps);
  if (cfg.capacity.kind == Capacity::Kind::unbounded) res.unbounded_means = unbounded_means(caps);
  res.full_waits_counted = (caps.full_waits_counted & wait_bit(cfg.wait)) != 0;
  // After fork each process has its own copy of `transport`; two threads need two objects, so in thread
  // mode the consumer's ends are split off into `consumer_side` (declared second: destroyed first).
  std::optional<T> transport, consumer_side;
  os::Mapping deltas;  // rate and --one-way: the consumer's deltas, shared with the producer (timed_loops.hpp)
  auto run_pair = cfg.threads ? detail::run_thread_pair : detail::run_process_pair;
  run_pair(
      cfg, res,
      [&] {
        if (detail::timed(cfg)) deltas = detail::delta_buffer(cfg);
        transport.emplace(transport_options(cfg, res.spin_budget, caps));
        res.effective = transport->effective();
        if (cfg.threads) consumer_side.emplace(transport->split_consumer());
      },
      [&](os::ControlChannel& ctl, int) {
        transport->open(Role::producer);
        res.effective = transport->effective();  // a connection's buffers exist only now (tcp)
        detail::TransportOps<T> ops(*transport, cfg.payload_bytes, reply_size(cfg), cfg.verify, ack_each);
        if (detail::timed(cfg)) detail::produce_timed(ops, cfg, ctl, res, deltas);
        else detail::produce(ops, cfg, ctl, res);
        res.effective = transport->effective();  // and may have grown during the run (tcp autotuning)
      },
      [&](os::ControlChannel& ctl, int cpu) {
        T& mine = consumer_side ? *consumer_side : *transport;
        mine.open(Role::consumer);
        // A wrong-sized reply (test hook) must be caught by the producer, as a real protocol bug would be.
        const std::size_t reply = cfg.fault.consumer_reply_bytes != 0 ? cfg.fault.consumer_reply_bytes : reply_size(cfg);
        detail::TransportOps<T> ops(mine, reply, cfg.payload_bytes, cfg.verify, ack_each);
        if (detail::timed(cfg)) detail::consume_timed(ops, cfg, ctl, cpu, deltas);
        else detail::consume(ops, cfg, ctl, cpu);
      });
  return res;
}

}  // namespace ipcbench
