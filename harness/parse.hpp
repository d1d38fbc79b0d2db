#pragma once
// Parsing of command-line values. Every function throws std::invalid_argument with a message that names
// the bad value and shows a valid one; the CLI prints it on one line and exits with status 2.
#include <cstdint>
#include <string>
#include <vector>

#include "harness/run.hpp"

namespace ipcbench {

// "64", "4K", "64k", "1M", "1G" (binary multiples). Rejects 0, negatives, fractions, overflow, junk.
std::size_t parse_size(const std::string& text);
std::vector<std::size_t> parse_size_list(const std::string& text);
// "0:1,0:0" -> producer:consumer pairs.
std::vector<CpuPair> parse_cpu_pairs(const std::string& text);
// --capacity: "0" (rendezvous), a number of messages ("16"), "unbounded"; comma-separated, no repeats.
std::vector<Capacity> parse_capacity_list(const std::string& text);
// Whole non-negative number ("100000", "1e6" is refused: say what you mean).
std::uint64_t parse_count(const std::string& text, const char* option);
// Positive seconds: "0.5", "2".
double parse_seconds(const std::string& text, const char* option);
// Any positive finite number ("0.1").
double parse_positive(const std::string& text, const char* option, const char* unit_example);
// "a,b" -> {"a","b"}; empty items refused.
std::vector<std::string> split_list(const std::string& text, const char* option);

std::string format_size(std::size_t bytes);  // 65536 -> "64K", 100 -> "100"

}  // namespace ipcbench
