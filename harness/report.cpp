#include "harness/report.hpp"

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "harness/os/error.hpp"

namespace ipcbench {

using nlohmann::json;

namespace {
json summary_json(const Summary& s) {
  return {{"count", s.count}, {"min", s.min}, {"p50", s.p50}, {"p90", s.p90}, {"p99", s.p99},
          {"p999", s.p999},   {"max", s.max}, {"mean", s.mean}, {"stddev", s.stddev}};
}

json side_json(const SideStats& s, std::uint64_t messages, bool full_waits_counted) {
  const double n = messages > 0 ? static_cast<double>(messages) : 1.0;
  return {{"cpu", s.cpu},
          {"user_ns_per_msg", s.user_ns / n},
          {"sys_ns_per_msg", s.sys_ns / n},
          {"vol_ctx_switches", s.vol_ctx_switches},
          {"invol_ctx_switches", s.invol_ctx_switches},
          {"spin_yields", s.counters.spin_yields},
          {"blocking_waits", s.counters.blocking_waits},
          {"futex_wakes", s.counters.futex_wakes},
          {"full_waits", full_waits_counted ? json(s.counters.full_waits) : json(nullptr)},
          {"verified_messages", s.verified}};
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
  };
  if (!r.error.empty()) j["error"] = r.error;
  if (r.status != "ok") return j;

  j["elapsed_ns"] = r.elapsed_ns;
  const bool same_cpu = c.cpus.producer == c.cpus.consumer;
  const auto yields = r.producer.counters.spin_yields + r.consumer.counters.spin_yields;
  j["spin"] = {{"budget", r.spin_budget},
               {"same_cpu_fallback", same_cpu && c.wait != Wait::block},
               {"fell_back_to_yield", yields > 0},
               {"yields", yields}};
  if (c.pattern == Pattern::pingpong) {
    j["latency"] = {{"kind", "round_trip"}, {"rtt_ns", summary_json(r.rtt)}, {"histogram", histogram_json(r.histogram)}};
  }
  j["throughput"] = {{"msgs_per_s", r.msgs_per_s},
                     {"bytes_per_s", r.bytes_per_s},
                     {"kind", c.pattern == Pattern::pingpong ? "round_trips" : "one_way"}};
  j["cpu"] = {{"producer", side_json(r.producer, r.messages, r.full_waits_counted)},
              {"consumer", side_json(r.consumer, r.messages, r.full_waits_counted)}};
  return j;
}

json floor_to_json(const RunResult& r) {
  json j = {{"cpus", {{"producer", r.config.cpus.producer}, {"consumer", r.config.cpus.consumer}}},
            {"placement", r.config.placement},
            {"status", r.status},
            {"messages", r.messages}};
  if (r.status != "ok") {
    j["error"] = r.error;
    return j;
  }
  j["rtt_ns"] = summary_json(r.rtt);
  j["histogram"] = histogram_json(r.histogram);
  j["spin"] = {{"budget", r.spin_budget},
               {"yields", r.producer.counters.spin_yields + r.consumer.counters.spin_yields}};
  return j;
}

json make_report(const json& context, const json& runs) {
  return {{"schema_version", kSchemaVersion}, {"context", context}, {"runs", runs}};
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
