#include "harness/floor.hpp"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <new>
#include <optional>
#include <utility>

#include "harness/os/affinity.hpp"
#include "harness/os/error.hpp"
#include "harness/os/futex.hpp"
#include "harness/os/mapping.hpp"
#include "harness/runner.hpp"
#include "transports/wait.hpp"

namespace ipcbench {

namespace {
// What the two processes share, constructed in the parent before fork. A spinning floor's words: one 64-bit word
// per pair for the cache-line floor (request and reply are the same word), two for the two-line floor, on the
// lines floor_line_offset and floor_reply_offset place in a mapping of kFloorLines pages.
constexpr std::size_t kFloorPage = 4096;
constexpr std::size_t kFloorBytes = kFloorLines * kFloorPage;
struct SpinWords {
  std::array<std::atomic<std::uint64_t>*, kFloorLines> request{};
  std::array<std::atomic<std::uint64_t>*, kFloorLines> reply{};
};

// The producer stores 2*seq+1 on a request word and spins until the reply word holds 2*seq+2; the consumer
// answers. One word for both is the cache-line floor (the line is bounced, each side writing it in turn); two on
// lines of their own are the two-line floor (each line has one writer, as in any ring: a duplex ring's request and
// reply travel so). Round trips take the words of pair (seq / kFloorRun) % kFloorLines in runs of kFloorRun, so
// the floor is taken over lines at many addresses, and each line is still bounced many times in a row.
class SpinWordOps {
 public:
  SpinWordOps(const SpinWords& words, std::uint32_t budget) : words_(words), budget_(budget) {}
  void round_trip(std::uint64_t seq) {
    const auto k = pair(seq);
    words_.request[k]->store(2 * seq + 1, std::memory_order_release);
    await(*words_.reply[k], 2 * seq + 2);
  }
  void serve(std::uint64_t seq) {
    const auto k = pair(seq);
    await(*words_.request[k], 2 * seq + 1);
    words_.reply[k]->store(2 * seq + 2, std::memory_order_release);
  }
  void send_one(std::uint64_t) {}
  void recv_one(std::uint64_t) {}
  [[nodiscard]] TransportCounters counters() const { return counters_; }
  [[nodiscard]] std::uint64_t verified() const { return 0; }
  [[nodiscard]] std::optional<std::uint64_t> in_sequence() const { return std::nullopt; }  // no payload

 private:
  static std::size_t pair(std::uint64_t seq) { return (seq / kFloorRun) % kFloorLines; }
  void await(std::atomic<std::uint64_t>& word, std::uint64_t v) {
    wait_until(Wait::spin, budget_, counters_, [&] { return word.load(std::memory_order_acquire) == v; }, [] {});
  }
  SpinWords words_;
  std::uint32_t budget_;
  TransportCounters counters_;
};

// Request 2*seq+1 on `ping`, reply 2*seq+2 on `pong` (modulo 2^32: only equality with the next value counts).
class FutexOps {
 public:
  FutexOps(std::atomic<std::uint32_t>& ping, std::atomic<std::uint32_t>& pong) : ping_(ping), pong_(pong) {}
  void round_trip(std::uint64_t seq) {
    post(ping_, static_cast<std::uint32_t>(2 * seq + 1));
    await(pong_, static_cast<std::uint32_t>(2 * seq + 2));
  }
  void serve(std::uint64_t seq) {
    await(ping_, static_cast<std::uint32_t>(2 * seq + 1));
    post(pong_, static_cast<std::uint32_t>(2 * seq + 2));
  }
  void send_one(std::uint64_t) {}
  void recv_one(std::uint64_t) {}
  [[nodiscard]] TransportCounters counters() const { return counters_; }
  [[nodiscard]] std::uint64_t verified() const { return 0; }
  [[nodiscard]] std::optional<std::uint64_t> in_sequence() const { return std::nullopt; }  // no payload

