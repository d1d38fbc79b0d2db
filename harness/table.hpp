#pragma once
// The console view of a results document (the same JSON that is written to disk).
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

namespace ipcbench {

void print_tables(std::ostream& out, const nlohmann::json& report);
std::string format_ns(double ns);    // 812 ns, 12.3 us, 1.20 ms
std::string format_rate(double v);   // 1.23M, 456K
std::string progress_line(const nlohmann::json& run);  // one line per finished run

}  // namespace ipcbench
