#include "harness/repeat.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <stdexcept>

#include "harness/parse.hpp"
#include "harness/stats.hpp"

namespace ipcbench {

using nlohmann::json;

std::uint64_t bounded_draw(std::mt19937_64& rng, std::uint64_t bound) {
  if (bound == 0) throw std::invalid_argument("bounded_draw: empty range");
  // The largest multiple of bound that fits; draws at or above it would favour the low values.
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % bound;
  std::uint64_t v;
  do v = rng();
  while (v >= limit);
  return v % bound;
}

std::vector<std::size_t> shuffled_order(std::size_t n, std::uint64_t seed) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::mt19937_64 rng(seed);
  for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[bounded_draw(rng, i)]);
  return order;
}

namespace {
// Reorders v; no allocation, so the bootstrap's 2000 medians per metric stay cheap.
double median_in_place(std::span<double> v) {
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  if (v.size() % 2) return v[mid];
  const double upper = v[mid];
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}
}  // namespace

double median(std::vector<double> v) {
  if (v.empty()) throw std::invalid_argument("median of an empty sample");
  return median_in_place(v);
}

double coefficient_of_variation(std::span<const double> values) {
  if (values.size() < 2) return 0;
  double mean = 0;
  for (double v : values) mean += v;
  mean /= static_cast<double>(values.size());
  if (mean == 0) return 0;
  double ss = 0;
  for (double v : values) ss += (v - mean) * (v - mean);
  return std::sqrt(ss / static_cast<double>(values.size() - 1)) / std::fabs(mean);
}

Interval bootstrap_median_ci(std::span<const double> values, std::uint64_t seed, int resamples, double level) {
  if (values.empty()) throw std::invalid_argument("bootstrap of an empty sample");
  if (resamples < 1) throw std::invalid_argument("bootstrap needs at least one resample");
  Interval out;
  out.median = median({values.begin(), values.end()});
  std::mt19937_64 rng(seed);
  std::vector<double> medians(static_cast<std::size_t>(resamples)), draw(values.size());
  for (auto& m : medians) {
    for (auto& d : draw) d = values[bounded_draw(rng, values.size())];
    m = median_in_place(draw);
  }
  std::sort(medians.begin(), medians.end());
  out.lo = percentile_sorted(medians, 100 * (1 - level) / 2);
  out.hi = percentile_sorted(medians, 100 * (1 + level) / 2);
  return out;
}

namespace {
double normal_two_sided_p(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }
}  // namespace

UTest mann_whitney_u(std::span<const double> x, std::span<const double> y) {
  if (x.empty() || y.empty()) throw std::invalid_argument("U test needs values on both sides");
  // Midranks over the pooled sample; tie groups feed the variance correction.
  struct V {
    double v;
    bool from_x;
  };
  std::vector<V> all;
  for (double v : x) all.push_back({v, true});
  for (double v : y) all.push_back({v, false});
  std::sort(all.begin(), all.end(), [](const V& a, const V& b) { return a.v < b.v; });
  const double n1 = static_cast<double>(x.size()), n2 = static_cast<double>(y.size()), n = n1 + n2;
  double rank_sum_x = 0, tie_term = 0;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    while (j < all.size() && all[j].v == all[i].v) ++j;
    const double t = static_cast<double>(j - i);
    const double midrank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (std::size_t k = i; k < j; ++k)
      if (all[k].from_x) rank_sum_x += midrank;
    tie_term += t * t * t - t;
    i = j;
  }
  UTest r;
  r.u = rank_sum_x - n1 * (n1 + 1) / 2;
  const double mu = n1 * n2 / 2;
  const double var = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)));
  if (var <= 0) return r;  // every value equal: no evidence of a difference
  // Continuity correction towards the mean, as scipy does (never past it).
  const double d = std::fabs(r.u - mu);
  r.z = std::max(0.0, d - 0.5) / std::sqrt(var) * (r.u >= mu ? 1 : -1);
  r.p_value = std::min(1.0, normal_two_sided_p(r.z));
  return r;
}

double min_attainable_p(std::size_t nx, std::size_t ny) {
  if (nx == 0 || ny == 0) return 1;
  std::vector<double> x(nx), y(ny);
  for (std::size_t i = 0; i < nx; ++i) x[i] = static_cast<double>(i);
  for (std::size_t i = 0; i < ny; ++i) y[i] = static_cast<double>(nx + i);
  return mann_whitney_u(x, y).p_value;
}

std::string config_key(const json& r) {
  const auto& c = r.at("cpus");
  std::string key = r.at("transport").get<std::string>() + "/" + r.at("wait").get<std::string>() + " " +
                    r.at("pattern").get<std::string>() + " " + format_size(r.at("payload_bytes").get<std::size_t>()) +
                    "B cpus " + std::to_string(c.at("producer").get<int>()) + ":" +
                    std::to_string(c.at("consumer").get<int>());
  if (r.value("mode", "processes") == "threads") key += " threads";
  if (r.contains("offered")) {  // pattern rate: each offered load is a configuration of its own
    const auto& o = r["offered"];
    char b[64];
    if (o["load"].is_number()) std::snprintf(b, sizeof b, " load %g", o["load"].get<double>());
    else std::snprintf(b, sizeof b, " rate %.6g/s", o["msgs_per_s"].get<double>());
    key += b;
  }
  if (r.contains("reply_bytes") && r.at("pattern") == "rpc") key += " reply " + format_size(r["reply_bytes"].get<std::size_t>());
  if (r.contains("mailbox"))
    key += " " + std::to_string(r["mailbox"].at("producers").get<unsigned>()) + "P" +
           std::to_string(r["mailbox"].at("consumers").get<unsigned>()) + "C";
  if (r.contains("capacity_requested") && !r["capacity_requested"].is_null()) {  // a count, 0 or "unbounded"
    const auto& cap = r["capacity_requested"];
    key += " cap " + (cap.is_string() ? cap.get<std::string>() : std::to_string(cap.get<std::size_t>()));
  }
  return key;
}

