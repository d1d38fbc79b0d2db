#include "harness/floor.hpp"

#include <atomic>

#include "harness/os/mapping.hpp"
#include "harness/runner.hpp"
#include "transports/wait.hpp"

namespace ipcbench {

namespace {
class CachelineOps {
 public:
  CachelineOps(std::atomic<std::uint64_t>& line, std::uint32_t budget) : line_(line), budget_(budget) {}
  void round_trip(std::uint64_t seq) {
    line_.store(2 * seq + 1, std::memory_order_release);
    await(2 * seq + 2);
  }
  void serve(std::uint64_t seq) {
    await(2 * seq + 1);
    line_.store(2 * seq + 2, std::memory_order_release);
  }
  void send_one(std::uint64_t) {}
  void recv_one(std::uint64_t) {}
  [[nodiscard]] TransportCounters counters() const { return counters_; }
  [[nodiscard]] std::uint64_t verified() const { return 0; }

 private:
  void await(std::uint64_t v) {
    wait_until(Wait::spin, budget_, counters_, [&] { return line_.load(std::memory_order_acquire) == v; }, [] {});
  }
  std::atomic<std::uint64_t>& line_;
  std::uint32_t budget_;
  TransportCounters counters_;
};
}  // namespace

RunResult measure_cacheline_floor(const CpuPair& cpus, const std::string& placement, double duration_s,
                                  double timeout_s) {
  RunConfig cfg;
  cfg.transport = "cacheline";
  cfg.pattern = Pattern::pingpong;
  cfg.wait = Wait::spin;
  cfg.payload_bytes = 8;
  cfg.cpus = cpus;
  cfg.placement = placement;
  cfg.duration_s = duration_s;
  cfg.warmup = 2000;
  cfg.timeout_s = timeout_s;
  RunResult res;
  res.config = cfg;
  res.spin_budget = auto_spin_budget(cpus);
  os::Mapping page;
  std::atomic<std::uint64_t>* line = nullptr;
  detail::run_process_pair(
      cfg, res,
      [&] {
        page = os::Mapping::shared_anonymous(4096);
        line = new (page.data()) std::atomic<std::uint64_t>(0);
      },
      [&](os::ControlChannel& ctl, int) {
        CachelineOps ops(*line, res.spin_budget);
        detail::produce(ops, cfg, ctl, res);
      },
      [&](os::ControlChannel& ctl, int cpu) {
        CachelineOps ops(*line, res.spin_budget);
        detail::consume(ops, cfg, ctl, cpu);
      });
  return res;
}

}  // namespace ipcbench
