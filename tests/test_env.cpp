// The environment manifest: its keys and types on this machine, and the readers behind it fed fixture
// directories and text instead of the real /sys and /proc.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "harness/clock.hpp"
#include "harness/env.hpp"

namespace ipcbench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A fresh directory under $TMPDIR, removed with everything in it.
class FixtureDir {
 public:
  FixtureDir() {
    std::string pattern = (fs::temp_directory_path() / "ipcbench-env-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    root_ = pattern;
  }
  ~FixtureDir() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  FixtureDir(const FixtureDir&) = delete;
  FixtureDir& operator=(const FixtureDir&) = delete;
  void write(const std::string& relative, const std::string& text) const {
    fs::path p = fs::path(root_) / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  [[nodiscard]] std::string path() const { return root_; }
  [[nodiscard]] std::string slash() const { return root_ + "/"; }

 private:
  std::string root_;
};

void expect_string_or_null(const json& j, const char* key) {
  ASSERT_TRUE(j.contains(key)) << key;
  EXPECT_TRUE(j[key].is_string() || j[key].is_null()) << key << " = " << j[key];
}

TEST(EnvManifest, NewHostKeysHaveTheirTypesOnThisMachine) {
  const json ctx = describe_environment({"ipcbench"});
  const json& host = ctx.at("host");
  for (const char* kept : {"hostname", "kernel", "cpu_model", "cpus_online", "cpus_allowed", "clocksource",
                           "available_clocksources", "governor", "smt", "virtualized", "dmi_product", "dmi_vendor"})
    EXPECT_TRUE(host.contains(kept)) << kept;

  expect_string_or_null(host, "cpu_microcode");
  expect_string_or_null(host, "kernel_cmdline");
  expect_string_or_null(host, "transparent_hugepage");
  expect_string_or_null(host, "hypervisor_type");
  expect_string_or_null(host, "hypervisor_cpuid_signature");

  const json& topo = host.at("topology");
  EXPECT_EQ(topo.at("cpus"), host.at("cpus_online").size());
  for (const char* k : {"packages", "cores", "threads_per_core"})
    EXPECT_TRUE(topo.at(k).is_number_unsigned() || topo.at(k).is_null()) << k;

  const json& tsc = host.at("tsc");
  for (const char* k : {"constant_tsc", "nonstop_tsc", "tsc_reliable", "kernel_offers_tsc", "tsc_usable_across_cpus"})
    EXPECT_TRUE(tsc.at(k).is_boolean()) << k;
  std::string why;
  EXPECT_EQ(tsc.at("tsc_usable_across_cpus").get<bool>(), Clock::tsc_usable(&why));
  EXPECT_EQ(tsc.at("reason"), why);

  EXPECT_TRUE(host.at("boost").is_boolean() || host.at("boost").is_null());
  const json& idle = host.at("cpuidle");
  expect_string_or_null(idle, "driver");
  expect_string_or_null(idle, "governor");
  EXPECT_TRUE(idle.at("states").is_array());
  for (const char* k : {"isolated_cpus", "nohz_full"})
    EXPECT_TRUE(host.at(k).is_array() || host.at(k).is_null()) << k;
  EXPECT_TRUE(host.at("vulnerabilities").is_object() || host.at("vulnerabilities").is_null());
  if (host.at("vulnerabilities").is_object()) {
    for (const auto& [name, text] : host.at("vulnerabilities").items()) EXPECT_TRUE(text.is_string()) << name;
  }

  const json& cg = host.at("cgroup_cpu");
  ASSERT_TRUE(cg.is_object() || cg.is_null());
  if (cg.is_object()) {
    EXPECT_TRUE(cg.at("version") == 1 || cg.at("version") == 2);
    EXPECT_TRUE(cg.at("quota_cpus").is_number() || cg.at("quota_cpus").is_null());
    EXPECT_TRUE(cg.at("cpuset_cpus").is_array() || cg.at("cpuset_cpus").is_null());
  }
  for (const auto& w : ctx.at("warnings")) EXPECT_EQ(w.get<std::string>().find('\n'), std::string::npos) << w;
}

TEST(EnvManifest, AVirtualMachineWarnsAndAnUnusableTscSaysWhatIsUsedInstead) {
  const json ctx = describe_environment({"ipcbench"});
  auto has_warning = [&](const std::string& part) {
    for (const auto& w : ctx.at("warnings"))
      if (w.get<std::string>().find(part) != std::string::npos) return true;
    return false;
  };
  if (ctx.at("host").at("virtualized").get<bool>()) {
    EXPECT_TRUE(has_warning("virtual machine"));
  }
#if defined(__x86_64__)
  if (!ctx.at("host").at("tsc").at("tsc_usable_across_cpus").get<bool>()) {
    EXPECT_TRUE(has_warning("timestamps use CLOCK_MONOTONIC instead"));
  }
#endif
}

TEST(EnvManifest, CpuPairsSaySiblingsAndPlacement) {
  json ctx = describe_environment({"ipcbench"});
  describe_cpu_pairs(ctx, {{0, 0}, {0, 0}});
  ASSERT_EQ(ctx.at("cpu_pairs").size(), 1u);  // duplicates collapse
  const json& p = ctx.at("cpu_pairs")[0];
  EXPECT_EQ(p.at("producer"), 0);
  EXPECT_EQ(p.at("consumer"), 0);
  EXPECT_EQ(p.at("placement"), "same-core");
  EXPECT_EQ(p.at("smt_siblings"), false);
}

TEST(EnvParse, BracketedChoiceOfTransparentHugepages) {
  EXPECT_EQ(env::bracketed_choice("always [madvise] never"), "madvise");
  EXPECT_EQ(env::bracketed_choice("[always] madvise never"), "always");
  EXPECT_EQ(env::bracketed_choice("always madvise never"), "");
}

TEST(EnvParse, CgroupQuotaText) {
  EXPECT_FALSE(env::quota_cpus_from_cpu_max("max 100000"));
  EXPECT_DOUBLE_EQ(env::quota_cpus_from_cpu_max("50000 100000").value(), 0.5);
  EXPECT_DOUBLE_EQ(env::quota_cpus_from_cpu_max("200000 100000\n").value(), 2.0);
  EXPECT_FALSE(env::quota_cpus_from_cpu_max(""));
  EXPECT_FALSE(env::quota_cpus_from_cfs(-1, 100000));
  EXPECT_DOUBLE_EQ(env::quota_cpus_from_cfs(25000, 100000).value(), 0.25);
}

TEST(EnvParse, CgroupV2TakesTheTightestQuotaUpToTheRoot) {
  FixtureDir d;
  d.write("cgroup.controllers", "cpuset cpu io memory pids\n");
  d.write("a/cpu.max", "50000 100000\n");
  d.write("a/b/cpu.max", "max 100000\n");
  d.write("a/b/cpuset.cpus.effective", "0-3\n");
  const json j = env::cgroup_cpu_limits("0::/a/b\n", d.path());
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.at("version"), 2);
  EXPECT_EQ(j.at("path"), "/a/b");
  EXPECT_DOUBLE_EQ(j.at("quota_cpus").get<double>(), 0.5);
  EXPECT_EQ(j.at("quota_us"), 50000);
  EXPECT_EQ(j.at("period_us"), 100000);
  EXPECT_EQ(j.at("cpuset_cpus"), json({0, 1, 2, 3}));
}

TEST(EnvParse, CgroupV2WithoutQuota) {
  FixtureDir d;
  d.write("cgroup.controllers", "cpu\n");
  d.write("user.slice/cpu.max", "max 100000\n");
  const json j = env::cgroup_cpu_limits("0::/user.slice\n", d.path());
  EXPECT_EQ(j.at("version"), 2);
  EXPECT_TRUE(j.at("quota_cpus").is_null());
  EXPECT_TRUE(j.at("cpuset_cpus").is_null());
}

TEST(EnvParse, CgroupV1Fallback) {
  FixtureDir d;
  d.write("cpu,cpuacct/job/cpu.cfs_quota_us", "150000\n");
  d.write("cpu,cpuacct/job/cpu.cfs_period_us", "100000\n");
  d.write("cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
  d.write("cpu,cpuacct/cpu.cfs_period_us", "100000\n");
  d.write("cpuset/job/cpuset.effective_cpus", "1\n");
  const json j = env::cgroup_cpu_limits("5:cpu,cpuacct:/job\n3:cpuset:/job\n0::/job\n", d.path());
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.at("version"), 1);
  EXPECT_DOUBLE_EQ(j.at("quota_cpus").get<double>(), 1.5);
  EXPECT_EQ(j.at("cpuset_cpus"), json({1}));

  FixtureDir none;
  EXPECT_TRUE(env::cgroup_cpu_limits("", none.path()).is_null());
}

TEST(EnvParse, VulnerabilitiesDirectoryAsNameToText) {
  FixtureDir d;
  d.write("vulnerabilities/meltdown", "Mitigation: PTI\n");
  d.write("vulnerabilities/spectre_v1", "Mitigation: usercopy/swapgs barriers\n");
  const json j = env::first_lines_of_dir(d.slash() + "vulnerabilities");
  EXPECT_EQ(j, json({{"meltdown", "Mitigation: PTI"}, {"spectre_v1", "Mitigation: usercopy/swapgs barriers"}}));
  EXPECT_TRUE(env::first_lines_of_dir(d.slash() + "absent").is_null());
}

TEST(EnvParse, TopologyAndSiblingsFromSysfs) {
  FixtureDir d;
  for (int cpu = 0; cpu < 4; ++cpu) {
    const std::string t = "cpu" + std::to_string(cpu) + "/topology/";
    d.write(t + "physical_package_id", "0\n");
    d.write(t + "thread_siblings_list", cpu < 2 ? "0-1\n" : "2-3\n");
  }
  EXPECT_EQ(env::cpu_topology(d.slash(), {0, 1, 2, 3}),
            json({{"cpus", 4}, {"packages", 1}, {"cores", 2}, {"threads_per_core", 2}}));
  EXPECT_TRUE(env::smt_siblings(d.slash(), 0, 1));
  EXPECT_FALSE(env::smt_siblings(d.slash(), 0, 2));
  EXPECT_FALSE(env::smt_siblings(d.slash(), 3, 3));
  EXPECT_TRUE(env::cpu_topology(d.slash() + "nothing/", {0}).at("cores").is_null());
}

TEST(EnvParse, CpuidleStatesAndBoost) {
  FixtureDir d;
  d.write("cpuidle/current_driver", "intel_idle\n");
  d.write("cpuidle/current_governor_ro", "menu\n");
  d.write("cpu2/cpuidle/state0/name", "POLL\n");
  d.write("cpu2/cpuidle/state0/latency", "0\n");
  d.write("cpu2/cpuidle/state1/name", "C6\n");
  d.write("cpu2/cpuidle/state1/latency", "133\n");
  d.write("cpu2/cpuidle/state1/disable", "1\n");
  const json j = env::cpuidle(d.slash(), 2);
  EXPECT_EQ(j.at("driver"), "intel_idle");
  EXPECT_EQ(j.at("governor"), "menu");
  ASSERT_EQ(j.at("states").size(), 2u);
  EXPECT_EQ(j.at("states")[1], json({{"name", "C6"}, {"exit_latency_us", 133}, {"disabled", true}}));
  EXPECT_TRUE(env::cpuidle(d.slash(), 0).at("states").empty());

  EXPECT_TRUE(env::cpu_boost(d.slash()).is_null());
  d.write("intel_pstate/no_turbo", "1\n");
  EXPECT_EQ(env::cpu_boost(d.slash()), false);
  d.write("cpufreq/boost", "1\n");
  EXPECT_EQ(env::cpu_boost(d.slash()), true);
}

TEST(EnvParse, IsolatedCpuLists) {
  EXPECT_EQ(env::cpu_list_or_null(std::string("")), json::array());
  EXPECT_EQ(env::cpu_list_or_null(std::string("(null)")), json::array());
  EXPECT_EQ(env::cpu_list_or_null(std::string("2-3")), json({2, 3}));
  EXPECT_TRUE(env::cpu_list_or_null(std::nullopt).is_null());
  EXPECT_TRUE(env::cpu_list_or_null(std::string("garbage")).is_null());
}

TEST(EnvParse, TscVerdictFromText) {
  std::string why;
  EXPECT_FALSE(Clock::tsc_usable_from("fpu tsc constant_tsc nonstop_tsc", "kvm-clock ",
                                      "clocksource=kvm-clock tsc=unstable", &why));
#if defined(__x86_64__)
  EXPECT_NE(why.find("tsc=unstable on the kernel command line"), std::string::npos) << why;
  EXPECT_FALSE(Clock::tsc_usable_from("fpu tsc constant_tsc nonstop_tsc", "kvm-clock", "quiet", &why));
  EXPECT_NE(why.find("judged the TSC unstable"), std::string::npos) << why;
  EXPECT_FALSE(Clock::tsc_usable_from("fpu tsc", "tsc hpet", "", &why));
  EXPECT_NE(why.find("not invariant"), std::string::npos) << why;
  EXPECT_TRUE(Clock::tsc_usable_from("fpu tsc constant_tsc nonstop_tsc", "tsc hpet acpi_pm ", "", &why));
  EXPECT_FALSE(Clock::tsc_usable_from("constant_tsc nonstop_tsc", "tsc-early hpet", "", &why));
#endif
}

// The step a clock moves in is the greatest common divisor of the differences between its readings, not the
// smallest difference: reads slower than the step (an AMD TSC moving 26 ticks every 10 ns, read in 20 ns) never
// show a single step.
TEST(ClockStep, IsTheCommonDivisorOfReadingDifferences) {
  const std::vector<std::uint64_t> amd_tsc{52, 52, 78, 52, 104, 0, 52};
  EXPECT_EQ(Clock::step_from(amd_tsc), 26u);
  const std::vector<std::uint64_t> fine{19, 20, 21, 20};
  EXPECT_EQ(Clock::step_from(fine), 1u);
  EXPECT_EQ(Clock::step_from(std::vector<std::uint64_t>{0, 0}), 0u);
  // What the harness records is never finer than one tick of the clock it reads.
  const ClockInfo& ci = Clock::info();
  EXPECT_GE(ci.resolution_ns + 1e-9, ci.ns_per_tick);
}

// A host as describe_environment writes it, with every condition that distorts results.
json troubled_host() {
  return {{"kernel", {{"machine", "x86_64"}}},
          {"cpus_allowed", {0, 1, 2, 3}},
          {"virtualized", true},
          {"hypervisor_type", "xen"},
          {"hypervisor_cpuid_signature", "XenVMMXenVMM"},
          {"clocksource", "hpet"},
          {"tsc", {{"tsc_usable_across_cpus", false}, {"reason", "TSC is not invariant"}}},
          {"governor", "powersave"},
          {"boost", true},
          {"isolated_cpus", json::array()},
          {"nohz_full", nullptr},
          {"cpuidle",
           {{"states",
             {{{"name", "C1"}, {"exit_latency_us", 2}, {"disabled", false}},
              {{"name", "C6"}, {"exit_latency_us", 133}, {"disabled", false}}}}}},
          {"transparent_hugepage", "always"},
          {"cgroup_cpu", {{"quota_cpus", 0.5}}}};
}

TEST(EnvWarnings, OneLinePerConditionSayingWhatWasFound) {
  const auto w = env::host_warnings(troubled_host());
  auto find = [&](const std::string& part) {
    for (const auto& line : w)
      if (line.find(part) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(find("virtual machine (xen, hypervisor CPU flag, CPUID signature 'XenVMMXenVMM')"));
  EXPECT_TRUE(find("clocksource is hpet"));
  EXPECT_TRUE(find("TSC is not usable across CPUs: TSC is not invariant; timestamps use CLOCK_MONOTONIC instead"));
  EXPECT_TRUE(find("powersave"));
  EXPECT_TRUE(find("boost (turbo) is on"));
  EXPECT_TRUE(find("cpuidle state C6 (exit latency 133 us)"));
  EXPECT_TRUE(find("transparent huge pages are 'always'"));
  EXPECT_TRUE(find("CPU quota of 0.50 CPUs"));
  EXPECT_EQ(w.size(), 8u);
  for (const auto& line : w) EXPECT_EQ(line.find('\n'), std::string::npos) << line;
}

TEST(EnvWarnings, QuietOnAWellPreparedHost) {
  json host = troubled_host();
  host["virtualized"] = false;
  host["clocksource"] = "tsc";
  host["tsc"]["tsc_usable_across_cpus"] = true;
  host["governor"] = "performance";
  host["boost"] = false;
  host["isolated_cpus"] = {2, 3};  // deep idle states matter less on isolated CPUs
  host["transparent_hugepage"] = "madvise";
  host["cgroup_cpu"]["quota_cpus"] = nullptr;
  EXPECT_TRUE(env::host_warnings(host).empty());
  host["cpus_allowed"] = {0};
  EXPECT_EQ(env::host_warnings(host).size(), 1u);
}

// Two /proc/stat snapshots 100 ms apart (USER_HZ 100: 10 ticks per CPU). Columns: user nice system idle
// iowait irq softirq steal guest guest_nice.
const char* kStatBefore =
    "cpu  300 0 100 2000 0 0 0 0 0 0\n"
    "cpu0 100 0 50 1000 0 0 0 0 0 0\n"
    "cpu1 200 0 50 1000 0 0 0 0 0 0\n"
    "intr 12345 0 0\n";

TEST(EnvBusyCpus, WarnsWhenASweepCpuWasBusy) {
  // cpu1: 5 ticks user + 1 steal of 10 -> 60 % busy; cpu0 idle.
  const char* after =
      "cpu  306 0 100 2014 0 0 0 1 0 0\n"
      "cpu0 100 0 50 1010 0 0 0 0 0 0\n"
      "cpu1 205 0 50 1004 0 0 0 1 0 0\n";
  auto fractions = env::busy_fractions(kStatBefore, after, {0, 1});
  ASSERT_EQ(fractions.size(), 2u);
  EXPECT_DOUBLE_EQ(fractions[0].second, 0.0);
  EXPECT_DOUBLE_EQ(fractions[1].second, 0.6);

  auto w = env::busy_cpus_warning_from(kStatBefore, after, {0, 1}, 100);
  ASSERT_TRUE(w);
  EXPECT_NE(w->find("cpu 1 60%"), std::string::npos) << *w;
  EXPECT_EQ(w->find("cpu 0"), std::string::npos) << *w;
  EXPECT_FALSE(env::busy_cpus_warning_from(kStatBefore, after, {0}, 100));  // only cpu0 is used
}

TEST(EnvBusyCpus, QuietWhenIdle) {
  const char* after =
      "cpu  300 0 101 2019 0 0 0 0 0 0\n"
      "cpu0 100 0 50 1010 0 0 0 0 0 0\n"
      "cpu1 200 0 51 1009 0 0 0 0 0 0\n";  // 10 % is not "more than 10 %"
  EXPECT_FALSE(env::busy_cpus_warning_from(kStatBefore, after, {0, 1}, 100));
  EXPECT_FALSE(env::busy_cpus_warning_from(kStatBefore, kStatBefore, {0, 1}, 100));  // no time passed
  EXPECT_FALSE(env::busy_cpus_warning_from(kStatBefore, after, {7}, 100));             // not in the file
}

}  // namespace
}  // namespace ipcbench
