#pragma once
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>

// Run cancellation. Signal handlers (SIGCHLD: the peer died; SIGALRM: the watchdog saw no progress;
// SIGINT/SIGTERM: the user) set one process-wide flag. Every wait loop in the harness and the transports
// checks it after an unsuccessful attempt, and blocking system calls return EINTR because the handlers are
// installed without SA_RESTART. Once cancelled, the watchdog timer keeps firing every few milliseconds so a
// call that blocked just after the flag was set is interrupted too: no run can hang.
// Thread mode: those process-directed signals all land in the measuring (producer) thread, because the
// consumer thread blocks them (os::PeerThread); the consumer is interrupted by kKickSignal sent to it alone.
#include <signal.h>

namespace ipcbench::os {

// stopped: thread mode only, the producer's side gave up and calls the consumer thread off.
enum class CancelReason : int { none = 0, peer_exited = 1, timeout = 2, interrupted = 3, stopped = 4 };

// Sent to one thread (pthread_kill) to interrupt its blocking call; the handler does nothing. SIGURG because
// its default action is to ignore it, so a stray one from outside changes nothing.
inline constexpr int kKickSignal = SIGURG;

extern std::atomic<int> g_cancel;
extern std::atomic<std::uint64_t> g_progress;  // bumped by the harness loops; the watchdog reads it

struct Cancelled : std::runtime_error {
  explicit Cancelled(CancelReason r);
  CancelReason reason;
};

inline CancelReason cancel_reason() noexcept {
  return static_cast<CancelReason>(g_cancel.load(std::memory_order_relaxed));
}
[[noreturn]] void throw_cancelled();
inline void check_cancel() {
  if (g_cancel.load(std::memory_order_relaxed) != 0) throw_cancelled();
}
// One writer (the measuring thread), so a plain load+store suffices: no locked instruction per message.
[[gnu::always_inline]] inline void note_progress() noexcept {
  g_progress.store(g_progress.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

// Cancels the run now (the first reason given wins) and keeps the watchdog kicking blocked calls.
void request_cancel(CancelReason r) noexcept;
// Thread mode's SIGCHLD: the consumer thread ended. Cancels unless the run no longer watches its peer.
void peer_exited() noexcept;

// Process-wide, once: handlers for SIGCHLD, SIGALRM, SIGINT, SIGTERM, kKickSignal; SIGPIPE ignored.
void install_signal_handlers();
// True once SIGINT/SIGTERM arrived; the sweep stops after the current run.
bool interrupted() noexcept;
int interrupt_signal() noexcept;

// One per run: arms the no-progress watchdog and makes SIGCHLD cancel; disarms and clears on destruction.
class RunGuard {
 public:
  explicit RunGuard(double timeout_s);
  ~RunGuard();
  RunGuard(const RunGuard&) = delete;
  RunGuard& operator=(const RunGuard&) = delete;
  // After the peer's final report arrived its exit is expected, not a failure.
  void peer_may_exit() noexcept;
};

// In a freshly forked child: default handlers, ignore SIGINT (the parent decides), die with the parent.
void child_signal_setup(pid_t parent);

}  // namespace ipcbench::os
