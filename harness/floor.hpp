#pragma once
// The hardware floor: two processes bounce one shared cache line (no transport, no payload). Every shm
// number is read against it. Same-CPU pairs use the same spin-then-yield fallback as the transports.
#include "harness/run.hpp"

namespace ipcbench {

RunResult measure_cacheline_floor(const CpuPair& cpus, const std::string& placement, double duration_s,
                                  double timeout_s);

}  // namespace ipcbench
