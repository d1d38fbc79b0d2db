#include "harness/open_loop.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "harness/clock.hpp"
#include "harness/os/affinity.hpp"
#include "harness/parse.hpp"
#include "harness/report.hpp"
#include "harness/run.hpp"
#include "harness/sweep.hpp"
#include "harness/table.hpp"
#include "transports/registry.hpp"

namespace ipcbench {

using nlohmann::json;

namespace {
std::string fixed(double v, int digits) {
  char b[48];
  std::snprintf(b, sizeof b, "%.*f", digits, v);
  return b;
}
std::string us(double ns) { return fixed(ns / 1e3, ns < 1e4 ? 2 : 0) + " us"; }

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
double median_of(std::span<const double> s) { return median_of(std::vector<double>(s.begin(), s.end())); }
}  // namespace

std::uint64_t rate_message_count(const RunConfig& cfg) {
  std::uint64_t n = cfg.messages;
  if (cfg.duration_s > 0 && cfg.rate.msgs_per_s > 0) {
    auto fit = static_cast<std::uint64_t>(std::ceil(cfg.rate.msgs_per_s * cfg.duration_s));
    fit = std::clamp<std::uint64_t>(fit, 100, kMaxTimedMessages);
    n = n == 0 ? fit : std::min(n, fit);
  }
  if (n == 0) n = 10000;
  return std::min(n, kMaxTimedMessages);
}

namespace {
double parse_number(const std::string& item, const char* option, const char* example, std::size_t* used) {
  try {
    return std::stod(item, used);
  } catch (const std::exception&) {
    throw std::invalid_argument(std::string(option) + ": '" + item + "' is not a number (" + example + ")");
  }
}
}  // namespace

std::vector<OfferedRate> parse_rates(const std::string& text) {
  constexpr const char* kExample = "messages per second, e.g. 50000,100k,1.5M";
  std::vector<OfferedRate> out;
  for (const auto& item : split_list(text, "--rate")) {
    std::size_t used = 0;
    double v = parse_number(item, "--rate", kExample, &used);
    const std::string suffix = item.substr(used);
    if (suffix == "k" || suffix == "K") v *= 1e3;
    else if (suffix == "m" || suffix == "M") v *= 1e6;
    else if (suffix == "g" || suffix == "G") v *= 1e9;
    else if (!suffix.empty())
      throw std::invalid_argument("--rate: '" + item + "' has an unknown suffix '" + suffix + "' (" + kExample + ")");
    if (!std::isfinite(v) || v <= 0) throw std::invalid_argument("--rate: '" + item + "' must be above 0 (" + kExample + ")");
    if (v > 1e10) throw std::invalid_argument("--rate: '" + item + "' is above 10G messages per second; no transport gets near");
    OfferedRate r;
    r.msgs_per_s = v;
    out.push_back(r);
  }
  return out;
}

std::vector<OfferedRate> parse_loads(const std::string& text) {
  constexpr const char* kExample = "fractions of the stream capacity, e.g. 0.1,0.5,0.9,1.0";
  std::vector<OfferedRate> out;
  for (const auto& item : split_list(text, "--load")) {
    std::size_t used = 0;
    const double v = parse_number(item, "--load", kExample, &used);
    if (used != item.size()) throw std::invalid_argument("--load: '" + item + "' is not a number (" + kExample + ")");
    if (!std::isfinite(v) || v <= 0 || v > 10)
      throw std::invalid_argument("--load: '" + item + "' is out of range; give a fraction above 0 and at most 10 (" +
                                  kExample + ")");
    OfferedRate r;
    r.load = v;
    out.push_back(r);
  }
  return out;
}

std::vector<OfferedRate> default_loads() {
  std::vector<OfferedRate> out;
  for (double f : {0.1, 0.25, 0.5, 0.75, 0.9, 1.0}) {
    OfferedRate r;
    r.load = f;
    out.push_back(r);
  }
  return out;
}

std::vector<PlannedRun> expand_rates(std::vector<PlannedRun> runs, const std::vector<OfferedRate>& rates) {
  const std::vector<OfferedRate> offered = rates.empty() ? default_loads() : rates;
  std::vector<PlannedRun> out;
  for (auto& r : runs) {
    if (r.config.pattern != Pattern::rate) {
      out.push_back(std::move(r));
      continue;
    }
    if (r.skip_reason.empty() && r.config.payload_bytes < kMinStampedBytes)
      r.skip_reason = "rate stamps the send time into each message: size " + format_size(r.config.payload_bytes) +
                      " is below its minimum of " + std::to_string(kMinStampedBytes) + " bytes";
    for (const auto& o : offered) {
      PlannedRun p = r;
      p.config.rate = o;
      out.push_back(std::move(p));
    }
  }
  return out;
}

namespace {
bool same_configuration(const RunConfig& cfg, const json& r) {
  const auto& c = r.at("cpus");
  const json cap = r.value("capacity_requested", json(nullptr));
  json want_cap = nullptr;
  switch (cfg.capacity.kind) {
    case Capacity::Kind::transport_default: break;
    case Capacity::Kind::rendezvous: want_cap = 0; break;
    case Capacity::Kind::bounded: want_cap = cfg.capacity.messages; break;
    case Capacity::Kind::unbounded: want_cap = "unbounded"; break;
  }
  return r.value("transport", "") == cfg.transport && r.value("wait", "") == to_string(cfg.wait) &&
         r.value("payload_bytes", std::size_t{0}) == cfg.payload_bytes && c.value("producer", -1) == cfg.cpus.producer &&
         c.value("consumer", -1) == cfg.cpus.consumer && cap == want_cap &&
         (r.value("mode", "processes") == "threads") == cfg.threads;
}
}  // namespace

bool resolve_load(RunConfig& cfg, const json& runs) {
  if (cfg.rate.load <= 0) return true;  // an absolute rate
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    const json& r = *it;
    if (r.value("pattern", "") != "stream" || r.value("status", "") != "ok" || !same_configuration(cfg, r)) continue;
    cfg.rate.stream_msgs_per_s = r["throughput"]["msgs_per_s"].get<double>();
    cfg.rate.stream_run_id = r.value("id", std::int64_t{-1});
    cfg.rate.msgs_per_s = cfg.rate.load * cfg.rate.stream_msgs_per_s;
    // --copy-in auto: the rate run copies as its reference stream did. A stream row is decided by the floor measured
    // just before it, a rate row has none, and a load is a fraction of what the same copies reach (a 64 B shm stream
    // with streaming stores can be 2.6 times one without).
    if (cfg.copy_in == CopyIn::automatic && !cfg.copy_in_why.empty() && r.contains("copy_in")) {
      const json& ci = r["copy_in"];
      cfg.copy_in_stores = ci.value("stores", "") == "streaming" ? CopyIn::streaming : CopyIn::cached;
      cfg.copy_in_why = "as its --load reference, stream run " + std::to_string(cfg.rate.stream_run_id) + ": " +
                        ci.value("why", std::string());
    }
    return true;
  }
  return false;
}

