#include "harness/os/affinity.hpp"

#include <sched.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "harness/os/error.hpp"

namespace ipcbench::os {

namespace {
std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}
}  // namespace

std::string format_cpu_list(const std::vector<int>& cpus) {
  std::string s;
  for (std::size_t i = 0; i < cpus.size(); ++i) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!s.empty()) s += ',';
    s += std::to_string(cpus[i]);
    if (j > i) s += '-' + std::to_string(cpus[j]);
    i = j;
  }
  return s;
}

std::vector<int> parse_cpu_list(const std::string& text) {
  std::vector<int> cpus;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) {
    part.erase(part.find_last_not_of(" \t\n") + 1);
    if (part.empty()) continue;
    auto dash = part.find('-');
    // stoi stops at the first non-digit: check that each number used its whole text ("1x" is garbage).
    auto number = [&](const std::string& s) {
      std::size_t used = 0;
      int v = std::stoi(s, &used);
      if (used != s.size()) throw std::invalid_argument("bad CPU range '" + part + "'");
      return v;
    };
    int lo = number(part.substr(0, dash));
    int hi = dash == std::string::npos ? lo : number(part.substr(dash + 1));
    if (lo < 0 || hi < lo) throw std::invalid_argument("bad CPU range '" + part + "'");
    for (int c = lo; c <= hi; ++c) cpus.push_back(c);
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

std::vector<int> online_cpus() {
  auto line = read_line("/sys/devices/system/cpu/online");
  if (line.empty()) return allowed_cpus();
  return parse_cpu_list(line);
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) throw_errno("sched_getaffinity");
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

std::vector<int> smt_siblings(int cpu) {
  auto line = read_line("/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/thread_siblings_list");
  if (line.empty()) return {cpu};
  try {
    return parse_cpu_list(line);
  } catch (const std::exception&) {
    return {cpu};
  }
}

void set_affinity(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(c, &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0) throw_errno("sched_setaffinity");
}

int pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0) throw_errno("sched_setaffinity(cpu " + std::to_string(cpu) + ")");
  // The kernel migrates the caller before sched_setaffinity returns; check rather than trust.
  int now = ::sched_getcpu();
  if (now != cpu)
    throw std::runtime_error("pinning not honoured: asked for cpu " + std::to_string(cpu) + ", running on cpu " +
                             std::to_string(now));
  return now;
}

}  // namespace ipcbench::os
