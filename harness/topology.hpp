#pragma once
// The machine's CPU topology read from sysfs (packages, SMT siblings, caches, NUMA nodes, hybrid core types),
// the class of every CPU pair, a representative pair per class, and the views of results by class. The sysfs
// root is a parameter, so a test can feed a tree it wrote itself.
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/run.hpp"

namespace ipcbench::topo {

// Closest first: the closest level two CPUs share decides a pair's class.
inline constexpr std::string_view kClasses[] = {"same-core",  "smt-sibling", "shared-l2",   "shared-llc",
                                                "cross-llc",  "cross-numa",  "cross-socket"};
// Two different cores whose cache sharing is unknown (no cache information in sysfs). As a --placement it is
// the older, coarser name: any two CPUs that are not the same CPU or SMT siblings.
inline constexpr std::string_view kCrossCore = "cross-core";

struct CpuInfo {
  int cpu = -1;
  std::optional<int> package, die, cluster, core, node;
  std::vector<int> siblings;   // thread_siblings_list, the CPU itself included; empty if unknown
  std::optional<int> l2, llc;  // ordinal of the CPU's L2 and last-level cache domain (by lowest CPU)
  int llc_level = 0;           // 0: no cache information
  std::string core_type;       // "core", "atom" (hybrid parts) or "" where not known
};

struct Topology {
  std::string root;            // the sysfs root read ("/sys")
  std::vector<CpuInfo> cpus;   // online CPUs, in CPU order
  bool cache_info = false;     // every CPU has cache/indexK with level and shared_cpu_list
  bool numa_info = false;      // every CPU is in a node's cpulist
  bool package_info = false;   // every CPU has a physical_package_id
  bool hybrid = false;         // cpu_core/cpu_atom PMUs list the core types
  std::vector<std::string> unknown;  // one line per thing that could not be read, and what follows from it

  [[nodiscard]] const CpuInfo* find(int cpu) const;
};

// Reads <sys_root>/devices/system/cpu/..., <sys_root>/devices/system/node/... and <sys_root>/devices/cpu_*/cpus.
Topology read_topology(const std::string& sys_root);
// This machine's topology, read once from /sys.
const Topology& system_topology();

// The class of the ordered pair: one of kClasses, or kCrossCore when the caches are not known.
std::string pair_class(const Topology& t, int a, int b);
// Is `name` a placement --placement accepts (a class or cross-core)?
bool is_placement_name(std::string_view name);
// "same-core, smt-sibling, ..., cross-core": for error messages.
std::string placement_names();
// One sentence on what the class means.
std::string_view class_summary(std::string_view name);

// A representative ordered pair for a class (or cross-core) among `allowed`: the first in CPU order, so the
// lowest CPU is the producer. nullopt and `why_not` (a reason, without the class name) when there is none.
std::optional<CpuPair> representative(const Topology& t, std::string_view name, const std::vector<int>& allowed,
                                      std::string* why_not);

// context.topology: the CPUs with their ids, the classes present among `allowed` with their pairs and the
// representative, the classes absent and why, and what was not known.
nlohmann::json topology_json(const Topology& t, const std::vector<int>& allowed);

// by_class[]: the ok runs grouped by configuration and placement_class; the median p50 round trip (pingpong)
// or msgs/s (stream) over the runs of each group.
nlohmann::json by_class(const nlohmann::json& runs);

// --matrix: every ordered pair of `cpus` (diagonal included) when that is at most `max_pairs`; otherwise a
// sample of at most max_pairs (at least one per class), spread round-robin over the classes, seeded.
struct MatrixPlan {
  std::vector<CpuPair> pairs;
  std::size_t pairs_total = 0;
  bool sampled = false;
};
MatrixPlan matrix_pairs(const Topology& t, const std::vector<int>& cpus, std::size_t max_pairs, std::uint64_t seed);

// The matrices for heatmaps, built from runs[] and context.floors: one per transport/wait/size of the pingpong
// runs, with the cache-line floor (measured before the sweep) of every pair.
nlohmann::json matrix_json(const nlohmann::json& runs, const nlohmann::json& floors, const std::vector<int>& cpus,
                           const MatrixPlan& plan, double budget_s);

// The console view of by_class[] (when the runs span more than one class or more than one pair per class) and
// of each matrix (a grid of p50, producer rows, consumer columns, up to 16 CPUs).
void print_class_tables(std::ostream& out, const nlohmann::json& report);

}  // namespace ipcbench::topo