RunConfig stream_reference(const RunConfig& rate_cfg) {
  RunConfig c = rate_cfg;
  c.pattern = Pattern::stream;
  c.rate = {};
  c.one_way = false;
  return c;
}

std::optional<json> prepare_rate_run(RunConfig& cfg, const json& runs, std::string* error) {
  if (cfg.pattern != Pattern::rate || resolve_load(cfg, runs)) return std::nullopt;
  const RunConfig sc = stream_reference(cfg);
  json stream = to_json(find_transport(sc.transport)->run(sc));
  stream["purpose"] = "stream capacity for --load";
  json both = runs;
  stream["id"] = runs.size();  // where the caller records it
  both.push_back(stream);
  if (!resolve_load(cfg, both))
    *error = "no stream capacity to take --load " + std::to_string(cfg.rate.load).substr(0, 4) +
             " of: the stream run of this configuration failed (" + stream.value("error", std::string("?")) + ")";
  return stream;
}

// ---- warnings ------------------------------------------------------------------------------------------

std::optional<std::string> pinning_warning(const char* side, int pinned, std::int64_t seen) {
  if (pinned < 0 || seen < 0 || seen == pinned) return std::nullopt;
  return std::string("pinning not honoured: the ") + side + " was pinned to CPU " + std::to_string(pinned) +
         " but ran on CPU " + std::to_string(seen) + " at the end of the measured phase (CPU hotplug or a cpuset "
         "change moved it); this run's placement is not what it says";
}

