#include "harness/os/perf.hpp"

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace ipcbench::os {

namespace {

int perf_event_open(perf_event_attr& attr, int group_fd) {
  return static_cast<int>(::syscall(SYS_perf_event_open, &attr, 0 /* this thread */, -1 /* any CPU */, group_fd,
                                    PERF_FLAG_FD_CLOEXEC));
}

std::string paranoid_level() {
  std::ifstream in("/proc/sys/kernel/perf_event_paranoid");
  std::string level;
  in >> level;
  return level.empty() ? "unknown" : level;
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

constexpr std::uint64_t hw_cache(std::uint64_t cache, std::uint64_t result) {
  return cache | (std::uint64_t{PERF_COUNT_HW_CACHE_OP_READ} << 8) | (result << 16);
}

constexpr std::array<PerfEventSpec, kSoftwareCounters> kSoftware{{
    {"context_switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
    {"cpu_migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS},
    {"page_faults_minor", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN},
    {"page_faults_major", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ},
    {"task_clock_ns", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK},
}};

constexpr std::array<PerfEventSpec, kHardwareCounters> kHardware{{
    {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    {"cache_references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES},
    {"cache_misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
    {"llc_loads", PERF_TYPE_HW_CACHE, hw_cache(PERF_COUNT_HW_CACHE_LL, PERF_COUNT_HW_CACHE_RESULT_ACCESS)},
    {"llc_load_misses", PERF_TYPE_HW_CACHE, hw_cache(PERF_COUNT_HW_CACHE_LL, PERF_COUNT_HW_CACHE_RESULT_MISS)},
}};

constexpr const char* kSyscallTracepoint = "raw_syscalls/sys_enter";

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

std::string perf_open_error(const std::string& event, std::uint32_t type, int err) {
  const bool hardware = type == PERF_TYPE_HARDWARE || type == PERF_TYPE_HW_CACHE || type == PERF_TYPE_RAW;
  std::string hint;
  switch (err) {
    case ENOENT:
    case ENODEV:
      hint = hardware ? "this machine exposes no hardware PMU for it (usual in a virtual machine without a virtual "
                        "PMU; on bare metal, check that the CPU's PMU driver is loaded)"
                      : "this kernel does not know the event";
      break;
    case EOPNOTSUPP:
      hint = "the PMU here does not support this event";
      break;
    case EACCES:
    case EPERM:
      hint = "not permitted: kernel.perf_event_paranoid is " + paranoid_level() +
             "; run as root (or with CAP_PERFMON) or lower it: sysctl kernel.perf_event_paranoid=1 (a container's "
             "seccomp profile can also forbid perf_event_open)";
      break;
    case ENOSYS:
      hint = "perf_event_open is not available (kernel without CONFIG_PERF_EVENTS, or blocked by seccomp)";
      break;
    case EMFILE:
    case ENFILE:
      hint = "out of file descriptors";
      break;
    default:
      hint = "the kernel refused the event";
  }
  return "perf_event_open(" + event + "): " + std::strerror(err) + ": " + hint;
}

std::optional<std::uint64_t> tracepoint_id(const std::string& event, std::string* why,
                                           const std::vector<std::string>& roots) {
  std::string mounted;  // first root that is a mounted tracefs (it has events/)
  for (const auto& root : roots) {
    if (!is_dir(root + "/events")) continue;
    if (mounted.empty()) mounted = root;
    const std::string path = root + "/events/" + event + "/id";
    errno = 0;
    std::ifstream in(path);
    if (!in) {
      if (errno == EACCES || errno == EPERM) {
        if (why) *why = "cannot read " + path + ": " + std::strerror(errno) + " (tracefs is readable by root only)";
        return std::nullopt;
      }
      continue;
    }
    std::uint64_t id = 0;
    if (in >> id) return id;
    if (why) *why = "cannot parse " + path;
    return std::nullopt;
  }
  if (why) {
    if (mounted.empty())
      *why = "tracefs is not mounted (no " + (roots.empty() ? std::string("tracefs root") : roots.front()) +
             "/events): mount -t tracefs nodev /sys/kernel/tracing (as root; ./setup.sh does this)";
    else
      *why = "tracepoint " + event + " not found under " + mounted +
             "/events (a kernel without CONFIG_FTRACE_SYSCALLS has no raw_syscalls tracepoints)";
  }
  return std::nullopt;
}

PerfGroup::PerfGroup(std::span<const PerfEventSpec> events) {
  for (const auto& e : events) {
    perf_event_attr attr{};
    attr.size = sizeof attr;
    attr.type = e.type;
    attr.config = e.config;
    attr.disabled = fds_.empty() ? 1 : 0;  // the leader starts and stops the whole group
    attr.inherit = 0;
    attr.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    int fd = perf_event_open(attr, fds_.empty() ? -1 : fds_.front().get());
    if (fd < 0) {
      const int err = errno;
      if (reason_.empty()) reason_ = perf_open_error(e.name, e.type, err);
      missing_.emplace_back(e.name);
      index_.push_back(-1);
      continue;
    }
    index_.push_back(static_cast<int>(fds_.size()));
    fds_.emplace_back(fd);
  }
}

void PerfGroup::reset_and_enable() {
  if (!available()) return;
  ::ioctl(fds_.front().get(), PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP);
  ::ioctl(fds_.front().get(), PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
}

void PerfGroup::disable() {
  if (available()) ::ioctl(fds_.front().get(), PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP);
}

std::vector<std::optional<std::uint64_t>> PerfGroup::read(bool* scaled) const {
  std::vector<std::optional<std::uint64_t>> out(index_.size());
  if (!available()) return out;
  // PERF_FORMAT_GROUP: nr, time_enabled, time_running, then one value per event in the order opened.
  std::vector<std::uint64_t> buf(3 + fds_.size());
  const auto want = static_cast<ssize_t>(buf.size() * sizeof(std::uint64_t));
  if (::read(fds_.front().get(), buf.data(), buf.size() * sizeof(std::uint64_t)) != want || buf[0] != fds_.size())
    return out;
  const std::uint64_t enabled = buf[1], running = buf[2];
  if (enabled > 0 && running == 0) return out;  // never got onto the PMU: no value rather than a false 0
  const bool multiplexed = running < enabled;
  if (multiplexed && scaled) *scaled = true;
  for (std::size_t i = 0; i < index_.size(); ++i) {
    if (index_[i] < 0) continue;
    std::uint64_t v = buf[3 + static_cast<std::size_t>(index_[i])];
    if (multiplexed)
      v = static_cast<std::uint64_t>(static_cast<double>(v) * static_cast<double>(enabled) / static_cast<double>(running));
    out[i] = v;
  }
  return out;
}

const char* counter_name(Counter c) {
  const auto i = static_cast<std::size_t>(c);
  if (i < kSoftwareCounters) return kSoftware[i].name;
  if (i < kSoftwareCounters + kHardwareCounters) return kHardware[i - kSoftwareCounters].name;
  return "syscalls";
}

ThreadCounters::ThreadCounters(const std::vector<std::string>& tracefs) : software_(kSoftware) {
  for (const auto& e : kHardware) hardware_.emplace_back(std::span<const PerfEventSpec>(&e, 1));
  if (auto id = tracepoint_id(kSyscallTracepoint, &syscalls_reason_, tracefs)) {
    const PerfEventSpec tp{"syscalls", PERF_TYPE_TRACEPOINT, *id};
    syscalls_ = PerfGroup(std::span<const PerfEventSpec>(&tp, 1));
  }
}

void ThreadCounters::start() {
  for (auto& g : hardware_) g.reset_and_enable();
  software_.reset_and_enable();
  syscalls_.reset_and_enable();  // last: every later system call of this thread counts
}

void ThreadCounters::stop() {
  syscalls_.disable();  // first: this ioctl is kOwnSyscalls
  software_.disable();
  for (auto& g : hardware_) g.disable();
}

PerfReading ThreadCounters::read() const {
  PerfReading r;
  auto sw = software_.read();
  for (std::size_t i = 0; i < kSoftwareCounters; ++i) r.values[i] = sw[i];
  for (std::size_t i = 0; i < kHardwareCounters; ++i) r.values[kSoftwareCounters + i] = hardware_[i].read(&r.hardware_scaled)[0];
  if (auto tp = syscalls_.read(); !tp.empty()) r.values[static_cast<std::size_t>(Counter::syscalls)] = tp[0];
  return r;
}

ThreadCounters::Availability ThreadCounters::software() const {
  Availability a;
  a.available = software_.available();
  for (const auto& e : kSoftware)
    if (std::find(software_.missing().begin(), software_.missing().end(), e.name) == software_.missing().end())
      a.events.emplace_back(e.name);
  if (!software_.complete()) a.reason = "not counted: " + join(software_.missing()) + " (" + software_.reason() + ")";
  return a;
}

ThreadCounters::Availability ThreadCounters::hardware() const {
  Availability a;
  std::vector<std::string> missing;
  std::string first_reason;
  for (std::size_t i = 0; i < hardware_.size(); ++i) {
    if (hardware_[i].available()) {
      a.available = true;
      a.events.emplace_back(kHardware[i].name);
    } else {
      missing.emplace_back(kHardware[i].name);
      if (first_reason.empty()) first_reason = hardware_[i].reason();
    }
  }
  if (!a.available) a.reason = first_reason + " (none of the " + std::to_string(kHardwareCounters) + " hardware events opens)";
  else if (!missing.empty()) a.reason = "not counted: " + join(missing) + " (" + first_reason + ")";
  return a;
}

ThreadCounters::Availability ThreadCounters::syscalls() const {
  Availability a;
  a.available = syscalls_.available();
  if (a.available) a.events.emplace_back("raw_syscalls:sys_enter");
  else a.reason = !syscalls_reason_.empty() ? syscalls_reason_ : syscalls_.reason();
  return a;
}

}  // namespace ipcbench::os
