#include "harness/os/thread.hpp"

#include <signal.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "harness/os/cancel.hpp"
#include "harness/os/error.hpp"

namespace ipcbench::os {

PeerThread::PeerThread(std::function<int()> body) {
  // Block before creating: the new thread inherits the mask, so no signal can reach it in between.
  sigset_t block, old;
  sigemptyset(&block);
  for (int sig : {SIGALRM, SIGCHLD, SIGINT, SIGTERM}) sigaddset(&block, sig);
  if (int e = ::pthread_sigmask(SIG_BLOCK, &block, &old); e != 0) throw_errno("pthread_sigmask", e);
  try {
    thread_ = std::thread([this, body = std::move(body)] {
      int status = 1;
      try {
        status = body();
      } catch (...) {
      }
      {
        std::lock_guard lock(mutex_);
        status_ = status;
        done_.store(true, std::memory_order_release);
      }
      cv_.notify_all();
    });
  } catch (...) {
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    throw;
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

PeerThread::~PeerThread() { stop_and_join(); }

std::optional<int> PeerThread::wait_for(double timeout_s) {
  std::unique_lock lock(mutex_);
  if (!cv_.wait_for(lock, std::chrono::duration<double>(timeout_s), [&] { return finished(); })) return std::nullopt;
  lock.unlock();
  if (thread_.joinable()) thread_.join();
  return status_;
}

int PeerThread::stop_and_join(double grace_s) noexcept {
  if (!thread_.joinable()) return status_;
  if (!finished()) request_cancel(CancelReason::stopped);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_s);
  while (!finished()) {
    // Repeated: a kick that arrives just before the thread enters a blocking call is lost.
    ::pthread_kill(thread_.native_handle(), kKickSignal);
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "ipcbench: the consumer thread ignored cancellation for %.1f s; aborting\n", grace_s);
      std::abort();
    }
    timespec ms{0, 1'000'000};
    ::nanosleep(&ms, nullptr);  // EINTR (the watchdog's kicks) only shortens the pause
  }
  thread_.join();
  return status_;
}

}  // namespace ipcbench::os