std::optional<std::string> ramp_warning(std::span<const double> samples, double threshold) {
  if (samples.size() < 100) return std::nullopt;  // too few for a tenth to say anything
  const std::size_t head = samples.size() / 10;
  const double first = median_of(samples.first(head));
  const double rest = median_of(samples.subspan(head));
  if (rest <= 0 || first <= rest * (1 + threshold)) return std::nullopt;
  return "frequency ramp visible in the first samples: the median of the first 10% (" + us(first) + ") is " +
         fixed(100 * (first / rest - 1), 0) + "% above that of the rest (" + us(rest) +
         "); the CPU was still clocking up or waking from idle (raise --warmup, or set the performance governor)";
}

std::optional<std::string> stream_backlog_warning(double drain_ns, double elapsed_ns, double msgs_per_s,
                                                  std::size_t capacity_messages) {
  if (drain_ns <= 0 || elapsed_ns <= 0 || msgs_per_s <= 0 || capacity_messages == 0) return std::nullopt;
  const double backlog = drain_ns * msgs_per_s / 1e9;
  // 0.7: a buffer that hands the producer room in batches (the shm ring publishes its tail once per quarter of
  // its slots at most) leaves it a batch short of full after its last send.
  if (backlog < 0.7 * static_cast<double>(capacity_messages) || drain_ns < kDrainShare * elapsed_ns) return std::nullopt;
  return "stream backlog never drained: when the producer's last send returned the consumer was still ~" +
         fixed(backlog, 0) + " messages behind, nearly the whole buffer of " + std::to_string(capacity_messages) +
         " messages, and draining it took " + us(drain_ns) + ", " + fixed(100 * drain_ns / elapsed_ns, 0) +
         "% of the measured phase; msgs/s is the consumer's pace with a tail of it working alone (raise --duration "
         "or lower --capacity)";
}

bool backlog_grows(std::span<const double> lat, double duration_ns) {
  if (lat.size() < 100 || duration_ns <= 0) return false;
  const std::size_t tenth = lat.size() / 10;
  const double first = median_of(lat.first(tenth));
  const double middle = median_of(lat.subspan(lat.size() / 2 - tenth / 2, tenth));
  const double last = median_of(lat.last(tenth));
  return last > middle && middle > first && last - first > std::max(0.05 * duration_ns, 100'000.0);
}

void add_run_warnings(RunResult& res, std::span<const double> pingpong_samples) {
  if (auto w = pinning_warning("producer", res.config.cpus.producer, res.producer.cpu_after)) res.warnings.push_back(*w);
  if (auto w = pinning_warning("consumer", res.config.cpus.consumer, res.consumer.cpu_after)) res.warnings.push_back(*w);
  if (res.config.pattern == Pattern::pingpong)
    if (auto w = ramp_warning(pingpong_samples)) res.warnings.push_back(*w);
  if (res.config.pattern == Pattern::stream) {
    std::size_t cap = res.effective.capacity_messages;
    if (cap == 0 && res.effective.capacity_bytes != 0)
      cap = std::max<std::size_t>(1, res.effective.capacity_bytes / res.config.payload_bytes);
    if (auto w = stream_backlog_warning(res.stream_drain_ns, res.elapsed_ns, res.msgs_per_s, cap))
      res.warnings.push_back(*w);
  }
}

// ---- curves --------------------------------------------------------------------------------------------

std::optional<std::size_t> find_knee(std::span<const CurvePoint> pts, std::string* why) {
  if (pts.empty()) return std::nullopt;
  const double base = pts.front().p99;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const auto& p = pts[i];
    if (p.offered > 0 && p.achieved < (1 - kKneeShortfall) * p.offered) {
      if (why)
        *why = "achieved " + fixed(100 * p.achieved / p.offered, 2) + "% of the offered rate (below " +
               fixed(100 * (1 - kKneeShortfall), 0) + "%)";
      return i;
    }
    if (i > 0 && base > 0 && p.p99 > kKneeFactor * base) {
      if (why)
        *why = "p99 " + fixed(p.p99 / base, 1) + "x the p99 at the lowest offered rate (above " +
               fixed(kKneeFactor, 0) + "x)";
      return i;
    }
  }
  return std::nullopt;
}

