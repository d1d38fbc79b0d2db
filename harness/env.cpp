#include "harness/env.hpp"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "build_info.hpp"
#include "harness/clock.hpp"
#include "harness/os/affinity.hpp"
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
}  // namespace

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
  ctx["host"] = {
      {"hostname", hostname()},
      {"kernel", {{"sysname", u.sysname}, {"release", u.release}, {"version", u.version}, {"machine", u.machine}}},
      {"cpu_model", cpuinfo_field("model name")},
      {"cpus_online", online},
      {"cpus_allowed", allowed},
      {"clocksource", clocksource},
      {"available_clocksources", read_line_or_null("/sys/devices/system/clocksource/clocksource0/available_clocksource")},
      {"governor", governor},
      {"smt", smt},
      {"virtualized", hypervisor},
      {"dmi_product", read_line_or_null("/sys/class/dmi/id/product_name")},
      {"dmi_vendor", read_line_or_null("/sys/class/dmi/id/sys_vendor")},
  };
  if (hypervisor)
    warnings.push_back("running in a virtual machine (hypervisor CPU flag): the host schedules the vCPUs, so tails "
                       "and cross-core numbers include the hypervisor's decisions");
  if (clocksource.is_string()) {
    auto cs = clocksource.get<std::string>();
    if (cs == "hpet" || cs == "acpi_pm")
      warnings.push_back("clocksource is " + cs + ": every clock_gettime is a slow hardware read");
  }
  if (governor.is_string() && governor.get<std::string>() == "powersave")
    warnings.push_back("CPU frequency governor is powersave: latencies will be inflated; use performance");
  if (allowed.size() < 2)
    warnings.push_back("only one CPU is allowed: cross-core placements are not available here");

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
                  {"calibration_ms", ci.calibration_ms}};

  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  ctx["command_line"] = cmd;
  ctx["argv"] = argv;
  ctx["date_utc"] = utc_timestamp(false);
  ctx["warnings"] = warnings;
  ctx["floors"] = {{"cacheline_pingpong", json::array()}};
  return ctx;
}

}  // namespace ipcbench
