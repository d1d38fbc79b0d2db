#include "harness/sweep.hpp"

#include <algorithm>
#include <stdexcept>

#include "harness/mailbox.hpp"
#include "harness/os/affinity.hpp"
#include "harness/parse.hpp"
#include "harness/repeat.hpp"
#include "harness/topology.hpp"
#include "transports/registry.hpp"

namespace ipcbench {

namespace {
// --placement names: the topology classes, closest first, then the older coarse cross-core (harness/topology.hpp).
constexpr NamedSummary kPlacements[] = {
    {"same-core", "both ends pinned to one CPU: every hand-over is a context switch"},
    {"smt-sibling", "two hardware threads of one core: they share L1 and L2 (needs SMT)"},
    {"shared-l2", "two cores that share an L2 cache (a core cluster)"},
    {"shared-llc", "two cores that share the last-level cache (L3, a CCX) but not an L2"},
    {"cross-llc", "two cores of one package and NUMA node with different last-level caches"},
    {"cross-numa", "two cores of one package in different NUMA nodes (sub-NUMA clustering)"},
    {"cross-socket", "two cores in different packages (sockets)"},
    {"cross-core", "any two CPUs that are not the same CPU or SMT siblings (runs[].placement_class names the "
                   "pair's class); as a class: different cores whose shared caches are unknown"},
};
constexpr NamedSummary kPatterns[] = {
    {"pingpong", "request and equal-sized reply; per-message round-trip time into a histogram"},
    {"stream", "one-way flood; msgs/s and bytes/s from first send until the consumer confirms the last byte"},
    {"rate", "open loop: sends at each --rate/--load, one-way latency from each message's intended send time"},
    {"rpc", "request, then block for exactly one reply of --reply-sizes bytes; pingpong's loop and histogram"},
    {"mailbox", "--producers P and --consumers C processes share one mailbox; throughput, one-way latency, who got what"},
};
constexpr NamedSummary kWaits[] = {
    {"block", "blocking calls (kernel transports) / FUTEX_WAIT, woken only if the reader said it sleeps (shm)"},
    {"spin", "busy-poll with non-blocking calls; after a bounded budget sched_yield() (same-CPU fallback)"},
    {"hybrid", "busy-poll for the spin budget, then block"},
};

bool siblings(int a, int b) {
  auto s = os::smt_siblings(a);
  return std::find(s.begin(), s.end(), b) != s.end();
}
}  // namespace

std::span<const NamedSummary> placement_table() { return kPlacements; }
std::span<const NamedSummary> pattern_table() { return kPatterns; }
std::span<const NamedSummary> wait_table() { return kWaits; }

std::string classify_pair(const CpuPair& p) {
  if (p.producer == p.consumer) return "same-core";
  if (siblings(p.producer, p.consumer)) return "smt-sibling";
  return "cross-core";
}

std::optional<CpuPair> resolve_placement(std::string_view name, const std::vector<int>& allowed, std::string* why_not) {
  if (!topo::is_placement_name(name)) {
    if (why_not) *why_not = "unknown placement '" + std::string(name) + "' (known: " + topo::placement_names() + ")";
    return std::nullopt;
  }
  std::string why;
  auto pair = topo::representative(topo::system_topology(), name, allowed, &why);
  if (!pair && why_not) *why_not = std::string(name) + " is not available here (" + why + ")";
  return pair;
}

std::string impossible_reason(const RunConfig& cfg) {
  const auto* t = find_transport(cfg.transport);
  if (!t) return "unknown transport '" + cfg.transport + "'";
  auto caps = t->capabilities();
  if (cfg.pattern == Pattern::mailbox) return mailbox_impossible_reason(cfg);
  if (cfg.payload_bytes > caps.max_message_bytes)
    return "size " + format_size(cfg.payload_bytes) + " is above the " + cfg.transport + " limit: " + caps.limit_hint;
  if (reply_size(cfg) > caps.max_message_bytes)
    return "reply size " + format_size(reply_size(cfg)) + " is above the " + cfg.transport + " limit: " + caps.limit_hint;
  if (cfg.capacity.kind != Capacity::Kind::bounded) return "";  // 0 and unbounded fit any transport
  const std::size_t n = cfg.capacity.messages;
  const std::string what = "capacity " + std::to_string(n);
  if (caps.max_capacity != 0 && n > caps.max_capacity)
    return what + " is above the " + cfg.transport + " limit: " + caps.capacity_hint;
  if (caps.max_capacity_bytes != 0 && n > caps.max_capacity_bytes / cfg.payload_bytes)
    return what + " x size " + format_size(cfg.payload_bytes) + " is above the " + cfg.transport +
           " limit: " + caps.capacity_hint;
  if (n > kMaxCapacityBytes / cfg.payload_bytes)
    return what + " x size " + format_size(cfg.payload_bytes) + " is more than " +
           std::to_string(kMaxCapacityBytes >> 30) + " GiB per direction, ipcbench's limit for a buffer";
  return "";
}

namespace {
// The axes only some patterns have: rpc's reply sizes, mailbox's producer and consumer counts. A mailbox run
// places its own processes (round-robin over the allowed CPUs), so it is planned for the first pair only.
struct Shape {
  std::size_t reply_bytes = 0;
  unsigned producers = 1, consumers = 1;
};
std::vector<Shape> shapes(const SweepSpec& spec, Pattern p, const PlacedPair& pair) {
  std::vector<Shape> out;
  if (p == Pattern::rpc && !spec.reply_sizes.empty()) {
    for (std::size_t r : spec.reply_sizes) out.push_back({r, 1, 1});
  } else if (p == Pattern::mailbox) {
    if (&pair != &spec.pairs.front()) return out;
    for (unsigned np : spec.producers)
      for (unsigned nc : spec.consumers) out.push_back({0, np, nc});
  } else {
    out.push_back({});
  }
  return out;
}
}  // namespace

std::vector<PlannedRun> expand(const SweepSpec& spec) {
  std::vector<PlannedRun> runs;
  for (const auto& pair : spec.pairs)
    for (const auto& name : spec.transports) {
      std::vector<Wait> waits = spec.waits;
      const auto* entry = find_transport(name);
      if (waits.empty())
        waits = entry->kind == EntryKind::baseline ? std::vector<Wait>{Wait::spin}  // it never waits
                : entry->ring                      ? std::vector<Wait>{Wait::spin, Wait::block}
                                                   : std::vector<Wait>{Wait::block};
      for (Wait w : waits)
        for (Pattern p : spec.patterns)
          for (std::size_t size : spec.sizes)
            for (const Capacity& capacity : spec.capacities)
              for (const Shape& shape : shapes(spec, p, pair)) {
              PlannedRun r;
              r.config = spec.base;
              r.config.transport = name;
              r.config.wait = w;
              r.config.pattern = p;
              r.config.payload_bytes = size;
              r.config.capacity = capacity;
              r.config.cpus = pair.cpus;
              r.config.placement = pair.placement;
              r.config.reply_bytes = shape.reply_bytes;
              r.config.producers = shape.producers;
              r.config.consumers = shape.consumers;
              if (p == Pattern::mailbox) r.config.placement = kMailboxPlacement;
              r.skip_reason = impossible_reason(r.config);
              if (p == Pattern::mailbox) {  // refused mailbox combinations are rows, not errors: see mailbox.hpp
                runs.push_back(std::move(r));
                continue;
              }
              // A baseline's producer never waits for its consumer: it has no round trip, nothing to verify (a
              // slot may be overwritten unread), and two threads on it would be a data race. Such rows are
              // skipped with the reason, so that a group like `ablation` still runs with --verify or --threads.
              if (r.skip_reason.empty() && entry->kind == EntryKind::baseline) {
                if (round_trip(p)) r.skip_reason = name + " is a stream-only baseline (no round trip)";
                else if (r.config.verify)
                  r.skip_reason = name + " is a baseline whose producer never waits (a slot may be overwritten "
                                         "unread): nothing to verify";
                else if (r.config.threads)
                  r.skip_reason = name + " is a baseline whose producer never waits: no thread mode (a data race)";
                if (!r.skip_reason.empty()) {
                  runs.push_back(std::move(r));
                  continue;
                }
              }
              // A limit met only through one of the default sizes (the same run with 1-byte messages would be
              // possible) is a skipped row. So is a capacity one transport cannot have (mq's msg_max) while
              // others in the sweep can: checked below. Anything else was asked for explicitly and is refused
              // before the sweep starts.
              if (!r.skip_reason.empty()) {
                auto possible_with = [&](bool smaller_size, bool default_capacity) {
                  RunConfig c = r.config;
                  if (smaller_size) c.payload_bytes = 1;
                  if (default_capacity) c.capacity = Capacity{};
                  return impossible_reason(c).empty();
                };
                const bool skip = possible_with(false, true) ||
                                  (!spec.sizes_explicit && (possible_with(true, false) || possible_with(true, true)));
                if (!skip) throw std::invalid_argument(r.skip_reason);
              }
              runs.push_back(std::move(r));
            }
    }
  // A capacity that no run of the sweep can have was asked for in vain: refuse it with the first reason.
  for (const Capacity& capacity : spec.capacities) {
    const PlannedRun* first = nullptr;
    bool possible = false;
    for (const auto& r : runs)
      if (r.config.capacity == capacity) {
        possible |= r.skip_reason.empty();
        if (!first) first = &r;
      }
    if (first && !possible) throw std::invalid_argument(first->skip_reason);
  }
  runs = expand_rates(std::move(runs), spec.rates);  // pattern rate: one run per offered rate
  for (std::size_t i = 0; i < runs.size(); ++i) runs[i].config_id = i;
  return runs;
}

std::vector<PlannedRun> repeat_runs(const std::vector<PlannedRun>& runs, std::size_t repetitions, std::uint64_t seed) {
  std::vector<PlannedRun> all;
  for (std::size_t rep = 0; rep < repetitions; ++rep)
    for (const auto& r : runs) {
      all.push_back(r);
      all.back().repetition = rep;
    }
  if (repetitions < 2) return all;
  std::vector<PlannedRun> shuffled;
  shuffled.reserve(all.size());
  for (std::size_t i : shuffled_order(all.size(), seed)) shuffled.push_back(all[i]);
  return shuffled;
}

}  // namespace ipcbench
