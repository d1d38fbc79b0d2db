#pragma once
// The consumer of a thread-mode run: a std::thread that is always joined (the thread-mode counterpart of
// ChildProcess). It blocks the process-directed signals (SIGALRM, SIGCHLD, SIGINT, SIGTERM) so that the
// watchdog's and the user's signals always reach the measuring thread, as in process mode; the consumer
// thread is interrupted instead by kKickSignal sent to it alone. A thread cannot be killed, so a stuck one
// is cancelled and kicked until it returns.
#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace ipcbench::os {

class PeerThread {
 public:
  // Runs body() in a new thread; its return value plays the part of an exit status (0 = ok).
  explicit PeerThread(std::function<int()> body);
  ~PeerThread();  // stop_and_join(): never leaves a thread behind
  PeerThread(const PeerThread&) = delete;
  PeerThread& operator=(const PeerThread&) = delete;

  [[nodiscard]] bool finished() const noexcept { return done_.load(std::memory_order_acquire); }
  // Waits up to timeout_s for body() to return by itself; then joins and gives its status.
  std::optional<int> wait_for(double timeout_s);
  // Cancels the run (CancelReason::stopped unless it already has a reason) and kicks the thread every
  // millisecond until body() returns. The thread's stack refers to the run's transport and buffers, so a
  // thread that ignores cancellation for grace_s ends the process with a message rather than hang it.
  int stop_and_join(double grace_s = 2.0) noexcept;

 private:
  std::atomic<bool> done_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  int status_ = 0;
  std::thread thread_;
};

}  // namespace ipcbench::os
