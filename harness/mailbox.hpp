#pragma once
// The mailbox pattern: P producer processes and C consumer processes share one mailbox (mq, unixdgram, pipe
// or the shm MPMC ring, transports/mailbox.hpp), all forked from the parent, pinned round-robin over the
// allowed CPUs. Every message carries a 16-byte header: the send time from the harness's Clock, the producer
// and its sequence number. Each consumer records who sent what it got, the one-way latency of every message,
// and checks that each producer's messages reach it in order; the parent checks that every message sent was
// received exactly once. Producers send for --duration (or --messages in total, split between them); the last
// producer to finish sends one end message per consumer, which queue behind every data message (all four
// mailboxes are FIFO), so each consumer stops after the data. A process that dies or fails, or no progress for
// --timeout, fails the run with the process named; every process is then killed and reaped.
// Not measured: CPU time and system calls per message of each process, warm-up (there is none).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/run.hpp"

namespace ipcbench {

inline constexpr const char* kMailboxPlacement = "round-robin";
inline constexpr std::size_t kMailboxHeaderBytes = 16;
inline constexpr unsigned kMaxMailboxProcesses = 64;  // for each of --producers and --consumers

// The transports with a mailbox form, in table order.
std::vector<std::string> mailbox_transports();
// Why `cfg` (pattern mailbox) cannot run here, or "".
std::string mailbox_impossible_reason(const RunConfig& cfg);
RunResult run_mailbox(const RunConfig& cfg);

// Jain's fairness index of the counts: (sum x)^2 / (n * sum x^2); 1 = all equal, 1/n = one took everything.
// 1 for a single count; 0 when nothing was counted.
double jain_index(std::span<const std::uint64_t> counts);
// runs[].mailbox of an ok or failed run (the counts only when it was ok).
nlohmann::json mailbox_json(const RunResult& r);

}  // namespace ipcbench
