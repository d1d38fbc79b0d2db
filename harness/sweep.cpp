#include "harness/sweep.hpp"

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "harness/os/affinity.hpp"
#include "harness/parse.hpp"
#include "harness/repeat.hpp"
#include "transports/registry.hpp"

namespace ipcbench {

namespace {
constexpr NamedSummary kPlacements[] = {
    {"same-core", "both ends pinned to one CPU: every hand-over is a context switch"},
    {"cross-core", "two CPUs that are not SMT siblings: data crosses between private caches"},
    {"smt-sibling", "two hardware threads of one core: they share L1/L2 (needs SMT)"},
};
constexpr NamedSummary kPatterns[] = {
    {"pingpong", "request and equal-sized reply; per-message round-trip time into a histogram"},
    {"stream", "one-way flood; msgs/s and bytes/s from first send until the consumer confirms the last byte"},
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
  auto fail = [&](const std::string& why) -> std::optional<CpuPair> {
    if (why_not) *why_not = why;
    return std::nullopt;
  };
  if (allowed.empty()) return fail("no CPU is allowed for this process");
  const int first = allowed.front();
  if (name == "same-core") return CpuPair{first, first};
  for (int a : allowed)
    for (int b : allowed) {
      if (a == b) continue;
      bool sib = siblings(a, b);
      if (name == "cross-core" && !sib) return CpuPair{a, b};
      if (name == "smt-sibling" && sib) return CpuPair{a, b};
    }
  if (name == "cross-core")
    return fail("placement cross-core is not available here: fewer than two non-sibling CPUs are allowed (" +
                std::to_string(allowed.size()) + " allowed)");
  if (name == "smt-sibling")
    return fail("placement smt-sibling is not available here: no two allowed CPUs are SMT siblings (SMT off or absent)");
  return fail("unknown placement '" + std::string(name) + "' (known: same-core, cross-core, smt-sibling)");
}

std::string impossible_reason(const RunConfig& cfg) {
  const auto* t = find_transport(cfg.transport);
  if (!t) return "unknown transport '" + cfg.transport + "'";
  if (t->kind == EntryKind::baseline && cfg.verify)
    return cfg.transport + " is a baseline without synchronisation: its data cannot be verified (drop --verify)";
  if (t->kind == EntryKind::baseline && cfg.threads)
    return cfg.transport + " is a baseline without synchronisation: thread mode would be a data race (drop --threads)";
  auto caps = t->capabilities();
  if (cfg.payload_bytes > caps.max_message_bytes)
    return "size " + format_size(cfg.payload_bytes) + " is above the " + cfg.transport + " limit: " + caps.limit_hint;
  if (caps.max_capacity != 0 && cfg.capacity > caps.max_capacity)
    return "capacity " + std::to_string(cfg.capacity) + " is above the " + cfg.transport + " limit: " + caps.capacity_hint;
  if (cfg.transport == "pipe" && cfg.capacity != 0) {
    std::ifstream in("/proc/sys/fs/pipe-max-size");
    std::size_t max = 1 << 20;
    in >> max;
    if (cfg.capacity * cfg.payload_bytes > max) return caps.capacity_hint;
  }
  return "";
}

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
          for (std::size_t size : spec.sizes) {
            PlannedRun r;
            r.config = spec.base;
            r.config.transport = name;
            r.config.wait = w;
            r.config.pattern = p;
            r.config.payload_bytes = size;
            r.config.cpus = pair.cpus;
            r.config.placement = pair.placement;
            r.skip_reason = impossible_reason(r.config);
            if (r.skip_reason.empty() && entry->kind == EntryKind::baseline && p == Pattern::pingpong) {
              r.skip_reason = name + " is a stream-only baseline (no synchronisation, so no round trip)";
              runs.push_back(std::move(r));
              continue;
            }
            // A size limit met through the default sizes is a skipped row; anything asked for explicitly
            // that cannot run is refused before the sweep starts.
            bool size_limit = r.skip_reason.rfind("size ", 0) == 0;
            if (!r.skip_reason.empty() && (!size_limit || spec.sizes_explicit)) throw std::invalid_argument(r.skip_reason);
            runs.push_back(std::move(r));
          }
    }
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
