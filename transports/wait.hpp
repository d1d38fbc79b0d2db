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
