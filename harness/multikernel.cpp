#include "harness/multikernel.hpp"

#include <linux/perf_event.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>

#include "harness/clock.hpp"
#include "harness/os/affinity.hpp"
#include "harness/os/cancel.hpp"
#include "harness/os/child.hpp"
#include "harness/os/futex.hpp"
#include "harness/os/mapping.hpp"
#include "harness/os/perf.hpp"
#include "harness/stats.hpp"

namespace ipcbench::multikernel {

using nlohmann::json;

namespace {

constexpr std::memory_order relaxed = std::memory_order_relaxed;
constexpr std::memory_order acquire = std::memory_order_acquire;
constexpr std::memory_order release = std::memory_order_release;

// Phases the parent sets; the processes read the word (a line nobody else writes) once per update.
enum Phase : std::uint32_t { kStarting = 0, kWarmup = 1, kMeasure = 2, kStop = 3, kAbort = 4 };

struct alignas(64) Word {
  std::atomic<std::uint64_t> v{0};
};
static_assert(sizeof(Word) == 64);

// A request: the client writes the payload words, then publishes seq (release). Cache-line-sized, like the
// paper's messages. words[0] = 1 for a measured request; words[1..6] = seq, which the server checks.
struct alignas(64) Request {
  std::atomic<std::uint64_t> seq{0};
  std::uint64_t words[7]{};
};
static_assert(sizeof(Request) == kRequestBytes);

// Written by one process only; the parent reads it after the process ended (progress and done: while it runs).
struct alignas(64) Report {
  std::atomic<std::uint64_t> progress{0};
  std::atomic<std::uint32_t> done{0};
  std::uint64_t ops_total = 0;     // every update or request, warm-up included
  std::uint64_t ops_measured = 0;  // in the measured window
  std::uint64_t t_start = 0, t_end = 0;  // Clock ticks: the measured window
  std::uint64_t cycles = 0;
  std::uint32_t cycles_ok = 0;
  std::uint64_t server_busy_ticks = 0, server_timed = 0, server_served = 0;
  char error[256] = {};
};

struct Shared {
  Word phase;
  Word ready;
  Word lines[kMaxLines];
  Request request[kMaxProcesses];
  Word reply[kMaxProcesses];
  Report report[kMaxProcesses];
};

void set_error(Report& r, const std::string& text) {
  std::snprintf(r.error, sizeof r.error, "%s", text.c_str());
}

std::uint32_t phase_of(const Shared& s) { return static_cast<std::uint32_t>(s.phase.v.load(relaxed)); }

// One process's cycle counter over its measured window, where the machine has one.
class Cycles {
 public:
  explicit Cycles(bool wanted) {
    if (!wanted) return;
    static constexpr os::PerfEventSpec spec{"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES};
    group_ = os::PerfGroup(std::span<const os::PerfEventSpec>(&spec, 1));
  }
  void start() { group_.reset_and_enable(); }
  void stop(Report& r) {
    if (!group_.available()) return;
    group_.disable();
    if (auto v = group_.read().at(0)) {
      r.cycles = *v;
      r.cycles_ok = 1;
    }
  }

 private:
  os::PerfGroup group_;
};

struct Plan {
  int n = 1;
  std::uint64_t ops = 0;  // ops mode: measured updates per process
  std::uint64_t warm_ops = 0;
  bool cycles = false;
  std::uint64_t fault_after = 0;  // 0: no fault
};

// The loop every updating process runs: warm-up, measured window, stop. `op()` is one update of all n lines.
// Ops mode counts updates; duration mode follows the parent's phase word.
template <class Op>
int update_loop(Shared& s, Report& r, const Plan& p, Op&& op) {
  Cycles cyc(p.cycles);
  std::uint64_t i = 0;
  auto step = [&]() -> bool {
    if (!op()) return false;
    ++i;
    if ((i & 255) == 0) {
      r.progress.store(i, relaxed);
      if (phase_of(s) == kAbort) return false;
    }
    if (p.fault_after != 0 && i == p.fault_after) ::_exit(9);
    return true;
  };
  auto begin = [&] {
    cyc.start();
    r.t_start = Clock::now();
  };
  auto end = [&] {
    r.t_end = Clock::now();
    cyc.stop(r);
  };
  if (p.ops != 0) {
    for (std::uint64_t w = 0; w < p.warm_ops; ++w)
      if (!step()) return 3;
    begin();
    for (std::uint64_t m = 0; m < p.ops; ++m)
      if (!step()) return 3;
    end();
    r.ops_measured = p.ops;
  } else {
    while (phase_of(s) == kWarmup)
      if (!step()) return 3;
    begin();
    const auto i0 = i;
    while (phase_of(s) == kMeasure)
      if (!step()) return 3;
    end();
    r.ops_measured = i - i0;
  }
  if (phase_of(s) == kAbort) return 3;
  r.ops_total = i;
  r.progress.store(i, relaxed);
  r.done.store(1, release);
  return 0;
}

// The server's update of the lines it alone writes: a plain load and store per line.
inline void apply_update(Shared& s, int n) {
  for (int l = 0; l < n; ++l) s.lines[l].v.store(s.lines[l].v.load(relaxed) + 1, relaxed);
}

int shm_worker(Shared& s, int id, const Plan& p, bool atomic_rmw) {
  Report& r = s.report[id];
  const std::uint64_t tag = static_cast<std::uint64_t>(id + 1) << 48;
  std::uint64_t count = 0;
  const int n = p.n;
  if (atomic_rmw)
    return update_loop(s, r, p, [&] {
      for (int l = 0; l < n; ++l) s.lines[l].v.fetch_add(1, relaxed);
      return true;
    });
  return update_loop(s, r, p, [&] {
    ++count;
    for (int l = 0; l < n; ++l) s.lines[l].v.store(tag | count, relaxed);
    return true;
  });
}

int msg_local(Shared& s, const Plan& p) {
  return update_loop(s, s.report[0], p, [&] {
    apply_update(s, p.n);
    return true;
  });
}

// A client: one synchronous request per update, spinning on its reply word (each process has its own CPU).
int msg_client(Shared& s, int id, const Plan& p) {
  Request& req = s.request[id];
  Word& rep = s.reply[id];
  Report& r = s.report[id];
  std::uint64_t seq = 0;
  bool measured = p.ops == 0;  // duration mode: the phase word says; ops mode: set after the warm-up
  std::uint64_t sent = 0;
  auto rpc = [&]() -> bool {
    ++seq;
    ++sent;
    if (p.ops != 0) measured = sent > p.warm_ops;
    else measured = phase_of(s) == kMeasure;
    req.words[0] = measured ? 1 : 0;
    for (int w = 1; w < 7; ++w) req.words[w] = seq;
    req.seq.store(seq, release);
    std::uint32_t spins = 0;
    while (rep.v.load(acquire) != seq) {
      os::cpu_relax();
      if ((++spins & 1023) == 0 && phase_of(s) == kAbort) return false;
    }
    return true;
  };
  return update_loop(s, r, p, rpc);
}

// The server polls every client's request slot in turn; it stops once the parent said stop (or, in ops mode,
// at once) and every client has set done, so no client is left waiting for a reply.
int msg_server(Shared& s, int clients, const Plan& p, std::uint64_t sample_every) {
  Report& r = s.report[0];
  std::vector<std::uint64_t> seen(static_cast<std::size_t>(clients) + 1, 0);
  std::uint64_t served = 0, measured = 0, busy = 0, timed = 0, idle = 0;
  for (;;) {
    bool any = false;
    for (int c = 1; c <= clients; ++c) {
      Request& req = s.request[c];
      const std::uint64_t q = req.seq.load(acquire);
      if (q == seen[c]) continue;
      any = true;
      seen[c] = q;
      const bool is_measured = req.words[0] != 0;
      const bool time_it = is_measured && measured++ % sample_every == 0;  // the first measured one, then every 16th
      const std::uint64_t t0 = time_it ? Clock::now() : 0;
      for (int w = 1; w < 7; ++w)
        if (req.words[w] != q) {
          set_error(r, "client " + std::to_string(c) + " request " + std::to_string(q) + ": word " + std::to_string(w) +
                           " holds " + std::to_string(req.words[w]) + " (a torn request)");
          return 5;
        }
      apply_update(s, p.n);
      s.reply[c].v.store(q, release);
      if (time_it) {
        busy += Clock::now() - t0;
        ++timed;
      }
      ++served;
      if ((served & 255) == 0) r.progress.store(served, relaxed);
      if (p.fault_after != 0 && served == p.fault_after) ::_exit(9);
    }
    if (any) continue;
    if ((++idle & 1023) != 0) continue;
    const auto ph = phase_of(s);
    if (ph == kAbort) return 3;
    if (ph != kStop && p.ops == 0) continue;
    bool all_done = true;
    for (int c = 1; c <= clients && all_done; ++c) all_done = s.report[c].done.load(acquire) != 0;
    if (!all_done) continue;
    // A client sets done only after its last reply: nothing is left in flight.
    r.server_served = served;
    r.server_busy_ticks = busy;
    r.server_timed = timed;
    r.ops_total = served;
    r.done.store(1, release);
    return 0;
  }
}

struct ProcessSpec {
  std::string role;  // "shm", "server", "client", "local"
  int cpu = -1;
};

std::vector<ProcessSpec> layout(Method m, int k, const std::vector<int>& cpus) {
  std::vector<ProcessSpec> out;
  for (int i = 0; i < k; ++i) {
    std::string role = m != Method::msg ? "shm" : k == 1 ? "local" : i == 0 ? "server" : "client";
    out.push_back({role, cpus.at(static_cast<std::size_t>(i))});
  }
  return out;
}

std::string describe_process(const ProcessSpec& p, int id) {
  return p.role == "shm" ? "process " + std::to_string(id) + " (cpu " + std::to_string(p.cpu) + ")"
                         : p.role + (p.role == "client" ? " " + std::to_string(id) : "") + " (cpu " +
                               std::to_string(p.cpu) + ")";
}

json stats_of(std::vector<double> v) {
  if (v.empty()) return nullptr;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size();
  const double med = m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
  return {{"median", med}, {"min", v.front()}, {"max", v.back()}, {"samples", m}};
}

std::string format_seconds(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%g s", s);
  return b;
}

void sleep_ms(double ms) {
  timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>(std::fmod(ms, 1000.0) * 1e6)};
  ::nanosleep(&ts, nullptr);  // EINTR (SIGCHLD) just ends the step early
}

}  // namespace

const char* method_name(Method m) {
  switch (m) {
    case Method::shm_store: return "shm-store";
    case Method::shm_atomic: return "shm-atomic";
    case Method::msg: return "msg";
  }
  return "?";
}

json cycles_availability() {
  static constexpr os::PerfEventSpec spec{"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES};
  os::PerfGroup probe(std::span<const os::PerfEventSpec>(&spec, 1));
  json j = {{"counter", "perf_event PERF_COUNT_HW_CPU_CYCLES, per process, over its measured window"},
            {"available", probe.available()}};
  if (!probe.available())
    j["reason"] = probe.reason() +
                  " (the TSC is not a substitute: it ticks at the nominal frequency, not the core's, so per_op_cycles "
                  "stays null and per_op_ns is the measure)";
  return j;
}

json check_lines(Method method, int k, const std::vector<std::uint64_t>& lines_final,
                 const std::vector<std::uint64_t>& ops_total) {
  json j;
  j["lines_final"] = lines_final;
  std::string bad;
  if (method == Method::shm_store) {
    j["rule"] = "plain stores race (the last writer wins), so no count survives: each line must hold a value one "
                "process stored (its id + 1 in bits 48.., an op number it reached below)";
    j["expected"] = nullptr;
    for (std::size_t l = 0; l < lines_final.size() && bad.empty(); ++l) {
      const std::uint64_t v = lines_final[l];
      const std::uint64_t id = (v >> 48) - 1, op = v & ((std::uint64_t{1} << 48) - 1);
      if ((v >> 48) == 0 || id >= static_cast<std::uint64_t>(k) || id >= ops_total.size() || op == 0 ||
          op > ops_total[id])
        bad = "line " + std::to_string(l) + " holds " + std::to_string(v) + ", which no process stored";
    }
  } else {
    std::uint64_t expected = 0;
    if (method == Method::msg && k > 1) {
      for (std::size_t i = 1; i < ops_total.size(); ++i) expected += ops_total[i];  // every client's requests
      if (!ops_total.empty() && ops_total[0] != expected)
        bad = "the server served " + std::to_string(ops_total[0]) + " requests, the clients sent " +
              std::to_string(expected);
    } else {
      for (auto o : ops_total) expected += o;
    }
    j["rule"] = method == Method::msg ? "each line must hold the number of updates the server applied, which must "
                                        "equal the requests the clients sent (warm-up included)"
                                      : "each line must hold the number of atomic increments of all processes "
                                        "(warm-up included)";
    j["expected"] = expected;
    for (std::size_t l = 0; l < lines_final.size() && bad.empty(); ++l)
      if (lines_final[l] != expected)
        bad = "line " + std::to_string(l) + " holds " + std::to_string(lines_final[l]) + ", expected " +
              std::to_string(expected);
  }
  j["ok"] = bad.empty();
  if (!bad.empty()) j["error"] = bad;
  return j;
}

json run_trial(Method method, int k, int n, const Options& opt, unsigned repetition) {
  json trial = {{"repetition", repetition}, {"status", "ok"}};
  auto fail = [&](const std::string& why) {
    trial["status"] = "failed";
    trial["error"] = why;
    return trial;
  };
  if (k < 1 || k > static_cast<int>(opt.cpus.size()) || k > kMaxProcesses) return fail("k out of range");
  if (n < 1 || n > kMaxLines) return fail("n out of range");

  const auto procs = layout(method, k, opt.cpus);
  auto page = os::Mapping::shared_anonymous((sizeof(Shared) + 4095) / 4096 * 4096);
  auto* s = new (page.data()) Shared{};
  Plan plan;
  plan.n = n;
  plan.ops = opt.ops_per_point;
  plan.warm_ops = opt.ops_per_point == 0 ? 0 : std::max<std::uint64_t>(100, opt.ops_per_point / 10);
  plan.cycles = opt.cycles;

  std::vector<os::ChildProcess> children;
  for (int id = 0; id < k; ++id) {
    Plan mine = plan;
    if (id == opt.fault_process) mine.fault_after = opt.fault_after_ops;
    const ProcessSpec spec = procs[id];
    children.push_back(os::ChildProcess::spawn([s, id, mine, spec, k, method]() -> int {
      Report& r = s->report[id];
      try {
        os::pin_to_cpu(spec.cpu);
      } catch (const std::exception& e) {
        set_error(r, e.what());
        return 4;
      }
      s->ready.v.fetch_add(1, relaxed);
      while (phase_of(*s) == kStarting) ::sched_yield();  // the parent needs a CPU to say go
      if (spec.role == "shm") return shm_worker(*s, id, mine, method == Method::shm_atomic);
      if (spec.role == "local") return msg_local(*s, mine);
      if (spec.role == "server") return msg_server(*s, k - 1, mine, kServerSampleEvery);
      return msg_client(*s, id, mine);
    }));
  }

  // The parent: sleep in short steps, watching every child and the progress counters.
  std::string failure;
  auto child_failure = [&]() -> bool {
    for (int id = 0; id < k; ++id) {
      auto st = children[id].try_wait();
      if (!st || st->ok()) continue;
      failure = describe_process(procs[id], id) + " " + st->describe();
      if (s->report[id].error[0] != '\0') failure += ": " + std::string(s->report[id].error);
      else if (st->exited && st->code == 3) failure += " (aborted)";
      return true;
    }
    return false;
  };
  std::uint64_t last_progress = 0;
  auto last_change = Clock::mono_ns();
  auto stalled = [&]() -> bool {
    std::uint64_t sum = 0;
    for (int id = 0; id < k; ++id) sum += s->report[id].progress.load(relaxed) + s->report[id].done.load(relaxed);
    const auto now = Clock::mono_ns();
    if (sum != last_progress) {
      last_progress = sum;
      last_change = now;
      return false;
    }
    if (static_cast<double>(now - last_change) / 1e9 > opt.timeout_s) {
      failure = "timed out: no progress for " + format_seconds(opt.timeout_s) + " (--timeout)";
      return true;
    }
    return false;
  };
  auto watch_for = [&](double seconds) -> bool {  // false: a failure, in `failure`
    const auto until = Clock::mono_ns() + static_cast<std::uint64_t>(seconds * 1e9);
    while (Clock::mono_ns() < until) {
      if (os::interrupted()) {
        failure = "interrupted";
        return false;
      }
      if (child_failure()) return false;
      sleep_ms(2);
    }
    return true;
  };

  bool ok = true;
  {
    const auto deadline = Clock::mono_ns() + static_cast<std::uint64_t>(opt.timeout_s * 1e9);
    while (s->ready.v.load(relaxed) < static_cast<std::uint64_t>(k)) {
      if (os::interrupted()) failure = "interrupted";
      else if (!child_failure() && Clock::mono_ns() > deadline)
        failure = "timed out: only " + std::to_string(s->ready.v.load()) + " of " + std::to_string(k) +
                  " processes started within " + format_seconds(opt.timeout_s);
      if (!failure.empty()) {
        ok = false;
        break;
      }
      sleep_ms(1);
    }
  }
  if (ok) {
    last_change = Clock::mono_ns();
    s->phase.v.store(kWarmup, release);
    if (opt.ops_per_point == 0) {
      ok = watch_for(opt.warmup_s);
      if (ok) s->phase.v.store(kMeasure, release);
      ok = ok && watch_for(opt.duration_s);
      if (ok) s->phase.v.store(kStop, release);
    }
  }
  if (ok) {
    last_change = Clock::mono_ns();
    for (;;) {
      if (os::interrupted()) {
        failure = "interrupted";
        ok = false;
        break;
      }
      if (child_failure() || stalled()) {
        ok = false;
        break;
      }
      bool all = true;
      for (auto& c : children) all = all && c.try_wait().has_value();
      if (all) break;
      sleep_ms(2);
    }
  }
  if (!ok) {
    s->phase.v.store(kAbort, release);
    for (auto& c : children) c.wait_for(0.5);  // then SIGKILL
    return fail(failure);
  }

  // Every process ended with status 0: read the reports.
  std::vector<std::uint64_t> ops_total, lines_final;
  for (int id = 0; id < k; ++id) ops_total.push_back(s->report[id].ops_total);
  for (int l = 0; l < n; ++l) lines_final.push_back(s->lines[l].v.load());
  json check = check_lines(method, k, lines_final, ops_total);

  json processes = json::array();
  std::vector<double> per_op, per_op_cycles;
  std::uint64_t updates = 0, t_min = UINT64_MAX, t_max = 0;
  std::optional<double> server_ns;
  for (int id = 0; id < k; ++id) {
    const Report& r = s->report[id];
    json p = {{"role", procs[id].role}, {"cpu", procs[id].cpu}, {"ops_total", r.ops_total}};
    if (procs[id].role == "server") {
      p["requests_served"] = r.server_served;
      p["timed_requests"] = r.server_timed;
      if (r.server_timed > 0) {
        // Two clock reads bracket each timed request: one read's cost (the calibrated median) is inside.
        const double raw = Clock::to_ns(r.server_busy_ticks) / static_cast<double>(r.server_timed);
        const double clock_read = Clock::info().read_overhead_ns;
        server_ns = std::max(0.0, raw - clock_read);
        p["per_update_ns"] = *server_ns;
        p["per_update_raw_ns"] = raw;
        p["clock_read_ns"] = clock_read;
      }
      processes.push_back(p);
      continue;
    }
    const double window = Clock::to_ns(r.t_end - r.t_start);
    p["ops_measured"] = r.ops_measured;
    p["window_ns"] = window;
    p["per_op_ns"] = r.ops_measured ? json(window / static_cast<double>(r.ops_measured)) : json(nullptr);
    p["per_op_cycles"] = r.cycles_ok && r.ops_measured
                             ? json(static_cast<double>(r.cycles) / static_cast<double>(r.ops_measured))
                             : json(nullptr);
    if (r.ops_measured) per_op.push_back(window / static_cast<double>(r.ops_measured));
    if (!p["per_op_cycles"].is_null()) per_op_cycles.push_back(p["per_op_cycles"].get<double>());
    updates += r.ops_measured;
    t_min = std::min(t_min, r.t_start);
    t_max = std::max(t_max, r.t_end);
    processes.push_back(p);
  }
  if (procs[0].role == "local" && !per_op.empty()) server_ns = per_op.front();
  const double window_ns = t_max > t_min ? Clock::to_ns(t_max - t_min) : 0.0;
  trial["processes"] = processes;
  trial["updates"] = updates;
  trial["window_ns"] = window_ns;
  trial["updates_per_s"] = window_ns > 0 ? json(static_cast<double>(updates) * 1e9 / window_ns) : json(nullptr);
  trial["per_op_ns"] = stats_of(per_op);
  trial["per_op_cycles"] = stats_of(per_op_cycles);
  trial["server_per_update_ns"] = server_ns ? json(*server_ns) : json(nullptr);
  trial["check"] = check;
  if (!check["ok"].get<bool>()) return fail("check failed: " + check["error"].get<std::string>());
  if (updates == 0) return fail("no update was measured (raise --duration or --ops-per-point)");
  return trial;
}

json summarize_point(Method method, int k, int n, const std::vector<int>& cpus, const json& trials) {
  std::vector<double> per_op, cycles, server, rate;
  json errors = json::array();
  std::size_t ok = 0;
  for (const auto& t : trials) {
    if (t["status"] != "ok") {
      errors.push_back("repetition " + std::to_string(t["repetition"].get<unsigned>()) + ": " +
                       t["error"].get<std::string>());
      continue;
    }
    ++ok;
    for (const auto& p : t["processes"]) {
      if (p.contains("per_op_ns") && !p["per_op_ns"].is_null()) per_op.push_back(p["per_op_ns"]);
      if (p.contains("per_op_cycles") && !p["per_op_cycles"].is_null()) cycles.push_back(p["per_op_cycles"]);
    }
    if (!t["server_per_update_ns"].is_null()) server.push_back(t["server_per_update_ns"]);
    if (!t["updates_per_s"].is_null()) rate.push_back(t["updates_per_s"]);
  }
  std::vector<int> used(cpus.begin(), cpus.begin() + k);
  json point = {{"method", method_name(method)},
                {"k", k},
                {"n", n},
                {"cpus", used},
                {"server_cpu", method == Method::msg ? json(used.front()) : json(nullptr)},
                {"degenerate", method == Method::msg && k == 1},
                {"status", trials.empty() ? "pending" : ok == trials.size() ? "ok" : "failed"},
                {"per_op_ns", stats_of(per_op)},
                {"per_op_cycles", stats_of(cycles)},
                {"server_per_update_ns", stats_of(server)},
                {"updates_per_s", stats_of(rate)},
                {"trials", trials}};
  if (!errors.empty()) point["errors"] = errors;
  return point;
}

}  // namespace ipcbench::multikernel
