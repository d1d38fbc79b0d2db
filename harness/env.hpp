#pragma once
// The environment manifest stored with every result: what ran, where, under which limits and clock.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ipcbench {

// Everything in `context` except floors (measured later); `warnings` lists what may distort results.
nlohmann::json describe_environment(const std::vector<std::string>& argv);
std::string hostname();
std::string utc_timestamp(bool for_filename);  // 2026-11-25T06:01:32Z or 20261125T060132Z

}  // namespace ipcbench
