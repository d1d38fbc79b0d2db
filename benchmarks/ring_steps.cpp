// ipcbench_ring_steps: the shm ring's round trip built up one step at a time, on two CPUs (README, "The ring's
// short path"). Each step is a minimal ping-pong loop between two processes that adds one piece of the ring to the
// step before it:
//   one-line   both sides store into one word (the cache-line floor)
//   two-line   a request word and a reply word on lines of their own, each written by one side
//   payload    + the message copied next to each word, as the ring copies it (transports/copy.hpp)
//   two-slots  + two slots per direction, used in turn, laid out as the ring lays out a duplex ring's slots
//   tail       + the reader stores its tail after every message; the writer reloads it when its copy says full
//   harness    + the harness's payload work: write the next message while the peer answers, read the last
//   calls      + send and receive behind calls that are not inlined
// and then the ring itself: `shm` send/recv on fixed buffers (no staging: that is TransportOps's), `shm-unstaged`
// through the harness's message layer (TransportOps), and `shm` through it, which is what an ipcbench ping-pong
// runs with its own lines (--reply-line own). Last, beside the ladder:
//   one line + payload   the one-line step with the message copied next to the word: each side answers in the
//                        line the other's message came in (one slot for both directions)
//   shm in place, Ops    `shm` answering in place through TransportOps (--reply-line shared): that pattern, with
//                        the rest of a message past 56 B on lines of its sender's own, staged
// The steps run one after the other in every round and the rounds repeat, so each round compares them side by
// side; the table gives each step's median over rounds of (its statistic / the one-line step's in the same round).
// Two statistics: the p50 of the round trips, as ipcbench computes it (harness/stats.hpp: a mid-quantile, which
// reads through the clock's steps), and the mean of their middle 80 %, which the README's attribution table quotes.
// Rounds whose one-line floor is far from the one most rounds had (another coherence regime) are left out.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/cli_parse.hpp"
#include "harness/clock.hpp"
#include "harness/os/affinity.hpp"
#include "harness/os/futex.hpp"
#include "harness/os/mapping.hpp"
#include "harness/parse.hpp"
#include "harness/runner.hpp"
#include "harness/stats.hpp"
#include "transports/copy.hpp"
#include "transports/shm.hpp"

