#include "harness/runner.hpp"

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "harness/os/affinity.hpp"
#include "harness/os/child.hpp"
#include "harness/os/error.hpp"
#include "harness/os/thread.hpp"
#include "harness/topology.hpp"
#include "transports/copy.hpp"
#include "transports/registry.hpp"
#include "transports/shm.hpp"

namespace ipcbench {

std::uint32_t auto_spin_budget(const CpuPair& cpus) {
  // Two ends on one CPU: the peer cannot run while we spin, so give the CPU up almost at once.
  return cpus.producer == cpus.consumer ? 8 : 2000;
}

std::size_t unbounded_capacity(const RunConfig& cfg, const Capabilities& caps) {
  if (caps.max_capacity != 0) return caps.max_capacity;
  if (caps.max_capacity_bytes != 0) return std::max<std::size_t>(1, caps.max_capacity_bytes / cfg.payload_bytes);
  // No kernel limit (shm): every message of the run, warm-up included, as far as the memory budget allows.
  constexpr std::uint64_t kMaxStream = std::uint64_t{1} << 28;  // as measured_count()
  const std::uint64_t run = cfg.warmup + (cfg.messages != 0 ? cfg.messages : kMaxStream);
  const std::size_t budget = kUnboundedRingBytes / (cfg.payload_bytes + 64);  // a slot is the payload + its header
  return static_cast<std::size_t>(std::clamp<std::uint64_t>(run, 1, std::max<std::size_t>(budget, 1)));
}

std::string unbounded_means(const Capabilities& caps) {
  if (!caps.unbounded_means.empty()) return caps.unbounded_means;
  if (caps.max_capacity != 0) return "the largest capacity allowed here: " + std::to_string(caps.max_capacity) + " messages";
  if (caps.max_capacity_bytes != 0)
    return "the largest buffer allowed here: " + std::to_string(caps.max_capacity_bytes) + " bytes";
  return "room for every message of the run (warm-up included), at most " +
         std::to_string(kUnboundedRingBytes >> 20) + " MiB of ring";
}

std::string rendezvous_kind(const RunConfig& cfg, const Capabilities& caps) {
  if (cfg.capacity.kind != Capacity::Kind::rendezvous) return "";
  if (caps.native_rendezvous) return "native";
  if (round_trip(cfg.pattern)) return std::string("implied: ") + to_string(cfg.pattern) + " waits for each reply";
  return "emulated: ack per message";
}

TransportOptions transport_options(const RunConfig& cfg, std::uint32_t spin_budget, const Capabilities& caps) {
  TransportOptions o;
  o.message_bytes = cfg.payload_bytes;
  o.reply_bytes = reply_size(cfg) != cfg.payload_bytes ? reply_size(cfg) : 0;
  o.wait = cfg.wait;
  o.spin_budget = spin_budget;
  o.duplex = round_trip(cfg.pattern) || emulated_rendezvous(cfg, caps);
  o.streaming_copy_in = cfg.copy_in_stores == CopyIn::streaming && !o.duplex;
  o.reply_in_place = cfg.reply_line_used == ReplyLine::shared && round_trip(cfg.pattern);
  switch (cfg.capacity.kind) {
    case Capacity::Kind::transport_default: break;
    case Capacity::Kind::bounded: o.capacity = cfg.capacity.messages; break;
    case Capacity::Kind::unbounded:
      o.capacity = unbounded_capacity(cfg, caps);
      o.unbounded = true;
      break;
    case Capacity::Kind::rendezvous:
      // Native: the transport makes send() wait for the receiver. Otherwise the smallest buffer the transport
      // has, and at most one message is ever in it because every send waits for its acknowledgement.
      o.rendezvous = caps.native_rendezvous;
      o.capacity = caps.native_rendezvous ? 0 : 1;
      break;
  }
  return o;
}

bool copy_in_applies(const RunConfig& cfg) {
  const TransportEntry* entry = find_transport(cfg.transport);
  if (!entry || (!entry->ring && entry->kind != EntryKind::baseline)) return false;
  if (cfg.pattern != Pattern::stream && cfg.pattern != Pattern::rate) return false;
  if (cfg.payload_bytes >= kLargeCopyFrom) return true;
  if (!entry->ring) return false;
  // A small message: only into a ring whose design streams it, given the room (a default ring of any size has it)
  std::size_t slots = std::numeric_limits<std::size_t>::max();
  if (cfg.capacity.kind == Capacity::Kind::bounded) slots = cfg.capacity.messages;
  if (cfg.capacity.kind == Capacity::Kind::rendezvous) slots = 1;
  return ring_stream_batch(ring_laid_out(*entry->ring, false), cfg.payload_bytes, slots) != 0;
}

bool copy_in_probes(const RunConfig& cfg) {
  return cfg.copy_in == CopyIn::automatic && cfg.pattern == Pattern::stream && cfg.payload_bytes < kLargeCopyFrom &&
         cfg.cpus.producer != cfg.cpus.consumer && copy_in_applies(cfg);
}

std::optional<CopyInProbe> probe_copy_in(const RunConfig& cfg) {
  const TransportEntry* entry = find_transport(cfg.transport);
  if (!entry) return std::nullopt;
  CopyInProbe best;
  for (int round = 0; round < 2; ++round)
    for (CopyIn stores : {CopyIn::cached, CopyIn::streaming}) {
      RunConfig p = cfg;
      p.copy_in = stores;
      p.messages = 0;
      p.duration_s = kCopyInProbeS;
      p.verify = false;
      p.fault = Fault{};
      resolve_copy_in(p, std::nullopt);
      const RunResult r = entry->run(p);
      if (r.status != "ok") return std::nullopt;
      double& b = stores == CopyIn::cached ? best.cached_msgs_per_s : best.streaming_msgs_per_s;
      b = std::max(b, r.msgs_per_s);
    }
  return best;
}

void resolve_copy_in(RunConfig& cfg, std::optional<double> floor_p50_ns, std::optional<CopyInProbe> probe) {
  cfg.copy_in_stores = CopyIn::cached;
  cfg.copy_in_why.clear();
  if (!copy_in_applies(cfg)) return;
  if (cfg.copy_in != CopyIn::automatic) {
    cfg.copy_in_stores = cfg.copy_in;
    cfg.copy_in_why = cfg.copy_in == CopyIn::streaming ? "--copy-in streaming" : "--copy-in cached";
    return;
  }
  char ns[32];
  bool far = false;
  const bool large = cfg.payload_bytes >= kLargeCopyFrom;
  const double threshold = large ? kStreamingFloorNs : kStreamingSmallFloorNs;
  if (probe && !large) {
    far = probe->streaming_msgs_per_s > probe->cached_msgs_per_s;
    std::snprintf(ns, sizeof ns, "%.1f", probe->streaming_msgs_per_s / 1e6);
    std::string streaming = ns;
    std::snprintf(ns, sizeof ns, "%.1f", probe->cached_msgs_per_s / 1e6);
    cfg.copy_in_why = "auto: probe streams just before the run (" + std::to_string(static_cast<int>(kCopyInProbeS * 1e3)) +
                      " ms, two of each kind, the better of each): streaming " + streaming + " M msgs/s, cached " + ns +
                      " M";
  } else if (floor_p50_ns) {
    far = *floor_p50_ns >= threshold;
    std::snprintf(ns, sizeof ns, "%.0f", *floor_p50_ns);
    cfg.copy_in_why = std::string("auto: the cache-line floor just before the run, ") + ns + " ns, is " +
                      (far ? "at least " : "under ") + std::to_string(static_cast<int>(threshold)) + " ns" +
                      (large ? "" : " (messages under 8 KiB)") + ": " +
                      (large ? (far ? "the two CPUs share no cache" : "the two CPUs share a cache")
                             : (far ? "the two CPUs are different cores" : "the two CPUs may share a core's caches"));
  } else {
    const std::string cls = topo::pair_class(topo::system_topology(), cfg.cpus.producer, cfg.cpus.consumer);
    far = cls == "cross-llc" || cls == "cross-numa" || cls == "cross-socket" || (!large && cls == "shared-llc");
    const char* what = large ? "share no cache" : "share no core-private cache";
    cfg.copy_in_why = "auto: no floor measured; placement class " + cls +
                      (far ? std::string(" (the two CPUs ") + what + ")"
                           : std::string(" (no sign that the two CPUs ") + what + ")");
  }
  cfg.copy_in_stores = far ? CopyIn::streaming : CopyIn::cached;
}

bool reply_line_applies(const RunConfig& cfg) {
  const TransportEntry* entry = find_transport(cfg.transport);
  if (!entry || !entry->ring || !round_trip(cfg.pattern)) return false;
  // The options the run's ring will get, asked to answer in place: the ring's own rule decides (sizes, capacity).
  TransportOptions o = transport_options(cfg, cfg.spin_budget, entry->capabilities());
  o.reply_in_place = true;
  return ring_answers_in_place(*entry->ring, o);
}

void resolve_reply_line(RunConfig& cfg, std::optional<double> one_line_p50_ns, std::optional<double> two_line_p50_ns) {
  cfg.reply_line_used = ReplyLine::own;
  cfg.reply_line_why.clear();
  if (!reply_line_applies(cfg)) return;
  if (cfg.reply_line != ReplyLine::automatic) {
    cfg.reply_line_used = cfg.reply_line;
    cfg.reply_line_why = std::string("--reply-line ") + to_string(cfg.reply_line);
    return;
  }
  if (!one_line_p50_ns || !two_line_p50_ns) {
    cfg.reply_line_why = "auto: no cache-line and two-line floors measured before the run (one CPU?): its own line";
    return;
  }
  const bool shared = *one_line_p50_ns < *two_line_p50_ns;
  char text[160];
  std::snprintf(text, sizeof text, "auto: the cache-line floor just before the run, %.0f ns, is %s the two-line floor, %.0f ns",
                *one_line_p50_ns, shared ? "below" : "not below", *two_line_p50_ns);
  cfg.reply_line_used = shared ? ReplyLine::shared : ReplyLine::own;
  cfg.reply_line_why = text;
}

namespace detail {

volatile std::atomic<std::uint64_t> g_sink{0};

Usage Usage::now() {
  rusage r{};
  ::getrusage(RUSAGE_THREAD, &r);
  auto ns = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) * 1e9 + static_cast<double>(tv.tv_usec) * 1e3; };
  return {ns(r.ru_utime), ns(r.ru_stime), r.ru_nvcsw, r.ru_nivcsw};
}

