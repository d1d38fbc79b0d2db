#include "harness/env.hpp"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "build_info.hpp"
#include "harness/clock.hpp"
#include "harness/os/perf.hpp"
#include "harness/os/affinity.hpp"
#include "harness/sweep.hpp"
#include "transports/mq.hpp"

namespace ipcbench {

using nlohmann::json;

namespace {
json read_line_or_null(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  if (!in || !std::getline(in, s)) return nullptr;
  return s;
}

json read_number_or_null(const std::string& path) {
  std::ifstream in(path);
  long long v;
  if (!(in >> v)) return nullptr;
  return v;
}

std::string cpuinfo_field(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return line.substr(line.find(':') + 2);
  return "";
}

bool has_cpu_flag(const std::string& flag) {
  std::istringstream ss(cpuinfo_field("flags"));
  std::string f;
  while (ss >> f)
    if (f == flag) return true;
  return false;
}

std::optional<std::string> read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  if (!in || !std::getline(in, s)) return std::nullopt;
  return s;
}

std::optional<long long> read_number(const std::string& path) {
  std::ifstream in(path);
  long long v;
  if (!(in >> v)) return std::nullopt;
  return v;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string strip_trailing_slashes(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

// The hypervisor's CPUID signature (leaf 0x40000000) as it reports it, e.g. "KVMKVMKVM", "Microsoft Hv";
// null on bare metal. Some hypervisors present another's signature, so it is recorded, not interpreted.
json hypervisor_cpuid_signature(bool hypervisor_flag) {
#if defined(__x86_64__)
  if (!hypervisor_flag) return nullptr;
  unsigned a = 0, b = 0, c = 0, d = 0;
  __cpuid(0x40000000, a, b, c, d);
  char sig[13] = {};
  std::memcpy(sig, &b, 4);
  std::memcpy(sig + 4, &c, 4);
  std::memcpy(sig + 8, &d, 4);
  std::string s(sig);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (s.empty()) return nullptr;
  return s;
#else
  (void)hypervisor_flag;
  return nullptr;
#endif
}

std::string percent(double fraction) { return std::to_string(static_cast<int>(fraction * 100 + 0.5)) + "%"; }

// An enabled cpuidle state at least this slow to leave counts as deep (C1 is 1-2 us, C6 around 100 us).
constexpr double kDeepIdleExitLatencyUs = 20;
}  // namespace

namespace env {

std::string bracketed_choice(const std::string& text) {
  auto open = text.find('[');
  auto close = text.find(']', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return "";
  return text.substr(open + 1, close - open - 1);
}

std::optional<double> quota_cpus_from_cpu_max(const std::string& text) {
  std::istringstream in(text);
  std::string quota;
  long long period = 0;
  if (!(in >> quota >> period) || quota == "max" || period <= 0) return std::nullopt;
  try {
    return std::stod(quota) / static_cast<double>(period);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<double> quota_cpus_from_cfs(long long quota_us, long long period_us) {
  if (quota_us < 0 || period_us <= 0) return std::nullopt;
  return static_cast<double>(quota_us) / static_cast<double>(period_us);
}

json cgroup_cpu_limits(const std::string& proc_cgroup, const std::string& cgroup_root) {
  namespace fs = std::filesystem;
  const std::string root = strip_trailing_slashes(cgroup_root);
  std::optional<std::string> v2_path;
  std::map<std::string, std::string> v1_path;   // controller -> path
  std::map<std::string, std::string> v1_mount;  // controller -> hierarchy directory name ("cpu,cpuacct")
  std::istringstream lines(proc_cgroup);
  std::string line;
  while (std::getline(lines, line)) {
    auto c1 = line.find(':');
    auto c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    std::string controllers = line.substr(c1 + 1, c2 - c1 - 1), path = line.substr(c2 + 1);
    if (controllers.empty()) {
      v2_path = path;
      continue;
    }
    std::istringstream cs(controllers);
    std::string c;
    while (std::getline(cs, c, ',')) {
      v1_path[c] = path;
      v1_mount[c] = controllers;
    }
  }
  // The directory of `path` under `base`; `base` itself when the path is relative to another namespace.
  auto dir_of = [](const std::string& base, const std::string& path) {
    std::string d = strip_trailing_slashes(base + path);
    return fs::is_directory(d) ? d : base;
  };
  // The tightest quota from `dir` up to `base` (a parent's quota throttles its children too).
  struct Quota {
    std::optional<double> cpus;
    long long quota_us = 0, period_us = 0;
  } tightest;
  auto walk = [&](const std::string& base, const std::string& dir, auto read_level) {
    for (std::string d = dir;; d = fs::path(d).parent_path().string()) {
      Quota q = read_level(d);
      if (q.cpus && (!tightest.cpus || *q.cpus < *tightest.cpus)) tightest = q;
      if (d.size() <= base.size()) break;
    }
  };
  json out;
  if (v2_path && fs::exists(root + "/cgroup.controllers")) {
    const std::string dir = dir_of(root, *v2_path);
    walk(root, dir, [](const std::string& d) {
      Quota q;
      auto text = read_first_line(d + "/cpu.max");
      if (!text) return q;
      q.cpus = quota_cpus_from_cpu_max(*text);
      std::istringstream in(*text);
      std::string quota;
      in >> quota >> q.period_us;
      if (q.cpus) q.quota_us = std::stoll(quota);
      return q;
    });
    out = {{"version", 2},
           {"path", *v2_path},
           {"cpuset_cpus", cpu_list_or_null(read_first_line(dir + "/cpuset.cpus.effective"))}};
  } else if (v1_path.count("cpu") || v1_path.count("cpuset")) {
    json cpuset = nullptr;
    if (v1_path.count("cpuset")) {
      const std::string base = root + "/" + v1_mount["cpuset"];
      const std::string dir = dir_of(base, v1_path["cpuset"]);
      auto text = read_first_line(dir + "/cpuset.effective_cpus");
      cpuset = cpu_list_or_null(text ? text : read_first_line(dir + "/cpuset.cpus"));
    }
    std::string path = v1_path.count("cpu") ? v1_path["cpu"] : v1_path["cpuset"];
    if (v1_path.count("cpu")) {
      const std::string base = root + "/" + v1_mount["cpu"];
      if (fs::is_directory(base))
        walk(base, dir_of(base, path), [](const std::string& d) {
          Quota q;
          auto quota = read_number(d + "/cpu.cfs_quota_us"), period = read_number(d + "/cpu.cfs_period_us");
          if (!quota || !period) return q;
          q.cpus = quota_cpus_from_cfs(*quota, *period);
          q.quota_us = *quota;
          q.period_us = *period;
          return q;
        });
    }
    out = {{"version", 1}, {"path", path}, {"cpuset_cpus", cpuset}};
  } else {
    return nullptr;
  }
  out["quota_cpus"] = tightest.cpus ? json(*tightest.cpus) : json(nullptr);
  out["quota_us"] = tightest.cpus ? json(tightest.quota_us) : json(nullptr);
  out["period_us"] = tightest.cpus ? json(tightest.period_us) : json(nullptr);
  return out;
}

json first_lines_of_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return nullptr;
  json out = json::object();
  for (const auto& entry : it) {
    if (!entry.is_regular_file(ec)) continue;
    if (auto text = read_first_line(entry.path().string())) out[entry.path().filename().string()] = *text;
  }
  return out;
}

json cpu_topology(const std::string& cpu_root, const std::vector<int>& cpus) {
  std::set<long long> packages;
  std::set<std::string> cores;  // a core is one set of thread siblings
  std::size_t threads_per_core = 0;
  for (int cpu : cpus) {
    const std::string topo = cpu_root + "cpu" + std::to_string(cpu) + "/topology/";
    auto package = read_number(topo + "physical_package_id");
    auto siblings = read_first_line(topo + "thread_siblings_list");
    if (package) packages.insert(*package);
    if (!siblings) continue;
    cores.insert(*siblings);
    try {
      threads_per_core = std::max(threads_per_core, os::parse_cpu_list(*siblings).size());
    } catch (const std::exception&) {
    }
  }
  auto count_or_null = [](std::size_t n) { return n == 0 ? json(nullptr) : json(n); };
  return {{"cpus", cpus.size()},
          {"packages", count_or_null(packages.size())},
          {"cores", count_or_null(cores.size())},
          {"threads_per_core", count_or_null(threads_per_core)}};
}

json cpuidle(const std::string& cpu_root, int cpu) {
  auto governor = read_first_line(cpu_root + "cpuidle/current_governor");
  if (!governor) governor = read_first_line(cpu_root + "cpuidle/current_governor_ro");
  json states = json::array();
  for (int i = 0;; ++i) {
    const std::string dir = cpu_root + "cpu" + std::to_string(cpu) + "/cpuidle/state" + std::to_string(i) + "/";
    auto name = read_first_line(dir + "name");
    if (!name) break;
    auto latency = read_number(dir + "latency");
    states.push_back({{"name", *name},
                      {"exit_latency_us", latency ? json(*latency) : json(nullptr)},
                      {"disabled", read_number(dir + "disable").value_or(0) != 0}});
  }
  auto driver = read_first_line(cpu_root + "cpuidle/current_driver");
  return {{"driver", driver ? json(*driver) : json(nullptr)},
          {"governor", governor ? json(*governor) : json(nullptr)},
          {"states", states}};
}

json cpu_boost(const std::string& cpu_root) {
  if (auto boost = read_number(cpu_root + "cpufreq/boost")) return *boost != 0;
  if (auto no_turbo = read_number(cpu_root + "intel_pstate/no_turbo")) return *no_turbo == 0;
  return nullptr;
}

bool smt_siblings(const std::string& cpu_root, int a, int b) {
  if (a == b) return false;
  auto text = read_first_line(cpu_root + "cpu" + std::to_string(a) + "/topology/thread_siblings_list");
  if (!text) return false;
  try {
    auto list = os::parse_cpu_list(*text);
    return std::find(list.begin(), list.end(), b) != list.end();
  } catch (const std::exception&) {
    return false;
  }
}

json cpu_list_or_null(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  if (*text == "(null)") return json::array();
  try {
    return os::parse_cpu_list(*text);
  } catch (const std::exception&) {
    return nullptr;
  }
}

namespace {
struct CpuTimes {
  unsigned long long busy = 0, total = 0;
};

std::map<int, CpuTimes> parse_proc_stat(const std::string& text) {
  std::map<int, CpuTimes> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() < 4 || line.rfind("cpu", 0) != 0 || !std::isdigit(static_cast<unsigned char>(line[3]))) continue;
    std::istringstream in(line.substr(3));
    int cpu;
    // user nice system idle iowait irq softirq steal (guest time is already inside user and nice)
    unsigned long long v[8] = {};
    if (!(in >> cpu)) continue;
    for (auto& x : v)
      if (!(in >> x)) x = 0;
    CpuTimes t;
    t.busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    t.total = t.busy + v[3] + v[4];
    out[cpu] = t;
  }
  return out;
}
}  // namespace

std::vector<std::pair<int, double>> busy_fractions(const std::string& stat_before, const std::string& stat_after,
                                                   const std::vector<int>& cpus) {
  auto before = parse_proc_stat(stat_before), after = parse_proc_stat(stat_after);
  std::vector<std::pair<int, double>> out;
  for (int cpu : cpus) {
    auto b = before.find(cpu), a = after.find(cpu);
    if (b == before.end() || a == after.end() || a->second.total <= b->second.total) continue;
    double busy = static_cast<double>(a->second.busy - std::min(a->second.busy, b->second.busy));
    out.emplace_back(cpu, busy / static_cast<double>(a->second.total - b->second.total));
  }
  return out;
}

std::optional<std::string> busy_cpus_warning_from(const std::string& stat_before, const std::string& stat_after,
                                                  const std::vector<int>& cpus, int window_ms, double max_busy) {
  std::string found;
  for (const auto& [cpu, fraction] : busy_fractions(stat_before, stat_after, cpus))
    if (fraction > max_busy)
      found += (found.empty() ? "" : ", ") + ("cpu " + std::to_string(cpu)) + " " + percent(fraction);
  if (found.empty()) return std::nullopt;
  return "CPUs the sweep uses were busy with other work in the " + std::to_string(window_ms) +
         " ms before it (" + found + "): the runs share them with that work, which inflates latencies and tails";
}

std::vector<std::string> host_warnings(const json& host) {
  std::vector<std::string> out;
  auto str = [&](const char* key) { return host.value(key, json()).is_string() ? host[key].get<std::string>() : ""; };
  if (host.value("virtualized", false)) {
    std::string seen = "hypervisor CPU flag";
    if (!str("hypervisor_type").empty()) seen = str("hypervisor_type") + ", " + seen;
    if (auto sig = str("hypervisor_cpuid_signature"); !sig.empty()) seen += ", CPUID signature '" + sig + "'";
    out.push_back("running in a virtual machine (" + seen +
                  "): the host schedules the vCPUs, so tails and cross-core numbers include the hypervisor's "
                  "decisions");
  }
  if (str("clocksource") == "hpet" || str("clocksource") == "acpi_pm")
    out.push_back("clocksource is " + str("clocksource") + ": every clock_gettime is a slow hardware read");
  const json tsc = host.value("tsc", json::object());
  const bool x86_64 = host.value("kernel", json::object()).value("machine", "") == "x86_64";
  if (x86_64 && !tsc.value("tsc_usable_across_cpus", true))
    out.push_back("the TSC is not usable across CPUs: " + tsc.value("reason", std::string("unknown reason")) +
                  "; timestamps use CLOCK_MONOTONIC instead, whose read cost is part of every sample");
  if (str("governor") == "powersave")
    out.push_back("CPU frequency governor is powersave: latencies will be inflated; use performance");
  if (host.value("boost", json()) == true)
    out.push_back("CPU boost (turbo) is on: the clock frequency follows load and temperature, so latencies vary "
                  "from run to run");
  auto non_empty = [&](const char* key) { return host.value(key, json()).is_array() && !host[key].empty(); };
  if (!non_empty("isolated_cpus") && !non_empty("nohz_full"))
    for (const auto& st : host.value("cpuidle", json::object()).value("states", json::array()))
      if (!st.value("disabled", false) && st.value("exit_latency_us", json()).is_number() &&
          st["exit_latency_us"].get<double>() >= kDeepIdleExitLatencyUs) {
        out.push_back("cpuidle state " + st.value("name", std::string("?")) + " (exit latency " +
                      std::to_string(st["exit_latency_us"].get<long long>()) +
                      " us) is enabled and no CPU is isolated: a waiting CPU may sleep that deeply and a blocking "
                      "wake-up then pays the exit latency");
        break;
      }
  if (str("transparent_hugepage") == "always")
    out.push_back("transparent huge pages are 'always' (minor): page faults and khugepaged work land unevenly on "
                  "runs that map new buffers");
  const json cgroup = host.value("cgroup_cpu", json());
  if (cgroup.is_object() && cgroup.value("quota_cpus", json()).is_number()) {
    char q[32];
    std::snprintf(q, sizeof q, "%.2f", cgroup["quota_cpus"].get<double>());
    out.push_back(std::string("this process's cgroup has a CPU quota of ") + q +
                  " CPUs: when it runs out the process is throttled for the rest of the period, which shows as "
                  "millisecond latency spikes");
  }
  if (host.value("cpus_allowed", json::array()).size() < 2)
    out.push_back("only one CPU is allowed: cross-core placements are not available here");
  return out;
}

}  // namespace env

void describe_cpu_pairs(json& context, const std::vector<CpuPair>& pairs) {
  const std::string sys = "/sys/devices/system/cpu/";
  json out = json::array();
  bool cross_core = false;
  std::set<std::pair<int, int>> seen;
  for (const auto& p : pairs) {
    if (!seen.insert({p.producer, p.consumer}).second) continue;
    bool siblings = env::smt_siblings(sys, p.producer, p.consumer);
    cross_core |= p.producer != p.consumer && !siblings;
    out.push_back({{"producer", p.producer},
                   {"consumer", p.consumer},
                   {"placement", classify_pair(p)},
                   {"smt_siblings", siblings}});
  }
  context["cpu_pairs"] = out;
  const auto& isolated = context["host"]["isolated_cpus"];
  if (cross_core && !(isolated.is_array() && !isolated.empty()))
    context["warnings"].push_back("no CPU is isolated (isolcpus), as usual: other tasks and interrupts may share the "
                                  "measured CPUs and lengthen the tails");
}

std::optional<std::string> busy_cpus_warning(const std::vector<int>& cpus, int window_ms) {
  auto before = read_all("/proc/stat");
  std::this_thread::sleep_for(std::chrono::milliseconds(window_ms));
  return env::busy_cpus_warning_from(before, read_all("/proc/stat"), cpus, window_ms);
}

std::string hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown-host";
  return buf;
}

std::string utc_timestamp(bool for_filename) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, for_filename ? "%Y%m%dT%H%M%SZ" : "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json perf_availability() {
  // The same counters every side of every run opens, opened once here to say what this machine counts and,
  // once, why not: runs then carry values only for what works.
  const os::ThreadCounters probe;
  auto kind = [](const os::ThreadCounters::Availability& a) {
    json j = {{"available", a.available}, {"events", a.events}};
    if (!a.reason.empty()) j["reason"] = a.reason;
    return j;
  };
  json tracepoint = kind(probe.syscalls());
  tracepoint["tracepoint"] = "raw_syscalls:sys_enter";
  tracepoint["subtracted"] =
      "the harness's own system calls inside each side's measured phase: the ioctl that stops the counter, "
      "the producer's control-channel recv of 'done' (stream) and its clock reads when they are system calls "
      "(clock.syscalls_per_read)";
  return {{"software", kind(probe.software())},
          {"hardware", kind(probe.hardware())},
          {"syscalls_tracepoint", tracepoint}};
}