 private:
  void post(std::atomic<std::uint32_t>& word, std::uint32_t v) {
    word.store(v, std::memory_order_release);
    os::futex_wake(&word, 1);
    ++counters_.futex_wakes;
  }
  void await(std::atomic<std::uint32_t>& word, std::uint32_t v) {
    // FUTEX_WAIT returns at once if the word no longer holds what was seen, so a reply stored between the
    // load and the call is never slept through.
    wait_until(Wait::block, 0, counters_, [&] { return word.load(std::memory_order_acquire) == v; },
               [&] {
                 const auto seen = word.load(std::memory_order_acquire);
                 if (seen != v) os::futex_wait(&word, seen);
               });
  }
  std::atomic<std::uint32_t>& ping_;
  std::atomic<std::uint32_t>& pong_;
  TransportCounters counters_;
};

RunConfig floor_config(const char* kind, Wait wait, const CpuPair& cpus, const std::string& placement,
                       double duration_s, std::uint64_t warmup, double timeout_s) {
  RunConfig cfg;
  cfg.transport = kind;
  cfg.pattern = Pattern::pingpong;
  cfg.wait = wait;
  cfg.payload_bytes = 8;
  cfg.cpus = cpus;
  cfg.placement = placement;
  cfg.duration_s = duration_s;
  cfg.warmup = warmup;
  cfg.timeout_s = timeout_s;
  return cfg;
}

std::atomic<std::uint64_t>* word_at(std::byte* base, std::size_t offset) {
  return new (base + offset) std::atomic<std::uint64_t>(0);
}
SpinWords cacheline_words(std::byte* base) {
  SpinWords w;
  for (std::size_t i = 0; i < kFloorLines; ++i) w.request[i] = w.reply[i] = word_at(base, floor_line_offset(i));
  return w;
}
SpinWords two_line_words(std::byte* base) {
  SpinWords w;
  for (std::size_t i = 0; i < kFloorLines; ++i) {
    w.request[i] = word_at(base, floor_line_offset(i));
    w.reply[i] = word_at(base, floor_reply_offset(i));
  }
  return w;
}
struct FutexWords {
  alignas(64) std::atomic<std::uint32_t> ping{0};  // one cache line per word, each written by one side
  alignas(64) std::atomic<std::uint32_t> pong{0};
};

// One pinned pair of processes running the Ops built by make_ops(words) through the harness's own loops; `words`
// is what construct(base) made of a shared mapping of `bytes`, in the parent before fork.
template <class Construct, class MakeOps>
RunResult run_floor(const RunConfig& cfg, std::uint32_t spin_budget, std::size_t bytes, Construct construct,
                    MakeOps make_ops) {
  RunResult res;
  res.config = cfg;
  res.spin_budget = spin_budget;
  os::Mapping page;
  std::optional<decltype(construct(std::declval<std::byte*>()))> words;
  detail::run_process_pair(
      cfg, res,
      [&] {
        page = os::Mapping::shared_anonymous(bytes);
        words.emplace(construct(static_cast<std::byte*>(page.data())));
      },
      [&](os::ControlChannel& ctl, int) {
        auto ops = make_ops(*words);
        detail::produce(ops, cfg, ctl, res);
      },
      [&](os::ControlChannel& ctl, int cpu) {
        auto ops = make_ops(*words);
        detail::consume(ops, cfg, ctl, cpu);
      });
  return res;
}

std::optional<std::size_t> read_size(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text.empty()) return std::nullopt;
  std::size_t used = 0;
  std::size_t v = 0;
  try {
    v = std::stoull(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const std::string unit = text.substr(used);
  if (unit == "K") v <<= 10;
  else if (unit == "M") v <<= 20;
  else if (unit == "G") v <<= 30;
  else if (!unit.empty()) return std::nullopt;
  return v;
}

// The highest-level data or unified cache of `cpu`: its own cache domain in sysfs, else glibc's figure.
void find_llc(int cpu, MemcpyFloor& out) {
  int best_level = 0;
  const std::string dir = "/sys/devices/system/cpu/cpu" + std::to_string(cpu < 0 ? 0 : cpu) + "/cache/";
  for (int i = 0; i < 8; ++i) {
    const std::string idx = dir + "index" + std::to_string(i) + "/";
    std::ifstream level_in(idx + "level"), type_in(idx + "type");
    int level = 0;
    std::string type;
    if (!(level_in >> level) || !(type_in >> type) || type == "Instruction" || level <= best_level) continue;
    if (auto size = read_size(idx + "size")) {
      best_level = level;
      out.llc_bytes = size;
      out.llc_source = idx + "size";
    }
  }
  if (out.llc_bytes) return;
  for (int name : {_SC_LEVEL3_CACHE_SIZE, _SC_LEVEL2_CACHE_SIZE}) {
    const long v = ::sysconf(name);
    if (v > 0) {
      out.llc_bytes = static_cast<std::size_t>(v);
      out.llc_source = name == _SC_LEVEL3_CACHE_SIZE ? "sysconf(_SC_LEVEL3_CACHE_SIZE)" : "sysconf(_SC_LEVEL2_CACHE_SIZE)";
      return;
    }
  }
}

}  // namespace

namespace {
// A spinning floor: SpinWordOps over the words construct(base) lays out in a shared mapping of kFloorBytes.
RunResult spin_floor(const char* kind, const CpuPair& cpus, const std::string& placement, double duration_s,
                     double timeout_s, SpinWords (*construct)(std::byte*)) {
  const auto cfg = floor_config(kind, Wait::spin, cpus, placement, duration_s, 2000, timeout_s);
  const auto budget = auto_spin_budget(cpus);
  return run_floor(cfg, budget, kFloorBytes, construct,
                   [budget](const SpinWords& w) { return SpinWordOps(w, budget); });
}
}  // namespace

// On the development VM (AMD EPYC, two vCPUs), a line's round trip depended on where it sat (README, "A line's
// address"): on two dies, on which 256 bytes of each kilobyte and on the page (414-466 ns); on one die, on which
// 128 bytes of each kilobyte alone, whatever the page, by up to 2x in some placements of the vCPUs and not at all
// in others (as if those address bits chose a last-level cache slice). Line i is on page k = 7i mod 16, in its
// (k mod 4)th kilobyte, k lines in: every page once, each of the 16 lines of a kilobyte once (so each 128-byte
// class twice) and each kilobyte of a page four times, in an order no stride prefetcher follows. Its reply (the
// two-line floor) is on the same page, 2.5 KiB on (modulo the page): another 128-byte class, and a pair of lines
// of its own.
std::size_t floor_line_offset(std::size_t i) {
  const std::size_t k = (i * 7) % kFloorLines;
  return k * kFloorPage + (k % 4) * 1024 + k * 64;
}

std::size_t floor_reply_offset(std::size_t i) {
  const std::size_t at = floor_line_offset(i);
  return at - at % kFloorPage + (at % kFloorPage + 2560) % kFloorPage;
}

RunResult measure_cacheline_floor(const CpuPair& cpus, const std::string& placement, double duration_s,
                                  double timeout_s) {
  return spin_floor("cacheline", cpus, placement, duration_s, timeout_s, cacheline_words);
}

RunResult measure_two_line_floor(const CpuPair& cpus, const std::string& placement, double duration_s,
                                 double timeout_s) {
  return spin_floor("two-line", cpus, placement, duration_s, timeout_s, two_line_words);
}

RunResult measure_futex_floor(const CpuPair& cpus, const std::string& placement, double duration_s,
                              double timeout_s) {
  // A round trip is two wake-ups (tens of microseconds in a VM): a short warm-up sizes the measured phase.
  const auto cfg = floor_config("futex", Wait::block, cpus, placement, duration_s, 200, timeout_s);
  return run_floor(
      cfg, 1, sizeof(FutexWords), [](std::byte* base) { return new (base) FutexWords{}; },
      [](FutexWords* w) { return FutexOps(w->ping, w->pong); });
}

PerCall measure_null_syscall() {
  // syscall() rather than getppid(): nothing in libc may answer it without entering the kernel.
  return time_per_call([] { ::syscall(SYS_getppid); }, 200e3, 15);
}

PerCall measure_futex_wake_no_waiter() {
  auto page = os::Mapping::shared_anonymous(4096);
  auto* word = new (page.data()) std::atomic<std::uint32_t>(0);
  if (os::futex_wake(word, 1) != 0) os::throw_errno("FUTEX_WAKE on a word nobody waits on");
  return time_per_call([word] { os::futex_wake(word, 1); }, 200e3, 15);
}

MemcpyFloor measure_memcpy(const std::vector<std::size_t>& sizes, double batch_target_ns, std::uint32_t batches) {
  MemcpyFloor out;
  find_llc(::sched_getcpu(), out);
  std::size_t largest = 0;
  for (auto s : sizes) largest = std::max(largest, s);
  if (largest == 0) return out;
  // 2 MiB-aligned and advised to use transparent huge pages before the first write: 128 MiB of 4 KiB pages
  // take most of a second to fault in on a VM, huge pages a few milliseconds (and no TLB misses in the copy).
  constexpr std::size_t kHuge = std::size_t{2} << 20;
  auto region = [&] {
    auto m = os::Mapping::private_anonymous(largest + kHuge);
    auto addr = reinterpret_cast<std::uintptr_t>(m.data());
    auto* aligned = m.data() + ((kHuge - addr % kHuge) % kHuge);
    if (::madvise(aligned, largest, MADV_HUGEPAGE) != 0) out.huge_pages_advised = false;
    return std::pair{std::move(m), aligned};
  };
  out.huge_pages_advised = true;
  auto [src_map, src] = region();
  auto [dst_map, dst] = region();
  std::memset(src, 0x5a, largest);  // every page faulted in now, not in a timed batch
  std::memset(dst, 0, largest);
  for (auto bytes : sizes) {
    std::byte* d = dst;
    const std::byte* s = src;
    MemcpyPoint p;
    p.bytes = bytes;
    p.copy = time_per_call(
        [=] {
          std::memcpy(d, s, bytes);
          // An empty asm that may read both buffers: the compiler cannot drop or merge repeated copies.
          asm volatile("" : : "r"(d), "r"(s) : "memory");
        },
        batch_target_ns, batches);
    p.bytes_per_s = p.copy.ns_median > 0 ? static_cast<double>(bytes) * 1e9 / p.copy.ns_median : 0.0;
    out.points.push_back(p);
  }
  return out;
}

HostFloors measure_host_floors(int cpu) {
  const auto mask = os::allowed_cpus();
  const auto t0 = Clock::mono_ns();
  HostFloors f;
  f.cpu = os::pin_to_cpu(cpu);
  try {
    f.null_syscall = measure_null_syscall();
    f.futex_wake = measure_futex_wake_no_waiter();
    f.memcpy = measure_memcpy({kMemcpySizes.begin(), kMemcpySizes.end()});
  } catch (...) {
    os::set_affinity(mask);
    throw;
  }
  os::set_affinity(mask);
  f.wall_s = static_cast<double>(Clock::mono_ns() - t0) / 1e9;
  return f;
}

}  // namespace ipcbench
