// The Multikernel experiment's trials for real: every update must be found in the lines afterwards, the check
// that says so must be able to fail, and a process that dies must fail its trial instead of hanging it.
#include <gtest/gtest.h>

#include "harness/clock.hpp"
#include "harness/multikernel.hpp"
#include "harness/os/affinity.hpp"
#include "tests/support.hpp"

namespace ipcbench::multikernel {
namespace {

using nlohmann::json;

Options two_cpus() {
  Options o;
  for (int cpu : os::allowed_cpus())
    if (o.cpus.size() < 2) o.cpus.push_back(cpu);
  o.ops_per_point = 3000;
  o.timeout_s = 5;
  o.cycles = false;
  return o;
}

std::uint64_t field(const json& process, const char* key) { return process.at(key).get<std::uint64_t>(); }

TEST(MultikernelTrial, TheServerAppliedEveryRequestTheClientSent) {
  auto o = two_cpus();
  if (o.cpus.size() < 2) GTEST_SKIP() << "needs two CPUs";
  const json t = run_trial(Method::msg, 2, 4, o, 0);
  ASSERT_EQ(t["status"], "ok") << t.dump();
  const auto& server = t["processes"][0];
  const auto& client = t["processes"][1];
  ASSERT_EQ(server["role"], "server");
  ASSERT_EQ(client["role"], "client");
  EXPECT_EQ(field(client, "ops_measured"), o.ops_per_point);
  const std::uint64_t sent = field(client, "ops_total");
  EXPECT_EQ(sent, o.ops_per_point + std::max<std::uint64_t>(100, o.ops_per_point / 10));
  EXPECT_EQ(field(server, "requests_served"), sent);
  ASSERT_EQ(t["check"]["lines_final"].size(), 4u);
  for (const auto& v : t["check"]["lines_final"]) EXPECT_EQ(v.get<std::uint64_t>(), sent);
  EXPECT_GE(t["server_per_update_ns"].get<double>(), 0.0);  // less one clock read: 0 is below resolution
  EXPECT_GT(server["per_update_raw_ns"].get<double>(), 0.0);
  EXPECT_GT(field(server, "timed_requests"), o.ops_per_point / kServerSampleEvery - 1);
  EXPECT_GT(t["per_op_ns"]["median"].get<double>(), 0.0);
  EXPECT_GT(t["updates_per_s"].get<double>(), 0.0);
}

TEST(MultikernelTrial, AtomicIncrementsAreAllCounted) {
  auto o = two_cpus();
  const int k = static_cast<int>(o.cpus.size());
  const json t = run_trial(Method::shm_atomic, k, 2, o, 0);
  ASSERT_EQ(t["status"], "ok") << t.dump();
  std::uint64_t total = 0;
  for (const auto& p : t["processes"]) total += field(p, "ops_total");
  for (const auto& v : t["check"]["lines_final"]) EXPECT_EQ(v.get<std::uint64_t>(), total);
}

TEST(MultikernelTrial, StoresLeaveAValueSomeProcessWrote) {
  auto o = two_cpus();
  const json t = run_trial(Method::shm_store, static_cast<int>(o.cpus.size()), 8, o, 0);
  ASSERT_EQ(t["status"], "ok") << t.dump();
  EXPECT_TRUE(t["check"]["ok"].get<bool>());
  EXPECT_EQ(t["check"]["lines_final"].size(), 8u);
}

TEST(MultikernelTrial, TheServerAloneIsItsOwnPerUpdateCost) {
  auto o = two_cpus();
  const json t = run_trial(Method::msg, 1, 2, o, 0);
  ASSERT_EQ(t["status"], "ok") << t.dump();
  ASSERT_EQ(t["processes"].size(), 1u);
  EXPECT_EQ(t["processes"][0]["role"], "local");
  EXPECT_DOUBLE_EQ(t["server_per_update_ns"].get<double>(), t["per_op_ns"]["median"].get<double>());
  for (const auto& v : t["check"]["lines_final"]) EXPECT_EQ(v.get<std::uint64_t>(), field(t["processes"][0], "ops_total"));
}

TEST(MultikernelCheck, ALostOrExtraUpdateFails) {
  // msg k=3: the server (first) served 10, the clients sent 4 + 6.
  EXPECT_TRUE(check_lines(Method::msg, 3, {10, 10}, {10, 4, 6})["ok"].get<bool>());
  EXPECT_FALSE(check_lines(Method::msg, 3, {10, 9}, {10, 4, 6})["ok"].get<bool>());
  EXPECT_FALSE(check_lines(Method::msg, 3, {11, 11}, {11, 4, 6})["ok"].get<bool>());  // served more than sent
  EXPECT_TRUE(check_lines(Method::shm_atomic, 2, {7}, {3, 4})["ok"].get<bool>());
  EXPECT_FALSE(check_lines(Method::shm_atomic, 2, {6}, {3, 4})["ok"].get<bool>());
  const std::uint64_t p1_op3 = (std::uint64_t{2} << 48) | 3;  // process 1's third store
  EXPECT_TRUE(check_lines(Method::shm_store, 2, {p1_op3}, {5, 3})["ok"].get<bool>());
  EXPECT_FALSE(check_lines(Method::shm_store, 2, {p1_op3}, {5, 2})["ok"].get<bool>());  // an op it never reached
  EXPECT_FALSE(check_lines(Method::shm_store, 2, {(std::uint64_t{3} << 48) | 1}, {5, 3})["ok"].get<bool>());
  EXPECT_FALSE(check_lines(Method::shm_store, 2, {0}, {5, 3})["ok"].get<bool>());
}

TEST(MultikernelTrial, AServerThatDiesFailsTheTrialWithoutHanging) {
  auto o = two_cpus();
  if (o.cpus.size() < 2) GTEST_SKIP() << "needs two CPUs";
  o.fault_process = 0;
  o.fault_after_ops = 500;
  const auto t0 = Clock::mono_ns();
  const json t = run_trial(Method::msg, 2, 1, o, 0);
  const double waited_s = static_cast<double>(Clock::mono_ns() - t0) / 1e9;
  ASSERT_EQ(t["status"], "failed") << t.dump();
  const auto error = t["error"].get<std::string>();
  EXPECT_NE(error.find("server (cpu"), std::string::npos) << error;
  EXPECT_NE(error.find("exited with status 9"), std::string::npos) << error;
  EXPECT_LT(waited_s, o.timeout_s) << "the parent should notice the exit, not wait for the timeout";
}

TEST(MultikernelTrial, AWorkerThatDiesInDurationModeFailsTheTrial) {
  auto o = two_cpus();
  o.ops_per_point = 0;
  o.duration_s = 0.5;
  o.fault_process = 0;
  o.fault_after_ops = 1000;
  const json t = run_trial(Method::shm_atomic, static_cast<int>(o.cpus.size()), 1, o, 0);
  ASSERT_EQ(t["status"], "failed") << t.dump();
  EXPECT_NE(t["error"].get<std::string>().find("process 0 (cpu"), std::string::npos) << t["error"];
}

TEST(MultikernelPoint, MediansOverProcessesAndTrials) {
  json trials = json::array();
  for (double x : {10.0, 30.0}) {
    json t = {{"repetition", 0},
              {"status", "ok"},
              {"server_per_update_ns", nullptr},
              {"updates_per_s", 1e9 / x},
              {"processes", json::array({{{"per_op_ns", x}}, {{"per_op_ns", x + 2}}})}};
    trials.push_back(t);
  }
  trials.push_back({{"repetition", 2}, {"status", "failed"}, {"error", "boom"}});
  const json p = summarize_point(Method::shm_store, 2, 1, {0, 1, 2}, trials);
  EXPECT_EQ(p["status"], "failed");
  EXPECT_EQ(p["errors"][0], "repetition 2: boom");
  EXPECT_DOUBLE_EQ(p["per_op_ns"]["median"].get<double>(), 21.0);  // of 10, 12, 30, 32
  EXPECT_DOUBLE_EQ(p["per_op_ns"]["min"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(p["per_op_ns"]["max"].get<double>(), 32.0);
  EXPECT_EQ(p["per_op_ns"]["samples"], 4);
  EXPECT_EQ(p["cpus"], json({0, 1}));
  EXPECT_TRUE(p["server_per_update_ns"].is_null());
}

}  // namespace
}  // namespace ipcbench::multikernel
