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

json side_json(const SideStats& s, std::uint64_t messages) {
  const double n = messages > 0 ? static_cast<double>(messages) : 1.0;
  json j = {{"cpu", s.cpu},
            {"user_ns_per_msg", s.user_ns / n},
            {"sys_ns_per_msg", s.sys_ns / n},
            {"vol_ctx_switches", s.vol_ctx_switches},
            {"invol_ctx_switches", s.invol_ctx_switches},
            {"spin_yields", s.counters.spin_yields},
            {"blocking_waits", s.counters.blocking_waits},
            {"futex_wakes", s.counters.futex_wakes},
            {"syscalls", s.counters.syscalls},
            {"syscalls_per_msg", static_cast<double>(s.counters.syscalls) / n},
            {"verified_messages", s.verified}};
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
      {"capacity_requested", c.capacity != 0 ? json(c.capacity) : json(nullptr)},
      {"capacity_bytes", r.effective.capacity_bytes != 0 ? json(r.effective.capacity_bytes) : json(nullptr)},
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
  j["cpu"] = {{"producer", side_json(r.producer, r.messages)}, {"consumer", side_json(r.consumer, r.messages)}};
  const double n = r.messages > 0 ? static_cast<double>(r.messages) : 1.0;
  j["syscalls"] = {{"per", c.pattern == Pattern::pingpong ? "round_trip" : "message"},
                   {"per_msg", static_cast<double>(r.producer.counters.syscalls + r.consumer.counters.syscalls) / n}};
  auto kp = r.producer.kernel_syscalls(), kc = r.consumer.kernel_syscalls();
  if (kp && kc) j["syscalls"]["kernel_per_msg"] = static_cast<double>(*kp + *kc) / n;
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
