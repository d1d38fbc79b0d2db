#pragma once
// JSON is the single source of truth: the console table, charts and verdicts are views of it.
// Schema: results/README.md and results/schema.json.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/run.hpp"

namespace ipcbench {

inline constexpr int kSchemaVersion = 1;

nlohmann::json to_json(const RunResult& r);
nlohmann::json floor_to_json(const RunResult& r);
nlohmann::json make_report(const nlohmann::json& context, const nlohmann::json& runs);
// Writes to path.tmp, then renames: a reader never sees half a file, and a crash keeps the last version.
void write_json_atomic(const std::string& path, const nlohmann::json& doc);

}  // namespace ipcbench