TransportCounters minus(const TransportCounters& a, const TransportCounters& b) {
  return {a.spin_yields - b.spin_yields, a.blocking_waits - b.blocking_waits, a.futex_wakes - b.futex_wakes,
          a.full_waits - b.full_waits, a.syscalls - b.syscalls, a.trailing_waits - b.trailing_waits,
          a.streamed_messages - b.streamed_messages, a.staged_messages - b.staged_messages,
          a.in_place_messages - b.in_place_messages};
}

Buffer::Buffer(std::size_t n) : data(static_cast<std::byte*>(::operator new[](n, std::align_val_t{64}))), size(n) {
  std::memset(data.get(), 0, n);
}

std::uint64_t measured_count(const RunConfig& cfg, std::uint64_t warmup_ticks, std::uint64_t warmup_msgs) {
  constexpr std::uint64_t kMaxPingpong = std::uint64_t{1} << 22;  // 32 MiB of samples
  constexpr std::uint64_t kMaxStream = std::uint64_t{1} << 28;
  const std::uint64_t cap = round_trip(cfg.pattern) ? kMaxPingpong : kMaxStream;
  std::uint64_t n = cfg.messages;
  if (cfg.duration_s > 0 && warmup_msgs > 0) {
    double per_msg_ns = std::max(Clock::to_ns(warmup_ticks) / static_cast<double>(warmup_msgs), 1.0);
    auto fit = static_cast<std::uint64_t>(std::ceil(cfg.duration_s * 1e9 / per_msg_ns));
    fit = std::clamp<std::uint64_t>(fit, 100, cap);
    n = n == 0 ? fit : std::min(n, fit);
  }
  if (n == 0) n = 10000;  // neither a count nor a warm-up to size one from
  return std::min(n, cfg.messages != 0 ? cfg.messages : cap);
}

