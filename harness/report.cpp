#include "harness/report.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "harness/clock.hpp"
#include "harness/open_loop.hpp"
#include "harness/mailbox.hpp"
#include "harness/os/error.hpp"
#include "harness/repeat.hpp"
#include "harness/topology.hpp"
#include "transports/registry.hpp"
#include "transports/shm.hpp"

namespace ipcbench {

using nlohmann::json;

namespace {
json summary_json(const Summary& s) {
  return {{"count", s.count}, {"min", s.min}, {"p50", s.p50}, {"p90", s.p90}, {"p99", s.p99},
          {"p999", s.p999},   {"max", s.max}, {"mean", s.mean}, {"stddev", s.stddev}};
}

// Software counters as totals (like the context switches from getrusage), hardware counters per message;
// each group only when this machine counted it (context.perf says why not).
json perf_json(const os::PerfReading& p, double n) {
  json software = json::object(), hardware = json::object();
  for (std::size_t i = 0; i < os::kSoftwareCounters; ++i)
    if (p.values[i]) software[os::counter_name(static_cast<os::Counter>(i))] = *p.values[i];
  for (std::size_t i = os::kSoftwareCounters; i < os::kSoftwareCounters + os::kHardwareCounters; ++i)
    if (p.values[i])
      hardware[std::string(os::counter_name(static_cast<os::Counter>(i))) + "_per_msg"] =
          static_cast<double>(*p.values[i]) / n;
  json j = json::object();
  if (!software.empty()) j["software"] = software;
  if (!hardware.empty()) {
    hardware["scaled"] = p.hardware_scaled;
    j["hardware"] = hardware;
  }
  return j;
}

json side_json(const SideStats& s, std::uint64_t messages, bool full_waits_counted) {
  const double n = messages > 0 ? static_cast<double>(messages) : 1.0;
  json j = {{"cpu", s.cpu},
            {"user_ns_per_msg", s.user_ns / n},
            {"sys_ns_per_msg", s.sys_ns / n},
            {"vol_ctx_switches", s.vol_ctx_switches},
            {"invol_ctx_switches", s.invol_ctx_switches},
            {"spin_yields", s.counters.spin_yields},
            {"blocking_waits", s.counters.blocking_waits},
            {"futex_wakes", s.counters.futex_wakes},
            {"full_waits", full_waits_counted ? json(s.counters.full_waits) : json(nullptr)},
            {"syscalls", s.counters.syscalls},
            {"syscalls_per_msg", static_cast<double>(s.counters.syscalls) / n},
            {"trailing_waits", s.counters.trailing_waits},
            {"streamed_messages", s.counters.streamed_messages},
            {"staged_messages", s.counters.staged_messages},
            {"in_place_messages", s.counters.in_place_messages},
            {"verified_messages", s.verified}};
  if (s.in_sequence) j["in_sequence_messages"] = *s.in_sequence;
  if (auto k = s.kernel_syscalls())
    j["kernel_syscalls"] = {{"count", *k},
                            {"per_msg", static_cast<double>(*k) / n},
                            {"raw", *s.perf[os::Counter::syscalls]},
                            {"harness_subtracted", s.harness_syscalls}};
  if (auto p = perf_json(s.perf, n); !p.empty()) j["perf"] = p;
  return j;
}

json histogram_json(const Histogram& h) {
  json lo = json::array(), hi = json::array(), count = json::array();
  for (const auto& b : h.buckets) {
    lo.push_back(b.lo_ns);
    hi.push_back(b.hi_ns);
    count.push_back(b.count);
  }
  return {{"layout", "log-linear"},
          {"unit", "ns"},
          {"sub_buckets_per_octave", 1 << Histogram::kSubBits},
          {"lo_ns", lo},
          {"hi_ns", hi},
          {"count", count}};
}

json capacity_json(const Capacity& c) {
  switch (c.kind) {
    case Capacity::Kind::transport_default: return nullptr;
    case Capacity::Kind::rendezvous: return 0;
    case Capacity::Kind::bounded: return c.messages;
    case Capacity::Kind::unbounded: return "unbounded";
  }
  return nullptr;
}

// What the transport got for --capacity, and how a rendezvous or "unbounded" was carried out.
json effective_json(const RunResult& r) {
  auto or_null = [](std::size_t v) { return v != 0 ? json(v) : json(nullptr); };
  auto text_or_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  const std::size_t slots = r.effective.capacity_messages;
  json holds = nullptr;  // could every message of the run (warm-up included) be in the buffer at once?
  if (r.status == "ok" && slots != 0) holds = slots >= r.messages + r.warmup;
  return {{"capacity_messages", or_null(slots)},
          {"capacity_bytes", or_null(r.effective.capacity_bytes)},
          {"rendezvous", text_or_null(r.rendezvous)},
          {"unbounded_means", text_or_null(r.unbounded_means)},
          {"holds_whole_run", holds}};
}
}  // namespace

json to_json(const RunResult& r) {
  const auto& c = r.config;
  json j = {
      {"transport", c.transport},
      {"pattern", to_string(c.pattern)},
      {"wait", to_string(c.wait)},
      {"payload_bytes", c.payload_bytes},
      {"cpus", {{"producer", c.cpus.producer}, {"consumer", c.cpus.consumer}}},
      {"placement", c.placement},
      {"placement_class", topo::pair_class(topo::system_topology(), c.cpus.producer, c.cpus.consumer)},
      {"mode", c.threads ? "threads" : "processes"},
      {"capacity", r.effective.capacity_messages != 0 ? json(r.effective.capacity_messages) : json(nullptr)},
      {"capacity_requested", capacity_json(c.capacity)},
      {"capacity_bytes", r.effective.capacity_bytes != 0 ? json(r.effective.capacity_bytes) : json(nullptr)},
      {"buffering", c.capacity.buffering()},
      {"effective", effective_json(r)},
      {"messages", r.messages},
      {"warmup_messages", r.warmup},
      {"verify", c.verify},
      {"status", r.status},
      {"wall_s", r.wall_s},
      // closed: each send waits on the system (the reply, or room in a full buffer); open: sends keep to a
      // schedule whatever the system does (pattern rate).
      {"loop", c.pattern == Pattern::rate ? "open" : "closed"},
  };
  if (c.pattern == Pattern::rate)
    j["offered"] = {{"msgs_per_s", c.rate.msgs_per_s},
                    {"load", c.rate.load > 0 ? json(c.rate.load) : json(nullptr)},
                    {"stream_msgs_per_s", c.rate.load > 0 ? json(c.rate.stream_msgs_per_s) : json(nullptr)},
                    {"stream_run_id", c.rate.stream_run_id >= 0 ? json(c.rate.stream_run_id) : json(nullptr)}};
  if (r.status != "skipped") j["warnings"] = r.warnings;
  const TransportEntry* entry = find_transport(c.transport);
  if (entry && entry->ring && c.pattern != Pattern::mailbox) {
    const RingDesign d = ring_laid_out(*entry->ring, round_trip(c.pattern));  // as this run's ring laid it out
    const std::size_t largest = std::max(c.payload_bytes, reply_size(c));  // the ring's largest message
    j["ring"] = {{"design", d.name},
                 {"shared_index_line", d.shared_index_line},
                 {"cached_indices", d.cached_indices},
                 {"batch", r.effective.capacity_messages != 0
                               ? ring_batch(d, r.effective.capacity_messages, c.wait)
                               : d.batch},
                 {"slot_sequence_words", d.slot_seq},
                 {"packed_slots", ring_packs(d, largest)},
                 {"zero_copy", d.zero_copy},
                 {"trailing_sequence_word", d.trailing_seq},
                 {"slip", d.slip},
                 {"aligned_payload", d.aligned_payload},
                 {"payload_offset", ring_payload_offset(d, largest)},
                 {"prefetch", d.prefetch},
                 {"staged", d.stage},
                 {"lookahead", r.effective.capacity_messages != 0
                                   ? ring_lookahead(d, r.config.payload_bytes, r.effective.capacity_messages)
                                   : 1}};
  } else if (entry && entry->kind == EntryKind::baseline) {
    j["baseline"] = true;
  }
  if (!c.copy_in_why.empty()) {
    j["copy_in"] = {
        {"stores", to_string(c.copy_in_stores)}, {"requested", to_string(c.copy_in)}, {"why", c.copy_in_why}};
    // a ring's: 1 for large messages (each fenced and published on its own), else what its slots allowed
    if (entry && entry->ring && c.copy_in_stores == CopyIn::streaming) {
      const std::uint64_t batch =
          c.payload_bytes >= kLargeCopyFrom
              ? 1
              : ring_stream_batch(ring_laid_out(*entry->ring, false), c.payload_bytes, r.effective.capacity_messages);
      if (batch != 0) j["copy_in"]["publish_batch"] = batch;
    }
  }
  if (!c.reply_line_why.empty())
    j["reply_line"] = {{"line", to_string(c.reply_line_used)}, {"requested", to_string(c.reply_line)}, {"why", c.reply_line_why}};
  if (round_trip(c.pattern)) {
    j["request_bytes"] = c.payload_bytes;
    j["reply_bytes"] = reply_size(c);
  }
  if (c.pattern == Pattern::mailbox) j["mailbox"] = mailbox_json(r);
  if (!r.error.empty()) j["error"] = r.error;
  if (r.status != "ok") return j;

  j["elapsed_ns"] = r.elapsed_ns;
  if (c.pattern == Pattern::mailbox) {  // each process's CPU time and system calls are not collected
    j["spin"] = {{"budget", r.spin_budget}};
    j["latency"] = {{"kind", "one_way"},
                    {"clock", Clock::info().source},
                    {"method", "consumer's clock read after the receive minus the send time the producer wrote "
                               "into the message just before sending it, on different CPUs"},
                    {"one_way_ns", summary_json(r.rtt)},
                    {"histogram", histogram_json(r.histogram)}};
    j["throughput"] = {{"msgs_per_s", r.msgs_per_s}, {"bytes_per_s", r.bytes_per_s}, {"kind", "aggregate"}};
    return j;
  }
  const bool same_cpu = c.cpus.producer == c.cpus.consumer;
  const auto yields = r.producer.counters.spin_yields + r.consumer.counters.spin_yields;
  j["spin"] = {{"budget", r.spin_budget},
               {"same_cpu_fallback", same_cpu && c.wait != Wait::block},
               {"fell_back_to_yield", yields > 0},
               {"yields", yields}};
  if (round_trip(c.pattern)) {
    j["latency"] = {{"kind", "round_trip"}, {"rtt_ns", summary_json(r.rtt)}, {"histogram", histogram_json(r.histogram)}};
  } else if (c.pattern == Pattern::rate) {
    j["latency"] = {{"kind", "one_way"}};
  }
  if (r.one_way.present) {
    const Summary& o = r.one_way.latency;
    j["latency"]["one_way"] = {{"from", r.one_way.from},
                               {"clock", Clock::info().source},
                               {"ns", summary_json(o)},
                               {"histogram", histogram_json(r.one_way.histogram)},
                               {"negative_deltas", r.one_way.negative_deltas}};
    if (c.pattern == Pattern::pingpong)
      j["latency"]["rtt_half_ns"] = {{"p50", r.rtt.p50 / 2}, {"p90", r.rtt.p90 / 2}, {"p99", r.rtt.p99 / 2},
                                     {"p999", r.rtt.p999 / 2}};
  }
  if (r.open_loop.present) {
    const OpenLoop& o = r.open_loop;
    j["open_loop"] = {{"offered_msgs_per_s", c.rate.msgs_per_s},
                      {"achieved_msgs_per_s", o.achieved_msgs_per_s},
                      {"achieved_fraction", c.rate.msgs_per_s > 0 ? o.achieved_msgs_per_s / c.rate.msgs_per_s : 0.0},
                      {"load", c.rate.load > 0 ? json(c.rate.load) : json(nullptr)},
                      {"period_ns", o.period_ns},
                      {"max_lag_ns", o.max_lag_ns},
                      {"final_lag_ns", o.final_lag_ns},
                      {"sleeps", o.sleeps},
                      {"dropped", o.dropped},
                      {"backlog_grows", o.backlog_grows}};
  }
  if (c.pattern == Pattern::stream && r.stream_drain_ns >= 0) j["stream_drain_ns"] = r.stream_drain_ns;
  j["throughput"] = {{"msgs_per_s", r.msgs_per_s},
                     {"bytes_per_s", r.bytes_per_s},
                     {"kind", round_trip(c.pattern)        ? "round_trips"
                              : c.pattern == Pattern::rate ? "achieved_of_offered"
                                                           : "one_way"}};
  j["cpu"] = {{"producer", side_json(r.producer, r.messages, r.full_waits_counted)},
              {"consumer", side_json(r.consumer, r.messages, r.full_waits_counted)}};
  const double n = r.messages > 0 ? static_cast<double>(r.messages) : 1.0;
  j["syscalls"] = {{"per", round_trip(c.pattern) ? "round_trip" : "message"},
                   {"per_msg", static_cast<double>(r.producer.counters.syscalls + r.consumer.counters.syscalls) / n}};
  auto kp = r.producer.kernel_syscalls(), kc = r.consumer.kernel_syscalls();
  if (kp && kc) j["syscalls"]["kernel_per_msg"] = static_cast<double>(*kp + *kc) / n;
  return j;
}

json floor_to_json(const RunResult& r) {
  const bool futex = r.config.transport == "futex";
  const bool two_line = r.config.transport == "two-line";
  const std::string lines = std::to_string(kFloorLines);  // the spinning floors' (harness/floor.hpp)
  const std::string in_turn = "taken in turn for " + std::to_string(kFloorRun) +
                              " round trips each (a line's round trip depends on its address)";
  json j = {{"cpus", {{"producer", r.config.cpus.producer}, {"consumer", r.config.cpus.consumer}}},
            {"placement", r.config.placement},
            {"placement_class", topo::pair_class(topo::system_topology(), r.config.cpus.producer, r.config.cpus.consumer)},
            {"status", r.status},
            {"messages", r.messages},
            {"warmup_messages", r.warmup},
            {"wall_s", r.wall_s},
            {"method", futex ? "two processes pinned to the pair, two 32-bit futex words in a shared anonymous page "
                               "(one cache line each): the producer stores n on one and FUTEX_WAKEs it, then "
                               "FUTEX_WAITs on the other until the consumer has done the same; the harness's "
                               "pingpong loop, one clock read per round trip"
                   : two_line
                       ? "two processes pinned to the pair, " + lines + " pairs of 64-bit words in a shared anonymous "
                             "mapping, each pair on a page of its own and at another offset in it, each word on a "
                             "128-byte pair of lines of its own (the reply in another 128-byte class of the same "
                             "page), " + in_turn + ": the producer stores 2n+1 on one word, the consumer answers "
                             "2n+2 on the other, each line written by one side only, both spinning, sched_yield "
                             "after spin.budget polls; the harness's pingpong loop, one clock read per round trip"
                       : "two processes pinned to the pair bounce a 64-bit word (the producer stores 2n+1, the "
                         "consumer answers 2n+2), one of " + lines + " in a shared anonymous mapping, each on a page "
                         "of its own and at another offset in it, " + in_turn + "; both spinning, sched_yield after "
                         "spin.budget polls; the harness's pingpong loop, one clock read per round trip"}};
  if (r.status != "ok") {
    j["error"] = r.error;
    return j;
  }
  j["rtt_ns"] = summary_json(r.rtt);
  j["histogram"] = histogram_json(r.histogram);
  const double n = r.messages > 0 ? static_cast<double>(r.messages) : 1.0;
  if (futex)
    j["futex"] = {{"wakes_per_round_trip",
                   static_cast<double>(r.producer.counters.futex_wakes + r.consumer.counters.futex_wakes) / n},
                  {"waits_per_round_trip",
                   static_cast<double>(r.producer.counters.blocking_waits + r.consumer.counters.blocking_waits) / n}};
  else
    j["spin"] = {{"budget", r.spin_budget},
                 {"yields", r.producer.counters.spin_yields + r.consumer.counters.spin_yields}};
  return j;
}

namespace {
json per_call_json(const PerCall& p, int cpu, const char* method) {
  return {{"ns_per_call", p.ns_median},
          {"cpu", cpu},
          {"ns_per_call_min", p.ns_min},
          {"method", method},
          {"batches", p.batches},
          {"calls_per_batch", p.calls_per_batch}};
}
}  // namespace

json clock_floor_json(const ClockInfo& ci) {
  return {{"source", ci.source},
          {"read_overhead_ns", ci.read_overhead_ns},
          {"read_overhead_min_ns", ci.read_overhead_min_ns},
          {"resolution_ns", ci.resolution_ns},
          {"method", "the values of context.clock: median and minimum of back-to-back pairs of clock reads at "
                     "start-up; resolution: the TSC tick, or for CLOCK_MONOTONIC the larger of clock_getres and the "
                     "smallest non-zero step seen"},
          {"samples", ci.read_samples}};
}

json host_floors_json(const HostFloors& f) {
  json sizes = json::array();
  for (const auto& p : f.memcpy.points) {
    const std::size_t working_set = 2 * p.bytes;
    sizes.push_back({{"bytes", p.bytes},
                     {"ns_per_copy", p.copy.ns_median},
                     {"ns_per_copy_min", p.copy.ns_min},
                     {"bytes_per_s", p.bytes_per_s},
                     {"copies_per_batch", p.copy.calls_per_batch},
                     {"batches", p.copy.batches},
                     {"working_set_bytes", working_set},
                     {"exceeds_llc", f.memcpy.llc_bytes ? json(working_set > *f.memcpy.llc_bytes) : json(nullptr)}});
  }
  return {
      {"null_syscall", per_call_json(f.null_syscall, f.cpu, "syscall(SYS_getppid) in a loop, timed in batches of "
                                                     "calls_per_batch calls (each batch at least 200 us); median "
                                                     "of the batches' ns per call")},
      {"futex_wake", per_call_json(f.futex_wake, f.cpu, "FUTEX_WAKE (shared, not PRIVATE) on a word in a shared anonymous "
                                                 "page that nobody waits on, timed like null_syscall")},
      {"memcpy",
       {{"method", "memcpy from one buffer to another (distinct, 2 MiB-aligned, transparent huge pages requested, "
                   "both written before timing), "
                   "repeated on the same two buffers: batches of copies_per_batch copies (each batch at least "
                   "100 us, at least one copy), median of the batches' ns per copy; bytes_per_s = bytes / ns_per_copy "
                   "(bytes copied, not read + written). Warm: a size whose two buffers fit in the caches is served "
                   "from them; one whose two buffers exceed the last-level cache (exceeds_llc) misses on every line "
                   "by construction, since a cyclic walk over more than the cache evicts each line before it comes "
                   "round again"},
        {"cpu", f.cpu},
        {"llc_bytes", f.memcpy.llc_bytes ? json(*f.memcpy.llc_bytes) : json(nullptr)},
        {"llc_source", f.memcpy.llc_bytes ? json(f.memcpy.llc_source) : json(nullptr)},
        {"huge_pages_advised", f.memcpy.huge_pages_advised},
        {"sizes", sizes}}},
      {"in_process_wall_s", f.wall_s}};
}

json make_report(const json& context, const json& runs) {
  std::uint64_t seed = 0;
  if (context.contains("repetitions")) seed = context["repetitions"].value("seed", std::uint64_t{0});
  return make_report(context, runs, summarize_configurations(runs, seed));
}

json make_report(const json& context, const json& runs, const json& summary) {
  json doc = {{"schema_version", kSchemaVersion},
              {"context", context},
              {"runs", runs},
              {"summary", summary},
              {"by_class", topo::by_class(runs)}};
  if (auto curves = rate_curves_json(runs); !curves.empty()) doc["rate_curves"] = curves;
  return doc;
}

void write_json_atomic(const std::string& path, const json& doc) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp);
    out << doc.dump(1) << '\n';
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) os::throw_errno("rename " + tmp + " -> " + path);
}

}  // namespace ipcbench
