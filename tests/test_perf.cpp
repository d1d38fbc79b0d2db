// The perf_event_open wrappers: counters count the calling thread only, a counter the machine cannot provide
// yields a reason instead of an exception, and the reasons name the fix.
#include <gtest/gtest.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/os/perf.hpp"

namespace ipcbench {
namespace {

using os::Counter;

void sleep_ms(int n) {
  for (int i = 0; i < n; ++i) {
    ::sched_yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

TEST(Perf, SoftwareContextSwitchesCountSleeps) {
  os::ThreadCounters c;
  if (!c.software().available) GTEST_SKIP() << "no software counters here: " << c.software().reason;
  c.start();
  sleep_ms(20);  // every sleep blocks: at least one context switch each
  c.stop();
  const auto r = c.read();
  ASSERT_TRUE(r[Counter::context_switches]);
  EXPECT_GE(*r[Counter::context_switches], 20u);
  ASSERT_TRUE(r[Counter::task_clock_ns]);
  EXPECT_GT(*r[Counter::task_clock_ns], 0u);
  EXPECT_TRUE(r[Counter::page_faults_minor]);
}

TEST(Perf, CountsOnlyTheCallingThread) {
  os::ThreadCounters c;
  if (!c.software().available) GTEST_SKIP() << "no software counters here: " << c.software().reason;
  c.start();
  std::thread other([] { sleep_ms(40); });  // inherit = 0: a new thread is not counted
  other.join();                             // this thread blocks once or twice here
  c.stop();
  const auto r = c.read();
  ASSERT_TRUE(r[Counter::context_switches]);
  EXPECT_LT(*r[Counter::context_switches], 20u) << "another thread's sleeps were counted";
}

TEST(Perf, StoppedCountersDoNotCount) {
  os::ThreadCounters c;
  if (!c.software().available) GTEST_SKIP() << "no software counters here: " << c.software().reason;
  c.start();
  c.stop();
  sleep_ms(20);
  EXPECT_LT(*c.read()[Counter::context_switches], 5u);
}

TEST(Perf, HardwareCountersOrAReason) {
  os::ThreadCounters c;
  const auto hw = c.hardware();
  c.start();
  std::uint64_t x = 1;
  for (int i = 0; i < 100000; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
  c.stop();
  const auto r = c.read();
  EXPECT_NE(x, 0u);
  if (hw.available) {
    ASSERT_FALSE(hw.events.empty());
    if (r[Counter::instructions]) {
      EXPECT_GT(*r[Counter::instructions], 100000u);
    }
  } else {
    EXPECT_NE(hw.reason.find("perf_event_open("), std::string::npos) << hw.reason;
    EXPECT_TRUE(hw.events.empty());
    for (Counter k : {Counter::cycles, Counter::instructions, Counter::cache_references, Counter::cache_misses,
                      Counter::llc_loads, Counter::llc_load_misses})
      EXPECT_FALSE(r[k]) << os::counter_name(k) << " has a value without a counter";
  }
}

TEST(Perf, AnEventThatCannotOpenLeavesAReasonNotAnException) {
  const os::PerfEventSpec bogus[] = {{"bogus", PERF_TYPE_HARDWARE, 0xfffff}};
  os::PerfGroup g(bogus);
  EXPECT_FALSE(g.available());
  EXPECT_EQ(g.missing(), std::vector<std::string>{"bogus"});
  EXPECT_EQ(g.reason().rfind("perf_event_open(bogus): ", 0), 0u) << g.reason();
  g.reset_and_enable();
  g.disable();
  const auto v = g.read();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0]);
}

TEST(Perf, AGroupKeepsTheEventsThatOpen) {
  const os::PerfEventSpec events[] = {{"context_switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
                                      {"bogus", PERF_TYPE_SOFTWARE, 0xfffff},
                                      {"task_clock_ns", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK}};
  os::PerfGroup g(events);
  if (!g.available()) GTEST_SKIP() << "no software counters here: " << g.reason();
  EXPECT_EQ(g.missing(), std::vector<std::string>{"bogus"});
  g.reset_and_enable();
  sleep_ms(5);
  g.disable();
  const auto v = g.read();
  ASSERT_EQ(v.size(), 3u);
  EXPECT_TRUE(v[0] && *v[0] >= 5);
  EXPECT_FALSE(v[1]);
  EXPECT_TRUE(v[2] && *v[2] > 0);
}

TEST(Perf, ErrorTextsNameTheFix) {
  EXPECT_NE(os::perf_open_error("cycles", PERF_TYPE_HARDWARE, ENOENT).find("no hardware PMU"), std::string::npos);
  EXPECT_NE(os::perf_open_error("cycles", PERF_TYPE_HARDWARE, EACCES).find("perf_event_paranoid"), std::string::npos);
  EXPECT_NE(os::perf_open_error("x", PERF_TYPE_SOFTWARE, ENOSYS).find("CONFIG_PERF_EVENTS"), std::string::npos);
  const auto text = os::perf_open_error("cycles", PERF_TYPE_HARDWARE, ENOENT);
  EXPECT_EQ(text.rfind("perf_event_open(cycles): No such file or directory: ", 0), 0u) << text;
}

class TempTree {
 public:
  TempTree() {
    char tmpl[] = "/tmp/ipcbench-perf-test-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    root_ = tmpl;
  }
  ~TempTree() { std::filesystem::remove_all(root_); }
  void write(const std::string& rel, const std::string& text) const {
    std::filesystem::create_directories(std::filesystem::path(root_ + "/" + rel).parent_path());
    std::ofstream(root_ + "/" + rel) << text;
  }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

TEST(Perf, TracepointIdFromTracefs) {
  TempTree t;
  t.write("tracing/events/raw_syscalls/sys_enter/id", "443\n");
  std::string why;
  EXPECT_EQ(os::tracepoint_id("raw_syscalls/sys_enter", &why, {t.root() + "/none", t.root() + "/tracing"}), 443u);
}

TEST(Perf, TracefsNotMountedNamesTheMountCommand) {
  TempTree t;
  ::mkdir((t.root() + "/tracing").c_str(), 0755);  // the mount point exists, empty, as before mounting
  std::string why;
  EXPECT_FALSE(os::tracepoint_id("raw_syscalls/sys_enter", &why, {t.root() + "/tracing"}));
  EXPECT_NE(why.find("tracefs is not mounted"), std::string::npos) << why;
  EXPECT_NE(why.find("mount -t tracefs nodev /sys/kernel/tracing"), std::string::npos) << why;
}

TEST(Perf, MissingTracepointIsNotCalledUnmounted) {
  TempTree t;
  t.write("tracing/events/sched/sched_switch/id", "300\n");
  std::string why;
  EXPECT_FALSE(os::tracepoint_id("raw_syscalls/sys_enter", &why, {t.root() + "/tracing"}));
  EXPECT_NE(why.find("not found"), std::string::npos) << why;
}

TEST(Perf, WithoutTracefsTheRestStillCounts) {
  TempTree t;
  os::ThreadCounters c({t.root()});
  const auto tp = c.syscalls();
  EXPECT_FALSE(tp.available);
  EXPECT_NE(tp.reason.find("mount -t tracefs"), std::string::npos) << tp.reason;
  c.start();
  sleep_ms(2);
  c.stop();
  const auto r = c.read();
  EXPECT_FALSE(r[Counter::syscalls]);
  EXPECT_EQ(static_cast<bool>(r[Counter::context_switches]), c.software().available);
}

TEST(Perf, SyscallTracepointCountsEveryCallAndItsOwnStop) {
  os::ThreadCounters c;
  if (!c.syscalls().available) GTEST_SKIP() << "the syscall tracepoint cannot be counted here: " << c.syscalls().reason;
  c.start();
  for (int i = 0; i < 100; ++i) (void)::getppid();
  c.stop();
  const auto n = c.read()[Counter::syscalls];
  ASSERT_TRUE(n);
  // Exactly, unless a signal arrives in between (its handler returns through rt_sigreturn).
  EXPECT_GE(*n, 100 + os::ThreadCounters::kOwnSyscalls);
  EXPECT_LE(*n, 100 + os::ThreadCounters::kOwnSyscalls + 2);
}

}  // namespace
}  // namespace ipcbench
