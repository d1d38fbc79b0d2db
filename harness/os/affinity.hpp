#pragma once
#include <string>
#include <vector>

namespace ipcbench::os {

std::vector<int> online_cpus();           // from /sys/devices/system/cpu/online
std::vector<int> allowed_cpus();          // this process's affinity mask
std::vector<int> smt_siblings(int cpu);   // including cpu itself; {cpu} if unknown

// Restrict the calling thread to one CPU and confirm with sched_getcpu(); throws if either fails.
int pin_to_cpu(int cpu);
// Restore a saved mask (the parent returns to its original affinity between runs).
void set_affinity(const std::vector<int>& cpus);

// "0-3,8,10-11" -> {0,1,2,3,8,10,11}; throws std::invalid_argument on garbage.
std::vector<int> parse_cpu_list(const std::string& text);
// The reverse, in the kernel's own form: {0,1,2,5} -> "0-2,5".
std::string format_cpu_list(const std::vector<int>& cpus);

}  // namespace ipcbench::os
