#pragma once
// One wait-strategy loop for every transport: try the operation; on "not yet", spin within a budget;
// then `spin` yields the CPU (so two ends on one CPU do not wait for the scheduler tick) and `hybrid`
// blocks in the kernel. `block` blocks at once. The operation is always tried before the cancel flag is
// checked, so a message that has arrived is never dropped because the peer exited right after sending it.
#include <sched.h>

#include "harness/os/cancel.hpp"
#include "harness/os/futex.hpp"
#include "transports/transport.hpp"

namespace ipcbench {

// try_op() -> bool: true when done. block() sleeps until progress is likely (returns on EINTR too).
// Every system call is counted in c.syscalls where it is made: try_op() and block() count their own
// (block() may re-check and not sleep at all), this loop its sched_yield().
template <class TryOp, class Block>
inline void wait_until(Wait wait, std::uint32_t budget, TransportCounters& c, TryOp&& try_op, Block&& block) {
  if (try_op()) return;
  std::uint32_t spins = 0;
  for (;;) {
    if (wait == Wait::block || (wait == Wait::hybrid && spins >= budget)) {
      ++c.blocking_waits;
      block();
      if (try_op()) return;
      os::check_cancel();
      continue;
    }
    if (++spins >= budget && wait == Wait::spin) {
      ++c.spin_yields;
      ++c.syscalls;
      ::sched_yield();
      spins = 0;
    } else {
      os::cpu_relax();
    }
    if (try_op()) return;
    if ((spins & 255) == 0) os::check_cancel();
  }
}

}  // namespace ipcbench

#include <poll.h>

#include <string>

#include "harness/os/error.hpp"

namespace ipcbench {

// One attempt at a system call that may not be ready: `call()` makes exactly one system call and returns
// true when it succeeded and false with errno set when it failed; each attempt is counted in c.syscalls.
// EINTR is retried (after the cancel check), EAGAIN means "not yet", a vanished peer becomes PeerGone,
// anything else is an error naming the transport and the call.
template <class Call>
bool try_syscall(const char* what, TransportCounters& c, Call&& call) {
  for (;;) {
    ++c.syscalls;
    if (call()) return true;
    switch (errno) {
      case EAGAIN:
#if EWOULDBLOCK != EAGAIN
      case EWOULDBLOCK:
#endif
      case ENOBUFS:
        return false;
      case EINTR:
        os::check_cancel();
        continue;
      case EPIPE:
      case ECONNRESET:
      case ECONNREFUSED:
        throw os::PeerGone(std::string(what) + ": peer closed its end");
      default:
        os::throw_errno(what);
    }
  }
}

// try_syscall under a wait strategy, blocking in poll() on a descriptor the kernel can report on. A send
// (POLLOUT) whose first attempt finds no room counts one full wait; with Wait::block the descriptor is
// blocking, the call sleeps inside the kernel and nothing is counted (it cannot be told from a call that did not).
template <class Call>
void wait_for_fd(Wait wait, std::uint32_t budget, TransportCounters& c, int fd, short events, const char* what,
                 Call&& call) {
  if (try_syscall(what, c, call)) return;
  if (events & POLLOUT) ++c.full_waits;
  wait_until(
      wait, budget, c, [&] { return try_syscall(what, c, call); },
      [&] {
        pollfd pfd{fd, events, 0};
        ++c.syscalls;
        ::poll(&pfd, 1, -1);  // EINTR: wait_until re-checks the cancel flag
      });
}

}  // namespace ipcbench