SideStats side_stats(int cpu, const Usage& u, const TransportCounters& c, std::uint64_t verified,
                     std::optional<std::uint64_t> in_sequence, const os::PerfReading& perf,
                     std::uint64_t harness_syscalls) {
  SideStats s;
  s.cpu = cpu;
  s.user_ns = u.user_ns;
  s.sys_ns = u.sys_ns;
  s.vol_ctx_switches = u.vol;
  s.invol_ctx_switches = u.invol;
  s.counters = c;
  s.verified = verified;
  s.in_sequence = in_sequence;
  s.perf = perf;
  s.harness_syscalls = harness_syscalls;
  s.cpu_after = ::sched_getcpu();  // each side calls this on itself, right after its measured phase
  return s;
}

std::uint64_t producer_harness_syscalls(Pattern pattern, std::uint64_t n) {
  // Clock reads in the phase: t_start and one per round trip (pingpong, rpc), t_start, t_sent and t_end (stream).
  const std::uint64_t clock_reads = round_trip(pattern) ? n + 1 : 3;
  const double per_read = Clock::info().syscalls_per_read.value_or(0.0);
  const auto clock_calls = static_cast<std::uint64_t>(per_read * static_cast<double>(clock_reads));
  return os::ThreadCounters::kOwnSyscalls + clock_calls + (pattern == Pattern::stream ? 1 : 0);
}