json rate_curves_json(const json& runs) {
  struct Group {
    json first;
    std::map<double, std::vector<const json*>> by_offered;  // keyed by load (or offered rate when absolute)
    std::vector<double> closed_p99, closed_p50, closed_one_way_p99;
  };
  std::map<std::string, Group> groups;
  std::vector<std::string> order;
  auto key_of = [](const json& r) {
    const auto& c = r["cpus"];
    return r["transport"].get<std::string>() + "|" + r["wait"].get<std::string>() + "|" +
           std::to_string(r["payload_bytes"].get<std::size_t>()) + "|" + std::to_string(c["producer"].get<int>()) +
           ":" + std::to_string(c["consumer"].get<int>()) + "|" + r.value("capacity_requested", json(nullptr)).dump() +
           "|" + r.value("mode", "processes");
  };
  for (const auto& r : runs)
    if (r.value("pattern", "") == "rate" && r.value("status", "") == "ok") {
      const auto key = key_of(r);
      auto [it, fresh] = groups.try_emplace(key);
      if (fresh) {
        order.push_back(key);
        it->second.first = r;
      }
      const auto& ol = r["open_loop"];
      const double x = ol["load"].is_number() ? ol["load"].get<double>() : ol["offered_msgs_per_s"].get<double>() * 1e6;
      it->second.by_offered[x].push_back(&r);
    }
  for (const auto& r : runs)
    if (r.value("pattern", "") == "pingpong" && r.value("status", "") == "ok")
      if (auto it = groups.find(key_of(r)); it != groups.end()) {
        it->second.closed_p50.push_back(r["latency"]["rtt_ns"]["p50"].get<double>());
        it->second.closed_p99.push_back(r["latency"]["rtt_ns"]["p99"].get<double>());
        if (r["latency"].contains("one_way"))
          it->second.closed_one_way_p99.push_back(r["latency"]["one_way"]["ns"]["p99"].get<double>());
      }

  json out = json::array();
  for (const auto& key : order) {
    const Group& g = groups[key];
    std::vector<CurvePoint> pts;
    json points = json::array();
    for (const auto& [x, rows] : g.by_offered) {
      std::vector<double> offered, achieved, p50, p99, lag;
      std::vector<std::int64_t> ids;
      bool grows = false;
      for (const json* r : rows) {
        const auto& ol = (*r)["open_loop"];
        offered.push_back(ol["offered_msgs_per_s"].get<double>());
        achieved.push_back(ol["achieved_msgs_per_s"].get<double>());
        p50.push_back((*r)["latency"]["one_way"]["ns"]["p50"].get<double>());
        p99.push_back((*r)["latency"]["one_way"]["ns"]["p99"].get<double>());
        lag.push_back(ol["max_lag_ns"].get<double>());
        grows |= ol["backlog_grows"].get<bool>();
        ids.push_back(r->value("id", std::int64_t{-1}));
      }
      CurvePoint p{median_of(offered), median_of(achieved), median_of(p50), median_of(p99), 0};
      const json& load = (*rows.front())["open_loop"]["load"];
      p.load = load.is_number() ? load.get<double>() : 0;
      pts.push_back(p);
      points.push_back({{"load", load},
                        {"offered_msgs_per_s", p.offered},
                        {"achieved_msgs_per_s", p.achieved},
                        {"p50_ns", p.p50},
                        {"p99_ns", p.p99},
                        {"max_lag_ns", median_of(lag)},
                        {"backlog_grows", grows},
                        {"repetitions", rows.size()},
                        {"run_ids", ids}});
    }
    // Absolute rates and load fractions are not comparable: sort by the offered rate either way.
    std::vector<std::size_t> idx(pts.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return pts[a].offered < pts[b].offered; });
    std::vector<CurvePoint> sorted;
    json sorted_points = json::array();
    for (auto i : idx) {
      sorted.push_back(pts[i]);
      sorted_points.push_back(points[i]);
    }
    std::string why;
    json knee = nullptr;
    if (auto k = find_knee(sorted, &why))
      knee = {{"index", *k},
              {"load", sorted_points[*k]["load"]},
              {"offered_msgs_per_s", sorted[*k].offered},
              {"p99_ns", sorted[*k].p99},
              {"reason", why}};
    const json& f = g.first;
    json closed = nullptr;
    if (!g.closed_p99.empty()) {
      closed = {{"rtt_p50_ns", median_of(g.closed_p50)},
                {"rtt_p99_ns", median_of(g.closed_p99)},
                {"rtt_half_p99_ns", median_of(g.closed_p99) / 2},
                {"one_way_p99_ns", g.closed_one_way_p99.empty() ? json(nullptr) : json(median_of(g.closed_one_way_p99))}};
    }
    // The done-when comparison: the point nearest 90% load, its p99 over the closed-loop round-trip p99.
    json at90 = nullptr;
    for (std::size_t i = 0; i < sorted.size(); ++i)
      if (std::abs(sorted[i].load - 0.9) < 1e-9) {
        at90 = {{"p99_ns", sorted[i].p99}};
        if (!closed.is_null()) at90["p99_over_closed_loop_rtt_p99"] = sorted[i].p99 / closed["rtt_p99_ns"].get<double>();
      }
    out.push_back({{"transport", f["transport"]},
                   {"wait", f["wait"]},
                   {"payload_bytes", f["payload_bytes"]},
                   {"cpus", f["cpus"]},
                   {"placement", f["placement"]},
                   {"capacity_requested", f.value("capacity_requested", json(nullptr))},
                   {"mode", f.value("mode", "processes")},
                   {"latency", "one way, from the intended send time"},
                   {"points", sorted_points},
                   {"knee", knee},
                   {"knee_rule", "the lowest offered rate whose p99 exceeds " + fixed(kKneeFactor, 0) +
                                     "x the p99 at the lowest offered rate, or whose achieved rate is more than " +
                                     fixed(100 * kKneeShortfall, 0) + "% below the offered"},
                   {"closed_loop", closed},
                   {"at_load_0_9", at90}});
  }
  return out;
}

