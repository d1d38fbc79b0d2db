#include "harness/parse.hpp"

#include <cctype>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace ipcbench {

namespace {
std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::uint64_t parse_digits(const std::string& digits, const std::string& whole, const std::string& what) {
  if (digits.empty()) throw std::invalid_argument(what + ": '" + whole + "' is not a number");
  std::uint64_t v = 0;
  for (char c : digits) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      throw std::invalid_argument(what + ": '" + whole + "' is not a whole non-negative number");
    if (v > (std::numeric_limits<std::uint64_t>::max() - 9) / 10)
      throw std::invalid_argument(what + ": '" + whole + "' is too large");
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}
}  // namespace

std::vector<std::string> split_list(const std::string& text, const char* option) {
  if (trim(text).empty()) throw std::invalid_argument(std::string(option) + ": empty list");
  // Not getline: it drops the empty item after a trailing comma ("64,").
  std::vector<std::string> out;
  for (std::size_t start = 0;;) {
    const auto comma = text.find(',', start);
    auto item = trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (item.empty())
      throw std::invalid_argument(std::string(option) + ": empty item in '" + text + "' (use a comma-separated list)");
    out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::size_t parse_size(const std::string& raw) {
  const std::string text = trim(raw);
  const std::string what = "size";
  if (text.empty()) throw std::invalid_argument("size: empty value (examples: 64, 4K, 1M)");
  std::uint64_t mult = 1;
  std::string digits = text;
  switch (std::toupper(static_cast<unsigned char>(text.back()))) {
    case 'K': mult = 1ull << 10; digits.pop_back(); break;
    case 'M': mult = 1ull << 20; digits.pop_back(); break;
    case 'G': mult = 1ull << 30; digits.pop_back(); break;
    default: break;
  }
  if (!digits.empty() && digits.front() == '-')
    throw std::invalid_argument("size '" + text + "' is negative: sizes are bytes, at least 1 (e.g. 64, 4K, 1M)");
  std::uint64_t v;
  try {
    v = parse_digits(digits, text, what);
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument("size '" + text + "' is not understood: use bytes with an optional K, M or G suffix (e.g. 64, 4K, 1M)");
  }
  if (v == 0) throw std::invalid_argument("size '" + text + "' is zero: a message has at least 1 byte");
  if (v > (std::uint64_t{1} << 40) / mult) throw std::invalid_argument("size '" + text + "' is too large");
  return static_cast<std::size_t>(v * mult);
}

std::vector<std::size_t> parse_size_list(const std::string& text) {
  std::vector<std::size_t> sizes;
  for (const auto& item : split_list(text, "--sizes")) sizes.push_back(parse_size(item));
  return sizes;
}

std::vector<CpuPair> parse_cpu_pairs(const std::string& text) {
  std::vector<CpuPair> pairs;
  for (const auto& item : split_list(text, "--cpus")) {
    auto colon = item.find(':');
    if (colon == std::string::npos || item.find(':', colon + 1) != std::string::npos)
      throw std::invalid_argument("--cpus: '" + item + "' is not a producer:consumer pair (e.g. 0:1,0:0)");
    auto num = [&](const std::string& s) {
      auto t = trim(s);
      if (!t.empty() && t.front() == '-') throw std::invalid_argument("--cpus: '" + item + "' has a negative CPU number");
      if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos)
        throw std::invalid_argument("--cpus: '" + item + "' is not a producer:consumer pair of CPU numbers (e.g. 0:1,0:0)");
      if (t.size() > 7) throw std::invalid_argument("--cpus: CPU number in '" + item + "' is too large");
      return std::stoi(t);
    };
    pairs.push_back({num(item.substr(0, colon)), num(item.substr(colon + 1))});
  }
  return pairs;
}

std::uint64_t parse_count(const std::string& raw, const char* option) {
  auto text = trim(raw);
  if (!text.empty() && text.front() == '-')
    throw std::invalid_argument(std::string(option) + ": '" + text + "' is negative; give a whole number >= 0");
  try {
    return parse_digits(text, text, option);
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument(std::string(option) + ": '" + text + "' is not a whole number (e.g. 100000)");
  }
}

std::vector<Capacity> parse_capacity_list(const std::string& text) {
  constexpr const char* kForms = "give 0 (rendezvous), a number of messages or unbounded, e.g. 0,1,16,unbounded";
  std::vector<Capacity> out;
  for (const auto& item : split_list(text, "--capacity")) {
    Capacity c;
    if (item == "unbounded") {
      c = Capacity::unbounded();
    } else {
      if (item.find_first_not_of("0123456789") != std::string::npos)
        throw std::invalid_argument("--capacity: '" + item + "' is not a capacity (" + kForms + ")");
      std::uint64_t n = 0;
      try {
        n = parse_digits(item, item, "--capacity");
      } catch (const std::invalid_argument&) {
        throw std::invalid_argument("--capacity: '" + item + "' is too large (" + kForms + ")");
      }
      if (n > std::numeric_limits<std::uint32_t>::max())
        throw std::invalid_argument("--capacity: '" + item + "' is too large; for no limit give unbounded");
      c = n == 0 ? Capacity::rendezvous() : Capacity::bounded(static_cast<std::size_t>(n));
    }
    for (const auto& seen : out)
      if (seen == c) throw std::invalid_argument("--capacity: '" + item + "' is given twice in '" + text + "'");
    out.push_back(c);
  }
  return out;
}

double parse_seconds(const std::string& raw, const char* option) {
  return parse_positive(raw, option, "a number of seconds (e.g. 0.5)");
}

double parse_positive(const std::string& raw, const char* option, const char* unit_example) {
  auto text = trim(raw);
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || !std::isfinite(v))
    throw std::invalid_argument(std::string(option) + ": '" + text + "' is not " + unit_example);
  if (v <= 0) throw std::invalid_argument(std::string(option) + ": '" + text + "' must be greater than 0");
  return v;
}

std::string format_size(std::size_t bytes) {
  if (bytes >= (1u << 30) && bytes % (1u << 30) == 0) return std::to_string(bytes >> 30) + "G";
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + "M";
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + "K";
  return std::to_string(bytes);
}

}  // namespace ipcbench
