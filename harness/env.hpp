#pragma once
// The environment manifest stored with every result: what ran, where, under which limits and clock, and the
// warnings for conditions that distort results.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/run.hpp"

namespace ipcbench {

// Everything in `context` except floors (measured later); `warnings` lists what may distort results.
nlohmann::json describe_environment(const std::vector<std::string>& argv);
// context.perf: which perf counters (software, hardware, the syscall tracepoint) this machine counts for a
// thread, and why not where it does not.
nlohmann::json perf_availability();
// Adds context.cpu_pairs (is each pair of the sweep an SMT sibling pair?) and the note about isolated CPUs.
void describe_cpu_pairs(nlohmann::json& context, const std::vector<CpuPair>& pairs);
// Samples /proc/stat over `window_ms`; a warning if any of `cpus` was busy with other work.
std::optional<std::string> busy_cpus_warning(const std::vector<int>& cpus, int window_ms = 100);
std::string hostname();
std::string utc_timestamp(bool for_filename);  // 2026-11-25T06:01:32Z or 20261125T060132Z

// The readers behind the manifest take a root directory or the text of a file, so tests can feed fixtures.
namespace env {

// "always [madvise] never" -> "madvise"; "" if nothing is bracketed.
std::string bracketed_choice(const std::string& text);
// cgroup v2 cpu.max: "max 100000" -> nullopt (no quota); "50000 100000" -> 0.5 CPUs.
std::optional<double> quota_cpus_from_cpu_max(const std::string& text);
// cgroup v1 cpu.cfs_quota_us / cpu.cfs_period_us: quota -1 -> nullopt.
std::optional<double> quota_cpus_from_cfs(long long quota_us, long long period_us);
// cgroup CPU limits of the process whose /proc/<pid>/cgroup is `proc_cgroup`, under `cgroup_root`
// (/sys/fs/cgroup): {version, path, quota_cpus, quota_us, period_us, cpuset_cpus}; null if nothing is found.
nlohmann::json cgroup_cpu_limits(const std::string& proc_cgroup, const std::string& cgroup_root);
// Every regular file in `dir` as name -> first line, sorted by name; null if `dir` cannot be read.
nlohmann::json first_lines_of_dir(const std::string& dir);
// Under `cpu_root` (/sys/devices/system/cpu/): {cpus, packages, cores, threads_per_core} over `cpus`.
nlohmann::json cpu_topology(const std::string& cpu_root, const std::vector<int>& cpus);
// Under `cpu_root`: {driver, governor, states: [{name, exit_latency_us, disabled}]} with the states of `cpu`.
nlohmann::json cpuidle(const std::string& cpu_root, int cpu);
// Under `cpu_root`: true/false from cpufreq/boost or intel_pstate/no_turbo; null when neither exists.
nlohmann::json cpu_boost(const std::string& cpu_root);
// Under `cpu_root`: are `a` and `b` two different hardware threads of one core (thread_siblings_list)?
bool smt_siblings(const std::string& cpu_root, int a, int b);
// "" / "(null)" -> [], "2-3" -> [2,3]; null when the file is absent (`text` nullopt) or unparseable.
nlohmann::json cpu_list_or_null(const std::optional<std::string>& text);

// The warnings that follow from context.host alone (VM, clocksource, TSC, governor, boost, deep idle states,
// THP, cgroup quota, a single allowed CPU), one line each.
std::vector<std::string> host_warnings(const nlohmann::json& host);

// Fraction of time each of `cpus` was not idle between two /proc/stat snapshots (user, nice, system, irq,
// softirq and steal count as busy; idle and iowait as idle). A CPU missing from either snapshot is left out.
std::vector<std::pair<int, double>> busy_fractions(const std::string& stat_before, const std::string& stat_after,
                                                   const std::vector<int>& cpus);
// One warning line naming every CPU of `cpus` busier than `max_busy` (0.10 = 10 %) between the two snapshots.
std::optional<std::string> busy_cpus_warning_from(const std::string& stat_before, const std::string& stat_after,
                                                  const std::vector<int>& cpus, int window_ms, double max_busy = 0.10);

}  // namespace env
}  // namespace ipcbench