json describe_environment(const std::vector<std::string>& argv) {
  json ctx;
  std::vector<std::string> warnings;

  ctx["tool"] = {{"name", "ipcbench"},
                 {"version", build::version},
                 {"git_commit", build::git_commit},
                 {"build_type", build::build_type},
                 {"compiler", std::string(build::compiler_id) + " (" + __VERSION__ + ")"},
                 {"cxx_flags", build::cxx_flags}};
  std::string bt = build::build_type;
  if (bt != "Release" && bt != "RelWithDebInfo")
    warnings.push_back("this is a " + (bt.empty() ? std::string("unoptimised") : bt) +
                       " build: numbers are not representative; build with -DCMAKE_BUILD_TYPE=Release");

  utsname u{};
  ::uname(&u);
  const std::string sys = "/sys/devices/system/cpu/";
  auto online = os::online_cpus();
  auto allowed = os::allowed_cpus();
  json clocksource = read_line_or_null(sys.substr(0, sys.size() - 4) + "clocksource/clocksource0/current_clocksource");
  json governor = read_line_or_null(sys + "cpu" + std::to_string(allowed.empty() ? 0 : allowed.front()) +
                                    "/cpufreq/scaling_governor");
  bool hypervisor = has_cpu_flag("hypervisor");
  json smt = {{"control", read_line_or_null(sys + "smt/control")}, {"active", read_number_or_null(sys + "smt/active")}};
  const int first_cpu = allowed.empty() ? 0 : allowed.front();
  auto cmdline = read_first_line("/proc/cmdline");
  auto available_cs = read_first_line("/sys/devices/system/clocksource/clocksource0/available_clocksource");
  std::string tsc_reason;
  bool tsc_usable = Clock::tsc_usable(&tsc_reason);
  bool kernel_offers_tsc = false;
  {
    std::istringstream ss(available_cs.value_or(""));
    std::string w;
    while (ss >> w) kernel_offers_tsc |= w == "tsc";
  }
  json isolated = env::cpu_list_or_null(read_first_line(sys + "isolated"));
  json nohz_full = env::cpu_list_or_null(read_first_line(sys + "nohz_full"));
  json boost = env::cpu_boost(sys);
  json idle = env::cpuidle(sys, first_cpu);
  json cgroup = env::cgroup_cpu_limits(read_all("/proc/self/cgroup"), "/sys/fs/cgroup");
  auto thp_text = read_first_line("/sys/kernel/mm/transparent_hugepage/enabled");
  json thp = thp_text ? json(env::bracketed_choice(*thp_text)) : json(nullptr);
  json hypervisor_type = read_line_or_null("/sys/hypervisor/type");
  json signature = hypervisor_cpuid_signature(hypervisor);
  std::string microcode = cpuinfo_field("microcode");
  ctx["host"] = {
      {"hostname", hostname()},
      {"kernel", {{"sysname", u.sysname}, {"release", u.release}, {"version", u.version}, {"machine", u.machine}}},
      {"cpu_model", cpuinfo_field("model name")},
      {"cpu_microcode", microcode.empty() ? json(nullptr) : json(microcode)},
      {"cpus_online", online},
      {"cpus_allowed", allowed},
      {"topology", env::cpu_topology(sys, online)},
      {"clocksource", clocksource},
      {"available_clocksources", read_line_or_null("/sys/devices/system/clocksource/clocksource0/available_clocksource")},
      {"tsc",
       {{"constant_tsc", has_cpu_flag("constant_tsc")},
        {"nonstop_tsc", has_cpu_flag("nonstop_tsc")},
        {"tsc_reliable", has_cpu_flag("tsc_reliable")},
        {"kernel_offers_tsc", kernel_offers_tsc},
        {"tsc_usable_across_cpus", tsc_usable},
        {"reason", tsc_reason}}},
      {"governor", governor},
      {"boost", boost},
      {"cpuidle", idle},
      {"isolated_cpus", isolated},
      {"nohz_full", nohz_full},
      {"kernel_cmdline", cmdline ? json(*cmdline) : json(nullptr)},
      {"vulnerabilities", env::first_lines_of_dir(sys + "vulnerabilities")},
      {"transparent_hugepage", thp},
      {"cgroup_cpu", cgroup},
      {"smt", smt},
      {"virtualized", hypervisor},
      {"hypervisor_type", hypervisor_type},
      {"hypervisor_cpuid_signature", signature},
      {"dmi_product", read_line_or_null("/sys/class/dmi/id/product_name")},
      {"dmi_vendor", read_line_or_null("/sys/class/dmi/id/sys_vendor")},
  };
  for (auto& w : env::host_warnings(ctx["host"])) warnings.push_back(std::move(w));

  rlimit mq_rl{};
  ::getrlimit(RLIMIT_MSGQUEUE, &mq_rl);
  ctx["limits"] = {
      {"mq_msg_max", read_number_or_null("/proc/sys/fs/mqueue/msg_max")},
      {"mq_msgsize_max", read_number_or_null("/proc/sys/fs/mqueue/msgsize_max")},
      {"mq_msg_default", read_number_or_null("/proc/sys/fs/mqueue/msg_default")},
      {"mq_msgsize_default", read_number_or_null("/proc/sys/fs/mqueue/msgsize_default")},
      {"mq_queues_max", read_number_or_null("/proc/sys/fs/mqueue/queues_max")},
      {"rlimit_msgqueue_bytes", mq_rl.rlim_cur == RLIM_INFINITY ? json(nullptr) : json(mq_rl.rlim_cur)},
      {"pipe_max_size", read_number_or_null("/proc/sys/fs/pipe-max-size")},
      {"net_core_wmem_max", read_number_or_null("/proc/sys/net/core/wmem_max")},
      {"net_core_rmem_max", read_number_or_null("/proc/sys/net/core/rmem_max")},
  };

  const auto& ci = Clock::info();
  ctx["clock"] = {{"source", ci.source},
                  {"reason", ci.reason},
                  {"ns_per_tick", ci.ns_per_tick},
                  {"read_overhead_ns", ci.read_overhead_ns},
                  {"read_overhead_min_ns", ci.read_overhead_min_ns},
                  {"resolution_ns", ci.resolution_ns},
                  {"calibration_ms", ci.calibration_ms},
                  {"syscalls_per_read", ci.syscalls_per_read ? json(*ci.syscalls_per_read) : json(nullptr)}};
  ctx["perf"] = perf_availability();

  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  ctx["command_line"] = cmd;
  ctx["argv"] = argv;
  ctx["date_utc"] = utc_timestamp(false);
  ctx["warnings"] = warnings;
  ctx["floors"] = {{"cacheline_pingpong", json::array()},
                   {"two_line_pingpong", json::array()},
                   {"futex_pingpong", json::array()}};
  return ctx;
}

}  // namespace ipcbench
