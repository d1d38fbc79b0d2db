#pragma once
// The loops whose messages carry a send stamp (included by runner.hpp, on its TransportOps):
//   rate:               message i is due at t0 + i/rate and carries that intended time; the consumer stores
//                       (its clock on receipt - intended time), so a stall delays every message behind it and
//                       shows in the latencies (open loop: no coordinated omission);
//   pingpong --one-way: the request carries its send time and the consumer stores the one-way delta, next to
//                       the round trips the producer times as in plain pingpong.
// The consumer's deltas go into a shared anonymous mapping made before fork (delta_buffer), which the producer
// reads after the consumer's report: nothing crosses the control channel per message.
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "harness/open_loop.hpp"
#include "harness/os/mapping.hpp"

namespace ipcbench::detail {

inline bool timed(const RunConfig& cfg) {
  return cfg.pattern == Pattern::rate || (cfg.pattern == Pattern::pingpong && cfg.one_way);
}

inline std::uint64_t timed_capacity(const RunConfig& cfg) {
  if (cfg.pattern == Pattern::rate) return rate_message_count(cfg);
  return cfg.messages != 0 ? std::min<std::uint64_t>(cfg.messages, kMaxTimedMessages) : kMaxTimedMessages;
}

inline os::Mapping delta_buffer(const RunConfig& cfg) {
  if (cfg.payload_bytes < kMinStampedBytes)
    throw std::invalid_argument("a send stamp needs messages of at least " + std::to_string(kMinStampedBytes) +
                                " bytes (size " + std::to_string(cfg.payload_bytes) + ")");
  if (cfg.pattern == Pattern::rate && cfg.rate.msgs_per_s <= 0)
    throw std::logic_error("rate run without an offered rate (a --load fraction was not resolved)");
  return os::Mapping::shared_anonymous(timed_capacity(cfg) * sizeof(std::int64_t));
}

// Sleeps through most of a long gap before the next send; the rest is spun on the clock.
inline void sleep_ns(double ns) {
  timespec ts{static_cast<time_t>(ns / 1e9), static_cast<long>(std::fmod(ns, 1e9))};
  ::nanosleep(&ts, nullptr);
}

// One-way deltas (ticks, in send order) into res.one_way; rate also gets its latencies in order back for the
// backlog check.
inline std::vector<double> one_way_from(const std::int64_t* deltas, std::uint64_t n, RunResult& res, const char* from) {
  std::vector<double> ns(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    if (deltas[i] < 0) ++res.one_way.negative_deltas;
    ns[i] = deltas[i] < 0 ? 0.0 : Clock::to_ns(static_cast<std::uint64_t>(deltas[i]));
  }
  std::vector<double> sorted = ns;
  res.one_way.latency = summarize(sorted);
  res.one_way.histogram = Histogram::from(sorted);
  res.one_way.present = true;
  res.one_way.from = from;
  return ns;
}

template <class Ops>
void produce_timed(Ops& ops, const RunConfig& cfg, os::ControlChannel& ctl, RunResult& res, os::Mapping& deltas) {
  os::ThreadCounters perf;
  const bool rate = cfg.pattern == Pattern::rate;
  std::uint64_t seq = 0;
  NoteSent note_sent{res, seq};
  // Warm-up: unpaced for rate (as stream), so caches, page tables and buffers are warm when pacing starts.
  const auto warmup_ticks = producer_warm_up(ops, cfg, ctl, res, seq, !rate);
  const std::uint64_t cap = deltas.size() / sizeof(std::int64_t);
  const std::uint64_t n = rate ? cap : std::min(measured_count(cfg, warmup_ticks, cfg.warmup), cap);
  std::vector<std::uint64_t> ticks(rate ? 0 : n, 0);
  os::ControlMessage measure;
  measure.type = os::ControlMessage::measure;
  measure.count = n;
  ctl.send(measure);

  const double ns_per_tick = Clock::to_ns(1 << 20) / double(1 << 20);
  const double period_ticks = rate ? 1e9 / cfg.rate.msgs_per_s / ns_per_tick : 0;
  const auto sleep_above = static_cast<std::uint64_t>(kSleepAboveNs / ns_per_tick);
  std::uint64_t clock_reads = 0, sleeps = 0, yields = 0, max_lag = 0, last_lag = 0;
  const bool share_cpu = cfg.cpus.producer == cfg.cpus.consumer;
  const auto c0 = ops.counters();
  const auto q0 = ops.in_sequence();
  const auto u0 = Usage::now();
  perf.start();
  const auto t_start = Clock::now();
  std::uint64_t t_end;
  if (rate) {
    for (std::uint64_t i = 0; i < n; ++i, ++seq) {
      const auto due = t_start + static_cast<std::uint64_t>(static_cast<double>(i) * period_ticks);
      auto now = Clock::now();
      ++clock_reads;
      if (now < due) {
        flush_held_back(ops);  // a batching ring must not hold message i-1 back while we wait for i's time
        if (due - now > sleep_above) {
          sleep_ns(Clock::to_ns(due - now) - kWakeEarlyNs);
          ++sleeps;
        }
        do {
          if (share_cpu) {  // the consumer needs this CPU to take what was sent: give it up while waiting
            ::sched_yield();
            ++yields;
          }
          now = Clock::now();
          ++clock_reads;
        } while (now < due);
      }
      last_lag = now - due;
      max_lag = std::max(max_lag, last_lag);
      ops.template send_one<true>(seq, due);
      os::note_progress();
    }
    flush_held_back(ops);
    ctl.receive(os::ControlMessage::done);
    t_end = Clock::now();
    clock_reads += 2;
  } else {
    std::uint64_t prev = t_start;
    for (std::uint64_t i = 0; i < n; ++i, ++seq) {
      ops.round_trip_stamped(seq, prev);
      const auto t = Clock::now();
      ticks[i] = t - prev;
      prev = t;
      os::note_progress();
    }
    t_end = prev;
    clock_reads = n + 1;
  }
  perf.stop();
  const auto u = Usage::now() - u0;
  res.messages = n;
  res.warmup = cfg.warmup;
  res.elapsed_ns = Clock::to_ns(t_end - t_start);
  const auto harness_syscalls = os::ThreadCounters::kOwnSyscalls + (rate ? 1 + sleeps + yields : 0) +
                                static_cast<std::uint64_t>(Clock::info().syscalls_per_read.value_or(0.0) *
                                                           static_cast<double>(clock_reads));
  res.producer =
      side_stats(res.producer.cpu, u, minus(ops.counters(), c0), ops.verified(),
                 rate ? std::nullopt : in_sequence_since(ops, q0), perf.read(), harness_syscalls);
  read_report(ctl, res.consumer);
  finish(res, ticks);
  const auto* d = reinterpret_cast<const std::int64_t*>(deltas.data());
  const auto latency = one_way_from(d, n, res, rate ? "intended send time" : "send time");
  if (!rate) return;
  auto& ol = res.open_loop;
  ol.present = true;
  ol.period_ns = 1e9 / cfg.rate.msgs_per_s;
  ol.max_lag_ns = Clock::to_ns(max_lag);
  ol.final_lag_ns = Clock::to_ns(last_lag);
  ol.sleeps = sleeps;
  // The last message arrived at its due time + its delta; the first was due at t_start.
  const double last_arrival_ns = static_cast<double>(n - 1) * ol.period_ns + std::max(0.0, latency.back());
  ol.achieved_msgs_per_s = n > 1 && last_arrival_ns > 0 ? static_cast<double>(n - 1) / last_arrival_ns * 1e9 : 0;
  res.msgs_per_s = ol.achieved_msgs_per_s;
  res.bytes_per_s = res.msgs_per_s * static_cast<double>(cfg.payload_bytes);
  ol.backlog_grows = backlog_grows(latency, static_cast<double>(n) * ol.period_ns);
  if (ol.backlog_grows)
    res.warnings.push_back(
        "backlog keeps growing: the one-way latency rose through the run (" +
        std::to_string(static_cast<long long>(latency.front() / 1e3)) + " us for the first message, " +
        std::to_string(static_cast<long long>(latency.back() / 1e3)) + " us for the last); " + cfg.transport +
        " does not keep up with " + std::to_string(static_cast<long long>(cfg.rate.msgs_per_s)) +
        " msgs/s here, and the percentiles depend on how long the run lasted");
}

template <class Ops>
void consume_timed(Ops& ops, const RunConfig& cfg, os::ControlChannel& ctl, int cpu, os::Mapping& deltas) {
  os::ThreadCounters perf;
  const bool rate = cfg.pattern == Pattern::rate;
  std::uint64_t seq = 0;
  consumer_warm_up(ops, cfg, ctl, cpu, seq, !rate);
  const std::uint64_t n = ctl.receive(os::ControlMessage::measure).count;
  auto* d = reinterpret_cast<std::int64_t*>(deltas.data());
  if (n * sizeof(std::int64_t) > deltas.size()) throw std::logic_error("more measured messages than delta slots");
  const auto c0 = ops.counters();
  const auto q0 = ops.in_sequence();
  const auto u0 = Usage::now();
  perf.start();
  for (std::uint64_t i = 0; i < n; ++i, ++seq) {
    inject_fault(cfg.fault, seq);
    d[i] = rate ? ops.template recv_one<true>(seq) : ops.serve_stamped(seq);
  }
  flush_held_back(ops);
  perf.stop();
  if (rate) {
    os::ControlMessage m;
    m.type = os::ControlMessage::done;
    ctl.send(m);
  }
  // One clock read per message on this side: system calls where the clock's reads are.
  const auto clock_calls =
      static_cast<std::uint64_t>(Clock::info().syscalls_per_read.value_or(0.0) * static_cast<double>(n));
  send_report(ctl, side_stats(cpu, Usage::now() - u0, minus(ops.counters(), c0), ops.verified(),
                              in_sequence_since(ops, q0), perf.read(), kConsumerHarnessSyscalls + clock_calls));
}

}  // namespace ipcbench::detail