// ---- clock across CPUs ---------------------------------------------------------------------------------

ClockConsistency clock_consistency(int a, int b, int rounds) {
  ClockConsistency out;
  out.rounds = rounds;
  // One line: the turn (odd: a wrote, even: b wrote) and the writer's clock reading.
  struct alignas(64) Line {
    std::atomic<std::uint64_t> turn{0};
    std::atomic<std::uint64_t> stamp{0};
  } line;
  std::int64_t min_fwd = INT64_MAX, min_back = INT64_MAX;
  std::string err_b;
  std::thread tb([&] {
    try {
      os::pin_to_cpu(b);
    } catch (const std::exception& e) {
      err_b = e.what();
    }
    for (std::uint64_t k = 1; k <= 2 * static_cast<std::uint64_t>(rounds); k += 2) {
      std::uint64_t spins = 0;
      while (line.turn.load(std::memory_order_acquire) != k)
        if (++spins > 200'000'000) return;  // a stuck peer (the other thread failed): give up
      const auto now = Clock::now();
      min_fwd = std::min(min_fwd, static_cast<std::int64_t>(now - line.stamp.load(std::memory_order_relaxed)));
      line.stamp.store(Clock::now(), std::memory_order_relaxed);
      line.turn.store(k + 1, std::memory_order_release);
    }
  });
  std::string err_a;
  try {
    auto before = os::allowed_cpus();
    os::pin_to_cpu(a);
    for (std::uint64_t k = 1; k <= 2 * static_cast<std::uint64_t>(rounds); k += 2) {
      line.stamp.store(Clock::now(), std::memory_order_relaxed);
      line.turn.store(k, std::memory_order_release);
      std::uint64_t spins = 0;
      while (line.turn.load(std::memory_order_acquire) != k + 1)
        if (++spins > 200'000'000) throw std::runtime_error("the thread on CPU " + std::to_string(b) + " stopped answering");
      const auto now = Clock::now();
      min_back = std::min(min_back, static_cast<std::int64_t>(now - line.stamp.load(std::memory_order_relaxed)));
    }
    os::set_affinity(before);
  } catch (const std::exception& e) {
    err_a = e.what();
  }
  tb.join();
  if (!err_a.empty() || !err_b.empty()) {
    out.error = !err_a.empty() ? err_a : err_b;
    return out;
  }
  auto ns = [](std::int64_t t) { return t < 0 ? -Clock::to_ns(static_cast<std::uint64_t>(-t)) : Clock::to_ns(static_cast<std::uint64_t>(t)); };
  out.checked = true;
  out.min_forward_ns = ns(min_fwd);
  out.min_backward_ns = ns(min_back);
  out.consistent = min_fwd >= 0 && min_back >= 0;
  return out;
}