namespace {
std::string percent(double fraction) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", 100 * fraction);
  return b;
}

// One metric across the ok repetitions: values, median, CI, CV and whether it alone would make the row unstable.
json metric_summary(const std::vector<double>& values, std::uint64_t seed, std::vector<std::string>* reasons,
                    const std::string& name) {
  json m = {{"values", values}};
  if (values.size() < 2) {
    m["median"] = values.empty() ? json(nullptr) : json(values.front());
    m["ci_lo"] = m["ci_hi"] = m["cv"] = m["ci_half_width_rel"] = nullptr;
    m["unstable"] = false;
    return m;
  }
  const auto ci = bootstrap_median_ci(values, seed);
  const double cv = coefficient_of_variation(values);
  const double half = ci.median != 0 ? std::max(ci.hi - ci.median, ci.median - ci.lo) / std::fabs(ci.median) : 0;
  m["median"] = ci.median;
  m["ci_lo"] = ci.lo;
  m["ci_hi"] = ci.hi;
  m["cv"] = cv;
  m["ci_half_width_rel"] = half;
  const bool unstable = cv > kUnstableFraction || half > kUnstableFraction;
  m["unstable"] = unstable;
  if (reasons && cv > kUnstableFraction)
    reasons->push_back(name + ": CV " + percent(cv) + " > " + percent(kUnstableFraction));
  if (reasons && half > kUnstableFraction)
    reasons->push_back(name + ": 95% CI " + percent((ci.lo - ci.median) / ci.median) + "..+" +
                       percent((ci.hi - ci.median) / ci.median) + " of the median, wider than +-" +
                       percent(kUnstableFraction));
  return m;
}
}  // namespace

json summarize_configurations(const json& runs, std::uint64_t seed) {
  // Groups in order of config_id where rows have it (the planned order), else of first appearance.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const json*>> groups;
  std::map<std::string, std::int64_t> config_ids;
  for (const auto& r : runs) {
    const std::string key = config_key(r);
    auto [it, fresh] = groups.try_emplace(key);
    if (fresh) {
      order.push_back(key);
      config_ids[key] = r.value("config_id", static_cast<std::int64_t>(order.size() - 1));
    }
    it->second.push_back(&r);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](const std::string& a, const std::string& b) { return config_ids[a] < config_ids[b]; });

  json out = json::array();
  for (const auto& key : order) {
    auto rows = groups[key];
    std::stable_sort(rows.begin(), rows.end(),
                     [](const json* a, const json* b) { return a->value("repetition", 0) < b->value("repetition", 0); });
    const json& first = *rows.front();
    const bool pingpong = first.at("pattern") == "pingpong" || first.at("pattern") == "rpc";
    json e = {{"config_id", config_ids[key]},
              {"key", key},
              {"transport", first["transport"]},
              {"pattern", first["pattern"]},
              {"wait", first["wait"]},
              {"payload_bytes", first["payload_bytes"]},
              {"cpus", first["cpus"]},
              {"placement", first["placement"]},
              {"mode", first.value("mode", "processes")},
              {"capacity_requested", first.value("capacity_requested", json(nullptr))},
              {"repetitions", rows.size()},
              {"headline", pingpong ? "p50_rtt_ns" : "msgs_per_s"}};
    json ids = json::array();
    std::vector<double> p50, p99, rate;
    for (const json* r : rows) {
      if (r->contains("id")) ids.push_back((*r)["id"]);
      if (r->value("status", "") != "ok") continue;
      rate.push_back((*r)["throughput"]["msgs_per_s"].get<double>());
      if (pingpong) {
        p50.push_back((*r)["latency"]["rtt_ns"]["p50"].get<double>());
        p99.push_back((*r)["latency"]["rtt_ns"]["p99"].get<double>());
      }
    }
    e["run_ids"] = ids;
    e["ok_repetitions"] = rate.size();
    // Only the headline metric flags the row: p99 is reported with its interval but varies more by nature.
    std::vector<std::string> reasons;
    json metrics = json::object();
    if (pingpong) {
      metrics["p50_rtt_ns"] = metric_summary(p50, seed, &reasons, "p50");
      metrics["p99_rtt_ns"] = metric_summary(p99, seed, nullptr, "p99");
      metrics["msgs_per_s"] = metric_summary(rate, seed, nullptr, "msgs/s");
    } else {
      metrics["msgs_per_s"] = metric_summary(rate, seed, &reasons, "msgs/s");
    }
    e["metrics"] = metrics;
    if (!rate.empty() && rate.size() < rows.size())
      reasons.push_back(std::to_string(rows.size() - rate.size()) + " of " + std::to_string(rows.size()) +
                        " repetitions failed");
    e["unstable"] = !reasons.empty();
    e["unstable_reasons"] = reasons;
    out.push_back(e);
  }
  return out;
}

}  // namespace ipcbench
