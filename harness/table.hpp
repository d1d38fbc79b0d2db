#pragma once
// The console view of a results document (the same JSON that is written to disk).
#include <nlohmann/json.hpp>
#include <ostream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ipcbench {

void print_tables(std::ostream& out, const nlohmann::json& report);
std::string format_ns(double ns);    // 812 ns, 12.3 us, 1.20 ms
std::string format_rate(double v);   // 1.23M, 456K
std::string progress_line(const nlohmann::json& run);
// context.floors on one line: clock, null syscall, FUTEX_WAKE and memcpy at five of its sizes.
std::string host_floors_line(const nlohmann::json& floors);
// One line per CPU pair: cache-line floor (before, after) and futex ping-pong, p50.
std::vector<std::string> pair_floor_lines(const nlohmann::json& floors);  // one line per finished run
// p50 of the cache-line floor per CPU pair ("0:1"), averaged over the before/after measurements.
std::map<std::string, double> floor_p50_by_pair(const nlohmann::json& floors);
// One warning per pair whose floor moved by more than 25% between before and after.
std::vector<std::string> floor_drift_warnings(const nlohmann::json& floors);
// The lowest and highest p50 of the floors measured just before the given runs (runs[].floor), if any has one.
std::optional<std::pair<double, double>> floor_range(const nlohmann::json& runs, const nlohmann::json& run_ids);
// "130 ns" or "66-255 ns"; and whether such a range spans more than one coherence regime (the highest more than
// 1.2x the lowest, the band of plot/claims.py's same_regime).
std::string floor_range_text(const std::pair<double, double>& range);
bool regimes_mixed(const std::pair<double, double>& range);
// "" when every message the consumers of the given runs read carried its own sequence number
// (cpu.consumer.in_sequence_messages equals messages, or is absent); else "only 0.9% of the messages read were
// the ones sent": a baseline whose producer never waits copying out other laps' data, or a broken transport.
std::string in_sequence_note(const nlohmann::json& runs, const nlohmann::json& run_ids);

}  // namespace ipcbench
