#pragma once
// JSON is the single source of truth: the console table, charts and verdicts are views of it.
// Schema: results/README.md and results/schema.json.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/clock.hpp"
#include "harness/floor.hpp"
#include "harness/run.hpp"

namespace ipcbench {

inline constexpr int kSchemaVersion = 1;

nlohmann::json to_json(const RunResult& r);
// A cache-line or futex ping-pong floor of one CPU pair (context.floors.cacheline_pingpong[] / futex_pingpong[]).
nlohmann::json floor_to_json(const RunResult& r);
// context.floors.clock: the clock's read cost and resolution, from the same ClockInfo as context.clock.
nlohmann::json clock_floor_json(const ClockInfo& ci);
// context.floors.null_syscall, futex_wake and memcpy (an object holding those three keys).
nlohmann::json host_floors_json(const HostFloors& f);
// The document: context, runs[] and summary[] (the runs grouped by configuration across repetitions, the
// bootstrap seeded with context.repetitions.seed, 0 when absent).
nlohmann::json make_report(const nlohmann::json& context, const nlohmann::json& runs);
// The same with summary[] given (main keeps it up to date one configuration at a time: recomputing every
// bootstrap after every run would cost ~50 ms per run on the default suite).
nlohmann::json make_report(const nlohmann::json& context, const nlohmann::json& runs, const nlohmann::json& summary);
// Writes to path.tmp, then renames: a reader never sees half a file, and a crash keeps the last version.
void write_json_atomic(const std::string& path, const nlohmann::json& doc);

}  // namespace ipcbench