namespace {
constexpr std::uint64_t kAbsent = ~std::uint64_t{0};  // a counter this machine could not count

// The consumer's SideStats crosses the control channel as ControlMessage::values in this order: one list
// for both directions, so sender and receiver cannot disagree.
template <class S, class Field>
void report_fields(S& s, Field&& field) {
  field(s.user_ns);
  field(s.sys_ns);
  field(s.vol_ctx_switches);
  field(s.invol_ctx_switches);
  field(s.counters.spin_yields);
  field(s.counters.blocking_waits);
  field(s.counters.futex_wakes);
  field(s.counters.full_waits);
  field(s.counters.syscalls);
  field(s.counters.trailing_waits);
  field(s.counters.streamed_messages);
  field(s.counters.staged_messages);
  field(s.counters.in_place_messages);
  field(s.verified);
  field(s.in_sequence);
  field(s.harness_syscalls);
  field(s.cpu_after);
  for (auto& v : s.perf.values) field(v);
  field(s.perf.hardware_scaled);
}

std::uint64_t encode(double v) { return std::bit_cast<std::uint64_t>(v); }
std::uint64_t encode(std::int64_t v) { return static_cast<std::uint64_t>(v); }
std::uint64_t encode(std::uint64_t v) { return v; }
std::uint64_t encode(bool v) { return v ? 1 : 0; }
std::uint64_t encode(const std::optional<std::uint64_t>& v) { return v.value_or(kAbsent); }
void decode(std::uint64_t w, double& v) { v = std::bit_cast<double>(w); }
void decode(std::uint64_t w, std::int64_t& v) { v = static_cast<std::int64_t>(w); }
void decode(std::uint64_t w, std::uint64_t& v) { v = w; }
void decode(std::uint64_t w, bool& v) { v = w != 0; }
void decode(std::uint64_t w, std::optional<std::uint64_t>& v) {
  v = w == kAbsent ? std::nullopt : std::optional<std::uint64_t>(w);
}
constexpr std::size_t kReportSlots = std::size(os::ControlMessage{}.values);
}  // namespace

void send_report(os::ControlChannel& ctl, const SideStats& s) {
  os::ControlMessage m;
  m.type = os::ControlMessage::report;
  m.cpu = s.cpu;
  std::size_t i = 0;
  report_fields(s, [&](const auto& v) {
    if (i + 1 >= kReportSlots) throw std::logic_error("report: more fields than ControlMessage::values holds");
    m.values[i++] = encode(v);
  });
  m.values[kReportSlots - 1] = g_sink.load(std::memory_order_relaxed);  // keeps the consumer's reads alive
  ctl.send(m);
}