namespace ipcbench {
namespace {

using Word = std::atomic<std::uint64_t>;
constexpr std::size_t kWord = 8, kRingBytes = 4096, kSlotsAt = 256, kTailAt = 64;
constexpr std::size_t kMaxBytes = 1000;  // the ring keeps the payload right after its word below 1 KiB
static_assert(kMaxBytes <= shm_ring::kInPlaceMost, "every size must answer in place in the step that does");
// A step's run gets 10 s plus 10 us per round trip (the slowest regime seen here is 0.5 us) before the tool stops.
constexpr unsigned kTimeoutS = 10;
unsigned time_limit_s(std::uint64_t round_trips) { return kTimeoutS + static_cast<unsigned>(round_trips / 100'000); }

Word& word_at(std::byte* p) { return *reinterpret_cast<Word*>(p); }

enum Step : int { one_line, two_line, payload, two_slots, tail, harness, calls, in_place };

// Does step S include the piece of step `piece`? The ladder's steps include every piece before them; `in_place`
// stands beside it: the one-line step with the message copied next to its word (each side writes its message
// into the line the other's came in, as an rpc that answers in place would), and nothing else.
constexpr bool has(int s, int piece) { return s == in_place ? piece == payload : s >= piece; }
constexpr bool one_word(int s) { return s == one_line || s == in_place; }

// One side of a step's ping-pong over the shared mapping `base`: the requests' ring at 0, the replies' a page on
// (the ring puts them closer; where they sit made no measurable difference in development runs). In each ring the
// tail is on the second line and the slots start at the fifth, as in the ring's header; `stride` is the ring's own
// slot stride for this size.
template <int S>
class MiniSide {
 public:
  MiniSide(std::byte* base, std::size_t bytes, std::size_t stride, bool producer)
      : bytes_(bytes), stride_(stride), producer_(producer), out_(bytes), in_(bytes) {
    std::byte* requests = base;
    std::byte* replies = one_word(S) ? base : base + kRingBytes;  // one line: both words are one word
    tx_.base = producer ? requests : replies;
    rx_.base = producer ? replies : requests;
    payload::fill_fast(out_.span(), 0);
  }
  void round_trip(std::uint64_t seq) {
    send();
    if constexpr (has(S, harness)) payload::fill_fast(out_.span(), seq + 1);
    recv();
    if constexpr (has(S, harness)) sink_ += payload::read_fast(in_.span());
  }
  void serve(std::uint64_t seq) {
    recv();
    send();
    if constexpr (has(S, harness)) {
      sink_ += payload::read_fast(in_.span());
      payload::fill_fast(out_.span(), seq + 1);
    }
  }
  [[nodiscard]] std::uint64_t sink() const { return sink_; }

 private:
  struct Dir {
    std::byte* base = nullptr;
    std::uint64_t pos = 0, cached = 0;
  };
  std::byte* slot(const Dir& d) const { return d.base + kSlotsAt + (has(S, two_slots) ? (d.pos & 1) * stride_ : 0); }
  // One line: the producer stores 2n+1 and the consumer 2n+2 into the one word; otherwise each word counts
  // its own direction's messages.
  std::uint64_t value(std::uint64_t pos, bool from_producer) const {
    if constexpr (one_word(S)) return 2 * pos + (from_producer ? 1 : 2);
    return pos + 1;
  }
  [[gnu::noinline]] void send_call() { send_inline(); }
  [[gnu::noinline]] void recv_call() { recv_inline(); }
  void send() {
    if constexpr (has(S, calls)) send_call();
    else send_inline();
  }
  void recv() {
    if constexpr (has(S, calls)) recv_call();
    else recv_inline();
  }
  [[gnu::always_inline]] void send_inline() {
    if constexpr (has(S, tail)) {
      while (tx_.pos - tx_.cached >= 2) tx_.cached = word_at(tx_.base + kTailAt).load(std::memory_order_acquire);
    }
    std::byte* s = slot(tx_);
    if constexpr (has(S, payload)) copy_message(s + kWord, out_.data.get(), bytes_);
    word_at(s).store(value(tx_.pos, producer_), std::memory_order_release);
    ++tx_.pos;
  }
  [[gnu::always_inline]] void recv_inline() {
    std::byte* s = slot(rx_);
    const std::uint64_t want = value(rx_.pos, !producer_);
    while (word_at(s).load(std::memory_order_acquire) != want) os::cpu_relax();
    if constexpr (has(S, payload)) copy_message(in_.data.get(), s + kWord, bytes_);
    ++rx_.pos;
    if constexpr (has(S, tail)) word_at(rx_.base + kTailAt).store(rx_.pos, std::memory_order_release);
  }
  std::size_t bytes_, stride_;
  bool producer_;
  Dir tx_, rx_;
  detail::Buffer out_, in_;
  std::uint64_t sink_ = 0;
};

// The ring itself: send/recv on fixed buffers, or through the harness's TransportOps (which stages each next
// message in `shm`'s slot while the peer answers; `shm-unstaged` does not).
template <class Ring, bool kOps>
class RingSide {
 public:
  RingSide(Ring& ring, std::size_t bytes, bool producer)
      : ring_(ring), ops_(ring, bytes, false), out_(bytes), in_(bytes) {
    ring_.open(producer ? Role::producer : Role::consumer);
  }
  void round_trip(std::uint64_t seq) {
    if constexpr (kOps) {
      ops_.round_trip(seq);
    } else {
      ring_.send(out_.span());
      ring_.recv(in_.span());
    }
  }
  void serve(std::uint64_t seq) {
    if constexpr (kOps) {
      ops_.serve(seq);
    } else {
      ring_.recv(in_.span());
      ring_.send(out_.span());
    }
  }
  [[nodiscard]] std::uint64_t sink() const { return 0; }

 private:
  Ring& ring_;
  detail::TransportOps<Ring> ops_;
  detail::Buffer out_, in_;
};

struct Shared {  // what both processes of one run see, made before fork
  os::Mapping minis;
  ShmTransport* ring;
  ShmRing<kRingUnstaged>* unstaged;  // the same ring without staging (shm-unstaged)
  ShmTransport* in_place;            // `shm` answering in place (--reply-line shared)
  std::size_t stride;  // the ring's slot stride (bytes per slot), which the steps lay their slots out by
};

struct Variant {
  const char* name;
  // Runs `n` round trips as one side; the producer returns each one's ticks.
  std::function<void(Shared&, std::size_t bytes, bool producer, std::uint64_t n, std::vector<std::uint64_t>*)> run;
};

template <class Side>
void play(Side& side, bool producer, std::uint64_t n, std::vector<std::uint64_t>* ticks) {
  if (!producer) {
    for (std::uint64_t i = 0; i < n; ++i) side.serve(i);
    detail::g_sink.fetch_add(side.sink(), std::memory_order_relaxed);  // the reads of the harness step stay in
    return;
  }
  std::uint64_t prev = Clock::now();
  for (std::uint64_t i = 0; i < n; ++i) {
    side.round_trip(i);
    const std::uint64_t t = Clock::now();
    (*ticks)[i] = t - prev;
    prev = t;
  }
}

template <int S>
Variant mini(const char* name) {
  return {name, [](Shared& sh, std::size_t bytes, bool producer, std::uint64_t n, std::vector<std::uint64_t>* ticks) {
            MiniSide<S> side(sh.minis.data(), bytes, sh.stride, producer);
            play(side, producer, n, ticks);
          }};
}

enum class Ring { shm, unstaged, in_place };

template <bool kOps, Ring kRing = Ring::shm>
Variant ring(const char* name) {
  return {name, [](Shared& sh, std::size_t bytes, bool producer, std::uint64_t n, std::vector<std::uint64_t>* ticks) {
            if constexpr (kRing == Ring::in_place) {
              RingSide<ShmTransport, kOps> side(*sh.in_place, bytes, producer);
              return play(side, producer, n, ticks);
            }
            if constexpr (kRing == Ring::unstaged) {
              RingSide<ShmRing<kRingUnstaged>, kOps> side(*sh.unstaged, bytes, producer);
              return play(side, producer, n, ticks);
            }
            RingSide<ShmTransport, kOps> side(*sh.ring, bytes, producer);
            play(side, producer, n, ticks);
          }};
}

const std::vector<Variant>& variants() {
  static const std::vector<Variant> v = {
      mini<one_line>("one-line"),   mini<two_line>("two-line"), mini<payload>("+ payload"),
      mini<two_slots>("+ two slots"), mini<tail>("+ tail"),     mini<harness>("+ harness work"),
      mini<calls>("+ calls"),       ring<false>("shm send/recv"), ring<true, Ring::unstaged>("unstaged TransportOps"),
      ring<true>("shm via TransportOps"), mini<in_place>("one line + payload"),
      ring<true, Ring::in_place>("shm in place, Ops"),
  };
  return v;
}

void on_alarm(int) {
  static const char msg[] =
      "ipcbench_ring_steps: a step did not finish in its time (did the other process die?); stopping\n";
  [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
  ::_exit(1);
}

struct Stats {
  double p50_ns, mid_mean_ns;
};

// One run of one variant: a fresh mapping and ring, the consumer forked onto `cpus.consumer`.
Stats run_once(const Variant& v, std::size_t bytes, std::uint64_t n, const CpuPair& cpus) {
  TransportOptions o;
  o.message_bytes = bytes;
  o.wait = Wait::spin;
  o.duplex = true;
  o.spin_budget = auto_spin_budget(cpus);
  ShmTransport shm(o);
  ShmRing<kRingUnstaged> unstaged(o);
  o.reply_in_place = true;
  ShmTransport in_place(o);
  const Effective eff = shm.effective();
  Shared sh{os::Mapping::shared_anonymous(2 * kRingBytes), &shm, &unstaged, &in_place,
            eff.capacity_bytes / eff.capacity_messages};
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(3);
    try {
      os::pin_to_cpu(cpus.consumer);
      v.run(sh, bytes, false, n, nullptr);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ipcbench_ring_steps: consumer: %s\n", e.what());
      ::_exit(4);  // the producer's time limit ends the run
    }
    ::_exit(0);
  }
  os::pin_to_cpu(cpus.producer);
  std::vector<std::uint64_t> ticks(n);
  ::alarm(time_limit_s(n));
  v.run(sh, bytes, true, n, &ticks);
  ::alarm(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error(std::string(v.name) + ": the consumer failed");
  std::vector<double> ns;  // the warm-up's tenth left out
  for (std::size_t i = n / 10; i < n; ++i) ns.push_back(Clock::to_ns(ticks[i]));
  const Summary sum = summarize(ns);  // sorts; its p50 is ipcbench's (a mid-quantile)
  const std::size_t lo = ns.size() / 10, hi = ns.size() - ns.size() / 10;
  double middle = 0;
  for (std::size_t i = lo; i < hi; ++i) middle += ns[i];
  return {sum.p50, middle / static_cast<double>(hi - lo)};
}

double median(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  return mid_quantile_sorted(x, 50);
}

}  // namespace
}  // namespace ipcbench

int main(int argc, char** argv) {
  using namespace ipcbench;
  CLI::App app{"The shm ring's round trip built up one step at a time, each step side by side with the one-line "
               "cache-line floor (README, \"The ring's short path\")."};
  std::size_t bytes = 64;
  unsigned rounds = 20;
  std::uint64_t round_trips = 300'000;
  std::string cpus_arg;
  app.add_option("--size", bytes, "Message bytes, 1-1000")->check(CLI::Range(std::size_t{1}, kMaxBytes));
  app.add_option("--rounds", rounds, "Rounds; every round runs every step once")->check(CLI::Range(1u, 100000u));
  app.add_option("--round-trips", round_trips, "Round trips per step and round, 1000 to 10^7")
      ->check(CLI::Range(std::uint64_t{1000}, std::uint64_t{10'000'000}));
  app.add_option("--cpus", cpus_arg, "producer:consumer, two different CPUs (default: the first two allowed)");
  if (auto status = parse_command_line(app, argc, argv, "ipcbench_ring_steps")) return *status;
  const auto allowed = os::allowed_cpus();
  CpuPair cpus;
  if (cpus_arg.empty()) {
    if (allowed.size() < 2) {
      std::printf("not available here: the steps need two CPUs, and this process may use %zu\n", allowed.size());
      return 0;
    }
    cpus = {allowed[0], allowed[1]};
  } else {
    std::vector<CpuPair> pairs;
    try {
      pairs = parse_cpu_pairs(cpus_arg);  // the syntax ipcbench's --cpus takes, checked the same way
    } catch (const std::invalid_argument&) {
    }
    auto ok = [&](int c) { return std::find(allowed.begin(), allowed.end(), c) != allowed.end(); };
    if (pairs.size() != 1 || pairs[0].producer == pairs[0].consumer || !ok(pairs[0].producer) ||
        !ok(pairs[0].consumer)) {
      std::fprintf(stderr,
                   "ipcbench_ring_steps: error: --cpus %s: give two different CPUs this process may use as "
                   "producer:consumer, e.g. %d:%d\n",
                   cpus_arg.c_str(), allowed.empty() ? 0 : allowed[0], allowed.size() > 1 ? allowed[1] : 1);
      return 2;
    }
    cpus = pairs[0];
  }
  Clock::init();
  struct sigaction sa{};
  sa.sa_handler = on_alarm;
  ::sigaction(SIGALRM, &sa, nullptr);

  const auto& vs = variants();
  std::vector<std::vector<Stats>> by_variant(vs.size());
  std::printf("%zu B round trips, CPUs %d:%d, %u rounds of %llu round trips per step\n", bytes, cpus.producer,
              cpus.consumer, rounds, static_cast<unsigned long long>(round_trips));
  try {
    for (unsigned r = 0; r < rounds; ++r)
      for (std::size_t i = 0; i < vs.size(); ++i) by_variant[i].push_back(run_once(vs[i], bytes, round_trips, cpus));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ipcbench_ring_steps: %s\n", e.what());
    return 1;
  }
  std::vector<double> floors;
  for (const auto& s : by_variant[0]) floors.push_back(s.mid_mean_ns);
  // The regime most rounds ran in: the round whose floor has the most rounds' floors within 20 % of it (the lower
  // floor on a tie). Not the median floor: with as many rounds in each of two regimes it lies between them, next to
  // no round.
  auto near = [&](unsigned r, double f) { return floors[r] > 0.8 * f && floors[r] < 1.2 * f; };
  double floor = floors[0];
  std::size_t most = 0;
  for (unsigned c = 0; c < rounds; ++c) {
    std::size_t k = 0;
    for (unsigned r = 0; r < rounds; ++r) k += near(r, floors[c]) ? 1 : 0;
    if (k > most || (k == most && floors[c] < floor)) most = k, floor = floors[c];
  }
  std::vector<unsigned> kept;
  for (unsigned r = 0; r < rounds; ++r)
    if (near(r, floor)) kept.push_back(r);
  std::printf("rounds kept: %zu of %u (one-line floor within 20 %% of %.1f ns, the regime most rounds ran in)\n",
              kept.size(), rounds, floor);
  std::printf("%-22s %10s %12s %12s %14s\n", "step", "p50 ns", "mean80 ns", "p50 / floor", "mean80 / floor");
  for (std::size_t i = 0; i < vs.size(); ++i) {
    std::vector<double> p50, mean, p50_ratio, mean_ratio;
    for (unsigned r : kept) {
      const Stats& s = by_variant[i][r];
      const Stats& f = by_variant[0][r];
      p50.push_back(s.p50_ns);
      mean.push_back(s.mid_mean_ns);
      p50_ratio.push_back(s.p50_ns / f.p50_ns);
      mean_ratio.push_back(s.mid_mean_ns / f.mid_mean_ns);
    }
    std::printf("%-22s %10.1f %12.1f %11.3fx %13.3fx\n", vs[i].name, median(p50), median(mean), median(p50_ratio),
                median(mean_ratio));
  }
  return 0;
}
