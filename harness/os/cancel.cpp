#include "harness/os/cancel.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <cmath>

#include "harness/os/error.hpp"

namespace ipcbench::os {

std::atomic<int> g_cancel{0};
std::atomic<std::uint64_t> g_progress{0};

namespace {
std::atomic<int> g_watch_peer{0};
std::atomic<int> g_interrupt_signal{0};
timer_t g_timer{};
std::atomic<int> g_timer_ok{0};
std::atomic<int> g_timer_armed{0};
std::uint64_t g_last_progress = 0;  // only touched in the SIGALRM handler and RunGuard (handler blocked then)
int g_stalled_ticks = 0;
constexpr int kTicksPerTimeout = 4;

const char* reason_text(CancelReason r) {
  switch (r) {
    case CancelReason::peer_exited: return "the peer process exited";
    case CancelReason::timeout: return "timed out: no progress";
    case CancelReason::interrupted: return "interrupted";
    case CancelReason::stopped: return "stopped by the other side of the run";
    default: return "cancelled";
  }
}

void kick_timer() noexcept {
  if (!g_timer_ok.load(std::memory_order_relaxed)) return;
  itimerspec its{};
  its.it_value.tv_nsec = 2'000'000;
  its.it_interval.tv_nsec = 2'000'000;
  timer_settime(g_timer, 0, &its, nullptr);  // async-signal-safe
}

void cancel(CancelReason r) noexcept {
  int expected = 0;
  g_cancel.compare_exchange_strong(expected, static_cast<int>(r));
  if (g_timer_armed.load(std::memory_order_relaxed)) kick_timer();
}

void on_kick(int) {}  // only here to make a blocked call return EINTR

void on_signal(int sig) {
  int saved = errno;
  switch (sig) {
    case SIGCHLD:
      if (g_watch_peer.load(std::memory_order_relaxed)) cancel(CancelReason::peer_exited);
      break;
    case SIGALRM:
      if (g_cancel.load(std::memory_order_relaxed) != 0) break;  // still kicking blocked calls
      {
        auto p = g_progress.load(std::memory_order_relaxed);
        if (p != g_last_progress) {
          g_last_progress = p;
          g_stalled_ticks = 0;
        } else if (++g_stalled_ticks >= kTicksPerTimeout) {
          cancel(CancelReason::timeout);
        }
      }
      break;
    default:  // SIGINT, SIGTERM
      g_interrupt_signal.store(sig, std::memory_order_relaxed);
      cancel(CancelReason::interrupted);
      break;
  }
  errno = saved;
}
}  // namespace

Cancelled::Cancelled(CancelReason r) : std::runtime_error(reason_text(r)), reason(r) {}

void throw_cancelled() { throw Cancelled(cancel_reason()); }

void request_cancel(CancelReason r) noexcept { cancel(r); }

void peer_exited() noexcept {
  if (g_watch_peer.load(std::memory_order_relaxed)) cancel(CancelReason::peer_exited);
}

bool interrupted() noexcept { return g_interrupt_signal.load(std::memory_order_relaxed) != 0; }
int interrupt_signal() noexcept { return g_interrupt_signal.load(std::memory_order_relaxed); }

void install_signal_handlers() {
  static bool done = false;
  if (done) return;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocked calls must return EINTR
  for (int sig : {SIGALRM, SIGINT, SIGTERM})
    if (sigaction(sig, &sa, nullptr) != 0) throw_errno("sigaction");
  sa.sa_handler = on_kick;
  if (sigaction(kKickSignal, &sa, nullptr) != 0) throw_errno("sigaction(kick)");
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_NOCLDSTOP;
  if (sigaction(SIGCHLD, &sa, nullptr) != 0) throw_errno("sigaction(SIGCHLD)");
  signal(SIGPIPE, SIG_IGN);  // a write to a dead peer must be an EPIPE error, not our death

  sigevent sev{};
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGALRM;
  if (timer_create(CLOCK_MONOTONIC, &sev, &g_timer) != 0) throw_errno("timer_create");
  g_timer_ok = 1;
  done = true;
}

RunGuard::RunGuard(double timeout_s) {
  install_signal_handlers();
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGALRM);
  sigprocmask(SIG_BLOCK, &block, &old);
  g_last_progress = g_progress.load();
  g_stalled_ticks = 0;
  sigprocmask(SIG_SETMASK, &old, nullptr);
  // A SIGINT that arrived between runs still cancels this one.
  g_cancel.store(interrupted() ? static_cast<int>(CancelReason::interrupted) : 0);
  g_watch_peer = 1;
  double tick = std::max(timeout_s / kTicksPerTimeout, 0.001);
  itimerspec its{};
  its.it_value.tv_sec = static_cast<time_t>(tick);
  its.it_value.tv_nsec = static_cast<long>((tick - std::floor(tick)) * 1e9);
  its.it_interval = its.it_value;
  g_timer_armed = 1;
  if (g_cancel.load() != 0) kick_timer();
  else timer_settime(g_timer, 0, &its, nullptr);
}

void RunGuard::peer_may_exit() noexcept { g_watch_peer = 0; }

RunGuard::~RunGuard() {
  g_watch_peer = 0;
  g_timer_armed = 0;
  itimerspec off{};
  timer_settime(g_timer, 0, &off, nullptr);
  g_cancel.store(0);
}

void child_signal_setup(pid_t parent) {
  struct sigaction sa {};
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGALRM, SIGCHLD, SIGTERM, kKickSignal}) sigaction(sig, &sa, nullptr);
  signal(SIGINT, SIG_IGN);  // Ctrl-C reaches the whole process group; the parent winds the run down
  g_cancel.store(0);
  g_watch_peer = 0;
  g_timer_armed = 0;
  g_timer_ok = 0;  // timers are not inherited across fork
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(3);  // the parent died before prctl took effect
}

}  // namespace ipcbench::os