void read_report(os::ControlChannel& ctl, SideStats& s) {
  auto m = ctl.receive(os::ControlMessage::report);
  s.cpu = m.cpu;
  std::size_t i = 0;
  report_fields(s, [&](auto& v) { decode(m.values[i++], v); });
}

void finish(RunResult& res, const std::vector<std::uint64_t>& ticks) {
  const double secs = res.elapsed_ns / 1e9;
  if (secs > 0) {
    res.msgs_per_s = static_cast<double>(res.messages) / secs;
    res.bytes_per_s = res.msgs_per_s * static_cast<double>(res.config.payload_bytes);
  }
  if (!ticks.empty()) {
    res.rtt_ns.resize(ticks.size());
    std::transform(ticks.begin(), ticks.end(), res.rtt_ns.begin(), [](std::uint64_t t) { return Clock::to_ns(t); });
  }
  add_run_warnings(res, res.rtt_ns);  // before the samples are sorted: the ramp is in their order
  if (!ticks.empty()) {
    res.rtt = summarize(res.rtt_ns);
    res.histogram = Histogram::from(res.rtt_ns);
  }
}

namespace {
std::string current_message() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

// The consumer's side of a run in either mode: pin, serve, wait to be dismissed. A failure is sent over
// the control channel so the producer can credit it to the consumer; a consumer thread that was called off
// (os::Cancelled) has nothing to add, the producer's side knows why.
int consumer_side(const RunConfig& cfg, const Side& consumer, os::ControlChannel& ctl) {
  try {
    int cpu = os::pin_to_cpu(cfg.cpus.consumer);
    consumer(ctl, cpu);
    // Exit only when told: a SIGCHLD during the run then always means the consumer died.
    ctl.receive(os::ControlMessage::bye);
    return 0;
  } catch (const os::Cancelled&) {
    return 1;
  } catch (const std::exception& e) {
    os::ControlMessage m;
    m.type = os::ControlMessage::error;
    m.set_text(e.what());
    try {
      ctl.send(m);
    } catch (...) {
    }
    return 1;
  }
}

// How each mode ends a consumer that failed the run, and says how it ended.
struct PeerEnding {
  std::function<bool()> has_ended;                 // without waiting
  std::function<std::string(bool ended)> finish;   // reap it (ended) or kill/stop it; "killed by signal 9"...
  const char* noun;                                // "consumer" | "consumer thread"
  const char* stuck_fate;                          // what was done to a consumer that stopped answering
};

// Called from a catch block: names the failure from what the producer saw, why the run was cancelled and
// what the consumer said.
void record_failure(const RunConfig& cfg, RunResult& res, os::ControlChannel& ctl, const PeerEnding& peer) {
  std::string what = current_message();
  auto reason = os::cancel_reason();
  std::optional<std::string> said;  // the consumer's own account of its failure, if it gave one
  bool peer_ended = reason == os::CancelReason::peer_exited || peer.has_ended();
  try {
    throw;
  } catch (const os::PeerFailed& e) {
    said = e.what();
    peer_ended = true;
  } catch (const os::PeerGone&) {
    peer_ended = true;
  } catch (...) {
  }
  if (reason == os::CancelReason::timeout || reason == os::CancelReason::interrupted) peer_ended = false;
  // A peer that exited or closed its end is reaped and described; one that is stuck is killed (stopped).
  const std::string how = peer.finish(peer_ended);
  if (!said)
    if (auto m = ctl.poll_error()) said = m->text;
  if (said) {
    res.error = "consumer failed: " + *said;
  } else if (reason == os::CancelReason::interrupted) {
    res.error = std::string("interrupted by ") + ::strsignal(os::interrupt_signal());
  } else if (reason == os::CancelReason::timeout) {
    res.error = "timed out: no progress for " + std::to_string(cfg.timeout_s).substr(0, 4) +
                " s (consumer stopped answering; " + peer.stuck_fate + ")";
  } else if (peer_ended) {
    res.error = std::string(peer.noun) + " " + how + " during the run";
  } else {
    res.error = "producer: " + what;
  }
  res.status = "error";
}

const std::vector<int>& original_affinity() {
  static const std::vector<int> cpus = os::allowed_cpus();
  return cpus;
}

void restore_affinity() {
  try {
    os::set_affinity(original_affinity());
  } catch (...) {
  }
}

// The measuring side, the same in both modes: pin, measure, then release the consumer, whose exit from now on
// is expected rather than a failure.
void producer_side(const RunConfig& cfg, RunResult& res, const Side& producer, os::ControlChannel& ctl,
                   os::RunGuard& guard) {
  res.producer.cpu = os::pin_to_cpu(cfg.cpus.producer);
  producer(ctl, res.producer.cpu);
  guard.peer_may_exit();
  os::ControlMessage bye;
  bye.type = os::ControlMessage::bye;
  ctl.send(bye);
}

}  // namespace