json clock_consistency_json(int a, int b, const ClockConsistency& c) {
  json j = {{"cpus", {{"producer", a}, {"consumer", b}}},
            {"source", Clock::info().source},
            {"checked", c.checked},
            {"method", "two threads pinned to the pair hand a clock reading back and forth through one cache line " +
                           std::to_string(c.rounds) +
                           " times each way; a reading taken after another must not be smaller: min_forward_ns = "
                           "min(consumer's reading - producer's), min_backward_ns the reverse; negative = clocks "
                           "disagree across the CPUs"}};
  if (!c.checked) {
    j["error"] = c.error;
    return j;
  }
  j["consistent"] = c.consistent;
  j["min_forward_ns"] = c.min_forward_ns;
  j["min_backward_ns"] = c.min_backward_ns;
  return j;
}

}  // namespace ipcbench

namespace ipcbench {

std::optional<std::string> check_one_way_clock(json& context, const std::vector<PlannedRun>& runs) {
  std::set<std::pair<int, int>> pairs;
  bool any = false;
  for (const auto& r : runs) {
    const auto& c = r.config;
    if (!r.skip_reason.empty() || !(c.pattern == Pattern::rate || (c.pattern == Pattern::pingpong && c.one_way)))
      continue;
    any = true;
    if (c.cpus.producer != c.cpus.consumer) pairs.insert({c.cpus.producer, c.cpus.consumer});
  }
  if (!any) return std::nullopt;
  json checks = json::array();
  std::string bad;
  for (auto [a, b] : pairs) {
    const auto c = clock_consistency(a, b);
    checks.push_back(clock_consistency_json(a, b, c));
    if (c.checked && !c.consistent)
      bad += (bad.empty() ? "" : ", ") + std::to_string(a) + ":" + std::to_string(b) + " (min forward " +
             fixed(c.min_forward_ns, 0) + " ns, backward " + fixed(c.min_backward_ns, 0) + " ns)";
  }
  const std::string checked_with = Clock::info().source;
  context["one_way_clock"] = {{"source", checked_with},
                              {"same_cpu_pairs", "not checked: one CPU's clock agrees with itself"},
                              {"pairs", checks}};
  if (bad.empty()) return std::nullopt;
  std::string w = "the " + checked_with + " clock disagrees across CPUs " + bad + ": one-way latencies between them ";
  if (checked_with == "tsc") {
    Clock::init(Clock::Source::monotonic);
    const auto& ci = Clock::info();
    context["clock"]["source"] = ci.source;
    context["clock"]["reason"] = "the TSC disagreed across CPUs " + bad + " (context.one_way_clock)";
    context["clock"]["ns_per_tick"] = ci.ns_per_tick;
    context["clock"]["read_overhead_ns"] = ci.read_overhead_ns;
    context["clock"]["resolution_ns"] = ci.resolution_ns;
    context["one_way_clock"]["switched_to"] = ci.source;
    w += "would be wrong, so every run uses CLOCK_MONOTONIC instead";
  } else {
    w += "are unreliable";
  }
  context["warnings"].push_back(w);
  return w;
}

}  // namespace ipcbench

