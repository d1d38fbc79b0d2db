#pragma once
// Open-loop load (pattern `rate`), one-way latency and the per-run validity checks.
// A rate run sends message i at t0 + i/rate whatever happened before, stamps that intended time into the
// message, and the consumer takes (its receive time - the stamp): a stall delays every message behind it and
// shows in the latencies instead of being hidden by a producer that waited (coordinated omission). The same
// stamp, holding the actual send time, gives pingpong's one-way latency (--one-way). Both sides read one clock
// (Clock), which must agree across the two CPUs: clock_consistency() checks it.
#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/stats.hpp"

namespace ipcbench {

struct RunConfig;
struct RunResult;
struct PlannedRun;

// What a rate run offers: an absolute rate (--rate), or a fraction of the stream capacity of the same
// configuration (--load), which the sweep resolves into msgs_per_s just before the run.
struct OfferedRate {
  double msgs_per_s = 0;            // the offered rate; 0 until a --load fraction is resolved
  double load = 0;                  // --load fraction; 0 for an absolute --rate
  double stream_msgs_per_s = 0;     // the stream capacity a fraction was taken of
  std::int64_t stream_run_id = -1;  // runs[] id of that stream run
  bool operator==(const OfferedRate&) const = default;
};

// Deltas the consumer took from the send stamps (ns), summarised.
struct OneWay {
  bool present = false;
  const char* from = "";            // "intended send time" (rate) | "send time" (pingpong --one-way)
  Summary latency;
  Histogram histogram;
  std::uint64_t negative_deltas = 0;  // the receive clock read earlier than the stamp: counted as 0 ns
};

struct OpenLoop {
  bool present = false;
  double period_ns = 0;              // 1e9 / offered rate
  double achieved_msgs_per_s = 0;    // (n - 1) / (last receive - first intended send)
  double max_lag_ns = 0;             // how far behind its schedule the producer's sends got
  double final_lag_ns = 0;           // at the last send
  std::uint64_t dropped = 0;         // no transport may drop: a run that loses a message fails instead
  std::uint64_t sleeps = 0;          // gaps long enough to sleep through (pacing)
  bool backlog_grows = false;
};

// The stamp rides in bytes [16, 24) of a message (after the --verify header), so a stamped message has at
// least 24 bytes.
inline constexpr std::size_t kStampOffset = 16;
inline constexpr std::size_t kMinStampedBytes = kStampOffset + 8;
// The measured messages of a rate run: --messages, or rate x --duration, within [100, 2^22] (32 MiB of deltas).
inline constexpr std::uint64_t kMaxTimedMessages = std::uint64_t{1} << 22;
std::uint64_t rate_message_count(const RunConfig& cfg);
// Gaps between sends longer than this are slept through, up to kWakeEarlyNs before the send time; shorter
// ones are spun on the clock.
inline constexpr double kSleepAboveNs = 200'000;
inline constexpr double kWakeEarlyNs = 60'000;

// --rate "100k,1M,250000" (decimal k/M/G: messages per second) and --load "0.1,0.5,0.9,1.0" (fractions of
// the stream capacity, up to 10); throw std::invalid_argument naming the bad item.
std::vector<OfferedRate> parse_rates(const std::string& text);
std::vector<OfferedRate> parse_loads(const std::string& text);
// --load default when --patterns has rate and neither --rate nor --load is given.
std::vector<OfferedRate> default_loads();
// Each planned rate run becomes one run per offered rate (the sweep's last axis); sizes below
// kMinStampedBytes are skipped with the reason. Other patterns are left as they are.
std::vector<PlannedRun> expand_rates(std::vector<PlannedRun> runs, const std::vector<OfferedRate>& rates);
// For a --load run: the offered rate from the newest ok stream run in `runs` with the same configuration
// (transport, wait, size, CPUs, capacity, mode), and under --copy-in auto that run's copy-in stores. Returns false
// when there is none yet.
bool resolve_load(RunConfig& cfg, const nlohmann::json& runs);
// The stream run that measures a --load run's capacity when none was found.
RunConfig stream_reference(const RunConfig& rate_cfg);
// Before a rate run: resolve a --load fraction from runs[], running the stream reference first when none was
// measured yet. Returns that stream run's JSON (to be recorded in runs[]) if one was run; `error` is set when
// the rate run cannot go ahead (the stream run failed).
std::optional<nlohmann::json> prepare_rate_run(RunConfig& cfg, const nlohmann::json& runs, std::string* error);

// ---- validity warnings: each returns the warning line, or nothing when the run is fine -------------------
// A side pinned to `pinned` found itself on `seen` after the measured phase.
std::optional<std::string> pinning_warning(const char* side, int pinned, std::int64_t seen);
// The median of the first 10% of samples (in the order taken) more than `threshold` above the median of
// the rest: the CPU was still ramping up its frequency (or waking from idle) when the measurement began.
inline constexpr double kRampThreshold = 0.20;
std::optional<std::string> ramp_warning(std::span<const double> samples_in_order, double threshold = kRampThreshold);
// Stream: when the producer's last send returned the consumer was still (about) a whole buffer behind
// (drain_ns x msgs/s >= 90% of the capacity): the buffer never drained. A warning when that drain is also at
// least kDrainShare of the measured phase, so that the figure holds a tail of the consumer working alone.
inline constexpr double kDrainShare = 0.10;
std::optional<std::string> stream_backlog_warning(double drain_ns, double elapsed_ns, double msgs_per_s,
                                                  std::size_t capacity_messages);
// Rate: latencies (in send order) that keep growing through the run: the median of the last tenth is
// above that of the middle tenth, which is above that of the first tenth, and last - first is more than
// 5% of the run's duration (and at least 100 us): the transport does not keep up with the offered rate.
bool backlog_grows(std::span<const double> latency_in_order_ns, double duration_ns);

// ---- latency vs offered load ------------------------------------------------------------------------------
struct CurvePoint {
  double offered = 0, achieved = 0, p50 = 0, p99 = 0, load = 0;
};
// The knee: the lowest offered rate whose p99 is above kKneeFactor x the p99 at the lowest offered rate,
// or whose achieved rate falls short of the offered by more than kKneeShortfall. `points` sorted by offered.
inline constexpr double kKneeFactor = 3.0;
inline constexpr double kKneeShortfall = 0.05;
std::optional<std::size_t> find_knee(std::span<const CurvePoint> points, std::string* why);
// rate_curves[]: one curve per configuration (transport, wait, size, CPUs, capacity, mode) with its points
// (median over repetitions), the knee and the closed-loop pingpong p99 of the same configuration.
nlohmann::json rate_curves_json(const nlohmann::json& runs);

// The console view of rate_curves[]: one block per curve, a line per offered load, the knee marked.
void print_rate_curves(std::ostream& out, const nlohmann::json& report);
// The progress line's figures for a rate run: offered, achieved, one-way p50/p99, max lag.
std::string rate_progress(const nlohmann::json& run);

// ---- the clock across two CPUs -------------------------------------------------------------------------
// Two threads pinned to `a` and `b` hand a clock reading back and forth through one cache line; a reading
// taken after another (causally) must not be smaller. min_forward_ns = min(t_b - t_a) over hand-overs a->b,
// min_backward_ns likewise b->a; a negative minimum means the CPUs' clocks disagree by at least that much.
struct ClockConsistency {
  bool checked = false;
  bool consistent = true;
  double min_forward_ns = 0, min_backward_ns = 0;
  int rounds = 0;
  std::string error;
};
ClockConsistency clock_consistency(int a, int b, int rounds = 2000);
nlohmann::json clock_consistency_json(int a, int b, const ClockConsistency& c);
// When the sweep has rate or --one-way runs: context.one_way_clock with the check of every CPU pair they use.
// A TSC that disagrees across a pair is dropped for CLOCK_MONOTONIC (context.clock updated). Returns the
// warning (also added to context.warnings), if any.
std::optional<std::string> check_one_way_clock(nlohmann::json& context, const std::vector<PlannedRun>& runs);

// Adds the run warnings (pinning, ramp, stream backlog) that follow from a finished RunResult.
void add_run_warnings(RunResult& res, std::span<const double> pingpong_samples_in_order);

}  // namespace ipcbench