void run_process_pair(const RunConfig& cfg, RunResult& res, const std::function<void()>& setup, const Side& producer,
                      const Side& consumer) {
  const auto wall0 = Clock::mono_ns();
  original_affinity();
  os::RunGuard guard(cfg.timeout_s);
  try {
    setup();
    auto ctl = os::ControlChannel::create();
    auto child = os::ChildProcess::spawn([&]() -> int {
      ctl.keep_child_end();
      return consumer_side(cfg, consumer, ctl);
    });
    ctl.keep_parent_end();
    try {
      producer_side(cfg, res, producer, ctl, guard);
      auto st = child.wait_for(cfg.timeout_s);
      if (!st.ok()) throw std::runtime_error("consumer " + st.describe() + " after its report");
      res.status = "ok";
    } catch (...) {
      record_failure(cfg, res, ctl,
                     {[&] { return child.try_wait().has_value(); },
                      [&](bool ended) { return (ended ? child.wait_for(1.0) : child.kill_and_wait()).describe(); },
                      "consumer", "it was killed"});
    }
  } catch (...) {
    res.status = "error";
    res.error = current_message();
  }
  restore_affinity();
  res.wall_s = static_cast<double>(Clock::mono_ns() - wall0) / 1e9;
}

void run_thread_pair(const RunConfig& cfg, RunResult& res, const std::function<void()>& setup, const Side& producer,
                     const Side& consumer) {
  const auto wall0 = Clock::mono_ns();
  original_affinity();
  if (cfg.fault.consumer_kill_after >= 0) {
    res.status = "error";
    res.error = "thread mode cannot kill the consumer (SIGKILL ends the whole process): consumer_kill_after is refused";
    return;
  }
  os::RunGuard guard(cfg.timeout_s);  // outlives the thread: its cancel flag is what stops the thread
  try {
    setup();
    auto ctl = os::ControlChannel::create();
    auto consumer_ctl = ctl.take_child_end();
    os::PeerThread peer([&]() -> int {
      int status = consumer_side(cfg, consumer, consumer_ctl);
      consumer_ctl.close();  // as a process's exit would: the producer reads what was sent, then EOF
      os::peer_exited();     // and its SIGCHLD
      return status;
    });
    try {
      producer_side(cfg, res, producer, ctl, guard);
      auto status = peer.wait_for(cfg.timeout_s);
      if (!status) throw std::runtime_error("consumer thread did not finish after its report");
      if (*status != 0) throw std::runtime_error("consumer thread failed after its report");
      res.status = "ok";
    } catch (...) {
      record_failure(cfg, res, ctl,
                     {[&] { return peer.finished(); },
                      [&](bool) {
                        int status = peer.stop_and_join();
                        return std::string(status == 0 ? "ended" : "failed");
                      },
                      "consumer thread", "it was stopped"});
    }
  } catch (...) {
    res.status = "error";
    res.error = current_message();
  }
  restore_affinity();
  res.wall_s = static_cast<double>(Clock::mono_ns() - wall0) / 1e9;
}

}  // namespace detail
}  // namespace ipcbench