namespace ipcbench {

std::string rate_progress(const json& r) {
  const auto& ol = r["open_loop"];
  const auto& ns = r["latency"]["one_way"]["ns"];
  return "offered " + format_rate(ol["offered_msgs_per_s"]) + "/s achieved " + format_rate(ol["achieved_msgs_per_s"]) +
         "/s  one-way p50 " + format_ns(ns["p50"]) + " p99 " + format_ns(ns["p99"]) + "  max lag " +
         format_ns(ol["max_lag_ns"]) + (ol["backlog_grows"].get<bool>() ? "  BACKLOG GROWS" : "");
}

void print_rate_curves(std::ostream& out, const json& report) {
  if (!report.contains("rate_curves")) return;
  out << "\nOpen loop (rate): one-way latency from each message's intended send time vs offered load (median over "
         "repetitions)\n";
  char line[256];
  for (const auto& c : report["rate_curves"]) {
    const auto& cl = c["closed_loop"];
    std::string head = c["transport"].get<std::string>() + "/" + c["wait"].get<std::string>() + " " +
                       format_size(c["payload_bytes"].get<std::size_t>()) + "B cpus " +
                       std::to_string(c["cpus"]["producer"].get<int>()) + ":" +
                       std::to_string(c["cpus"]["consumer"].get<int>()) + " " + c["placement"].get<std::string>();
    if (!cl.is_null()) head += "   closed-loop pingpong RTT p99 " + format_ns(cl["rtt_p99_ns"]);
    out << "  " << head << '\n';
    std::snprintf(line, sizeof line, "    %-6s %10s %10s %10s %10s %10s  %s\n", "load", "offered/s", "achieved/s",
                  "p50", "p99", "max lag", "");
    out << line;
    const auto knee = c["knee"].is_null() ? -1 : c["knee"]["index"].get<int>();
    int i = 0;
    for (const auto& p : c["points"]) {
      const std::string load = p["load"].is_number() ? fixed(p["load"].get<double>(), 2) : "-";
      std::string note = i == knee ? "<- knee: " + c["knee"]["reason"].get<std::string>() : "";
      if (p["backlog_grows"].get<bool>()) note += std::string(note.empty() ? "" : "; ") + "backlog grows";
      std::snprintf(line, sizeof line, "    %-6s %10s %10s %10s %10s %10s  %s\n", load.c_str(),
                    format_rate(p["offered_msgs_per_s"]).c_str(), format_rate(p["achieved_msgs_per_s"]).c_str(),
                    format_ns(p["p50_ns"]).c_str(), format_ns(p["p99_ns"]).c_str(), format_ns(p["max_lag_ns"]).c_str(),
                    note.c_str());
      out << line;
      ++i;
    }
    if (!c["at_load_0_9"].is_null() && c["at_load_0_9"].contains("p99_over_closed_loop_rtt_p99"))
      out << "    at load 0.9: p99 = " << fixed(c["at_load_0_9"]["p99_over_closed_loop_rtt_p99"].get<double>(), 2)
          << " x the closed-loop round-trip p99\n";
  }
  out << "knee: " << (report["rate_curves"].empty() ? std::string() : report["rate_curves"][0]["knee_rule"].get<std::string>())
      << ".\n";
}

}  // namespace ipcbench
