#include "harness/mailbox.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <cstring>
#include <optional>

#include "harness/clock.hpp"
#include "harness/os/affinity.hpp"
#include "harness/os/cancel.hpp"
#include "harness/os/child.hpp"
#include "harness/os/futex.hpp"
#include "harness/os/mapping.hpp"
#include "harness/parse.hpp"
#include "harness/payload.hpp"
#include "harness/runner.hpp"
#include "transports/mailbox.hpp"

namespace ipcbench {

namespace {

struct Header {
  std::uint64_t send_tick;
  std::uint32_t seq;
  std::uint16_t producer;
  std::uint16_t kind;
};
static_assert(sizeof(Header) == kMailboxHeaderBytes);
enum : std::uint16_t { kData = 0, kEnd = 1 };

constexpr std::uint64_t kMaxPerProducer = std::uint64_t{1} << 22;
constexpr std::size_t kErrorBytes = 240;

// Written by one process each, read by the parent after that process has exited (or to report a failure).
struct alignas(64) ProducerSlot {
  std::atomic<std::uint64_t> progress{0};  // messages sent so far (the parent's no-progress watchdog)
  std::uint64_t sent = 0;
  std::uint64_t first_tick = 0;
  int cpu = -1;
  char error[kErrorBytes] = {};
};
struct alignas(64) ConsumerSlot {
  std::atomic<std::uint64_t> received{0};
  std::uint64_t last_tick = 0;  // of the last data message
  std::uint64_t samples = 0;    // latency samples written
  int cpu = -1;
  std::uint64_t from[kMaxMailboxProcesses] = {};     // messages from each producer
  std::uint64_t seq_sum[kMaxMailboxProcesses] = {};  // sum of their sequence numbers
  char error[kErrorBytes] = {};
};
struct Shared {
  alignas(64) std::atomic<std::uint32_t> ready{0};
  alignas(64) std::atomic<std::uint32_t> go{0};  // futex word: 0 wait, 1 start
  alignas(64) std::atomic<std::uint32_t> producers_done{0};
  std::uint64_t go_tick = 0;
  ProducerSlot producer[kMaxMailboxProcesses];
  ConsumerSlot consumer[kMaxMailboxProcesses];
};

// Latency samples: a region per consumer, reserved but faulted in only as far as it is written.
class SampleArea {
 public:
  SampleArea(std::size_t consumers, std::size_t per_consumer) : per_(per_consumer), bytes_(consumers * per_consumer * 8) {
    p_ = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p_ == MAP_FAILED) os::throw_errno("mailbox: mmap of " + std::to_string(bytes_) + " bytes for latency samples");
  }
  ~SampleArea() { ::munmap(p_, bytes_); }
  SampleArea(const SampleArea&) = delete;
  SampleArea& operator=(const SampleArea&) = delete;
  std::uint64_t* of(std::size_t consumer) const { return static_cast<std::uint64_t*>(p_) + consumer * per_; }
  std::size_t per_consumer() const { return per_; }

 private:
  void* p_;
  std::size_t per_, bytes_;
};

void set_error(char (&to)[kErrorBytes], const std::string& what) {
  std::snprintf(to, kErrorBytes, "%s", what.c_str());
}

void wait_for_go(Shared& s) {
  s.ready.fetch_add(1, std::memory_order_seq_cst);
  while (s.go.load(std::memory_order_acquire) == 0) os::futex_wait(&s.go, 0);
}

std::uint64_t body_key(std::uint16_t producer, std::uint32_t seq) { return (std::uint64_t{producer} << 32) | seq; }

template <class T>
int producer_main(const RunConfig& cfg, T& box, Shared& s, unsigned p, int cpu, std::uint64_t quota) {
  ProducerSlot& me = s.producer[p];
  try {
    me.cpu = os::pin_to_cpu(cpu);
    TransportCounters counters;
    detail::Buffer buf(cfg.payload_bytes);
    auto msg = buf.span();
    auto body = msg.subspan(kMailboxHeaderBytes);
    wait_for_go(s);
    const bool timed = cfg.duration_s > 0;
    const std::uint64_t deadline = s.go_tick + static_cast<std::uint64_t>(cfg.duration_s * 1e9 / Clock::to_ns(1));
    std::uint64_t seq = 0;
    for (; seq < quota; ++seq) {
      const auto key = body_key(static_cast<std::uint16_t>(p), static_cast<std::uint32_t>(seq));
      if (!body.empty()) {
        if (cfg.verify) payload::fill_verified(body, key);
        else payload::fill_fast(body, key);
      }
      const std::uint64_t t = Clock::now();
      if (timed && t >= deadline) break;
      if (seq == 0) me.first_tick = t;
      const Header h{t, static_cast<std::uint32_t>(seq), static_cast<std::uint16_t>(p), kData};
      std::memcpy(msg.data(), &h, sizeof h);
      box.send(msg, counters);
      me.progress.store(seq + 1, std::memory_order_relaxed);
    }
    me.sent = seq;
    // The last producer to finish: every data message is in the mailbox, so the end messages queue behind them.
    if (s.producers_done.fetch_add(1, std::memory_order_acq_rel) + 1 == cfg.producers) {
      const Header h{Clock::now(), 0, static_cast<std::uint16_t>(p), kEnd};
      std::memcpy(msg.data(), &h, sizeof h);
      for (unsigned c = 0; c < cfg.consumers; ++c) box.send(msg, counters);
    }
    return 0;
  } catch (const std::exception& e) {
    set_error(me.error, e.what());
    return 1;
  }
}

template <class T>
int consumer_main(const RunConfig& cfg, T& box, Shared& s, SampleArea& samples, unsigned c, int cpu) {
  ConsumerSlot& me = s.consumer[c];
  try {
    me.cpu = os::pin_to_cpu(cpu);
    TransportCounters counters;
    detail::Buffer buf(cfg.payload_bytes);
    auto msg = buf.span();
    auto body = std::span<const std::byte>(msg).subspan(kMailboxHeaderBytes);
    std::vector<std::int64_t> last_seq(cfg.producers, -1);
    std::uint64_t* lat = samples.of(c);
    const std::size_t cap = samples.per_consumer();
    std::uint64_t n = 0, sink = 0;
    wait_for_go(s);
    for (;;) {
      box.recv(msg, counters);
      const std::uint64_t t = Clock::now();
      Header h;
      std::memcpy(&h, msg.data(), sizeof h);
      if (h.kind == kEnd) break;
      if (h.kind != kData || h.producer >= cfg.producers)
        throw std::runtime_error("consumer " + std::to_string(c) + ": a message with a corrupt header (producer " +
                                 std::to_string(h.producer) + ", kind " + std::to_string(h.kind) + ")");
      auto& last = last_seq[h.producer];
      if (static_cast<std::int64_t>(h.seq) <= last)
        throw std::runtime_error("consumer " + std::to_string(c) + ": message " + std::to_string(h.seq) +
                                 " of producer " + std::to_string(h.producer) + " after its message " +
                                 std::to_string(last) + " (duplicated or out of order)");
      last = h.seq;
      if (!body.empty()) {
        if (cfg.verify) payload::check_verified(body, body_key(h.producer, h.seq));
        else sink += payload::read_fast(body);
      }
      if (n < cap) lat[n] = t > h.send_tick ? t - h.send_tick : 0;  // clamp: a clock step across CPUs
      ++n;
      me.from[h.producer] += 1;
      me.seq_sum[h.producer] += h.seq;
      me.last_tick = t;
      me.samples = std::min<std::uint64_t>(n, cap);
      me.received.store(n, std::memory_order_relaxed);
      if (c == 0 && cfg.fault.consumer_kill_after >= 0 && n == static_cast<std::uint64_t>(cfg.fault.consumer_kill_after))
        ::raise(SIGKILL);
    }
    detail::g_sink.store(sink, std::memory_order_relaxed);
    return 0;
  } catch (const std::exception& e) {
    set_error(me.error, e.what());
    return 1;
  }
}

struct Process {
  os::ChildProcess child;
  std::string name;  // "producer 0", "consumer 1"
  const char* error = nullptr;
  bool done = false;
};

void sleep_ms(int ms) {
  timespec ts{0, ms * 1'000'000L};
  ::nanosleep(&ts, nullptr);  // EINTR (SIGCHLD) just ends the nap early
}

template <class T>
RunResult run_with(const RunConfig& cfg) {
  RunResult res;
  res.config = cfg;
  const auto wall0 = Clock::mono_ns();
  const unsigned P = cfg.producers, C = cfg.consumers;
  const auto allowed = os::allowed_cpus();
  // More processes than CPUs: a spinning side must give its CPU up soon, or the one it waits for cannot run.
  res.spin_budget = cfg.spin_budget != 0 ? cfg.spin_budget : (P + C > allowed.size() ? 8 : 2000);
  std::vector<Process> procs;
  auto fail = [&](const std::string& why) {
    for (auto& p : procs) p.child.kill_and_wait();
    res.status = "error";
    res.error = why;
  };
  try {
    MailboxOptions o;
    o.message_bytes = cfg.payload_bytes;
    o.capacity = cfg.capacity.kind == Capacity::Kind::bounded ? cfg.capacity.messages : 0;
    o.wait = cfg.wait;
    o.spin_budget = res.spin_budget;
    T box(o);
    res.effective = box.effective();
    auto mapping = os::Mapping::shared_anonymous(sizeof(Shared));
    auto& s = *new (mapping.data()) Shared{};
    // Room for every message a consumer could get, up to 2^23 samples (64 MiB of address space) each.
    const std::uint64_t total = cfg.messages != 0 ? cfg.messages : P * kMaxPerProducer;
    SampleArea samples(C, std::min<std::uint64_t>(total, std::uint64_t{1} << 23));
    MailboxStats st;
    for (unsigned i = 0; i < P + C; ++i) {
      const int cpu = allowed[i % allowed.size()];
      Process pr;
      if (i < P) {
        const std::uint64_t quota =
            cfg.messages != 0 ? cfg.messages / P + (i < cfg.messages % P ? 1 : 0) : kMaxPerProducer;
        pr.name = "producer " + std::to_string(i);
        pr.error = s.producer[i].error;
        pr.child = os::ChildProcess::spawn([&, i, cpu, quota] { return producer_main(cfg, box, s, i, cpu, quota); });
      } else {
        const unsigned c = i - P;
        pr.name = "consumer " + std::to_string(c);
        pr.error = s.consumer[c].error;
        pr.child = os::ChildProcess::spawn([&, c, cpu] { return consumer_main(cfg, box, s, samples, c, cpu); });
      }
      procs.push_back(std::move(pr));
    }
    // Watch every process: one that ended badly fails the run at once; so does a run that stops moving.
    auto watch = [&](auto&& finished, const char* phase) -> bool {
      std::uint64_t last_progress = ~std::uint64_t{0};
      auto last_change = Clock::mono_ns();
      for (;;) {
        if (os::interrupted()) {
          fail(std::string("interrupted by ") + ::strsignal(os::interrupt_signal()));
          return false;
        }
        for (auto& p : procs) {
          if (p.done) continue;
          auto ended = p.child.try_wait();
          if (!ended) continue;
          if (!ended->ok()) {
            const std::string said = p.error[0] != '\0' ? std::string(": ") + p.error : std::string();
            fail(p.name + " " + ended->describe() + " " + phase + said);
            return false;
          }
          p.done = true;
        }
        if (finished()) return true;
        std::uint64_t progress = s.ready.load();
        for (unsigned i = 0; i < P; ++i) progress += s.producer[i].progress.load(std::memory_order_relaxed);
        for (unsigned c = 0; c < C; ++c) progress += s.consumer[c].received.load(std::memory_order_relaxed);
        const auto now = Clock::mono_ns();
        if (progress != last_progress) {
          last_progress = progress;
          last_change = now;
        } else if (static_cast<double>(now - last_change) / 1e9 > cfg.timeout_s) {
          fail("timed out: no progress for " + std::to_string(cfg.timeout_s).substr(0, 4) + " s " + phase +
               " (every process was killed)");
          return false;
        }
        sleep_ms(1);
      }
    };
    if (!watch([&] { return s.ready.load() == P + C; }, "before the start")) return res;
    s.go_tick = Clock::now();
    s.go.store(1, std::memory_order_release);
    os::futex_wake(&s.go, INT_MAX);
    if (!watch([&] { return std::all_of(procs.begin(), procs.end(), [](const Process& p) { return p.done; }); },
               "during the run"))
      return res;

    // Every process has exited with status 0: their slots are final.
    st.sent.resize(P);
    st.per_consumer.assign(C, 0);
    st.per_pair.assign(P, std::vector<std::uint64_t>(C, 0));
    std::uint64_t first = ~std::uint64_t{0}, last = 0, total_sent = 0;
    for (unsigned i = 0; i < P; ++i) {
      const auto& pr = s.producer[i];
      st.sent[i] = pr.sent;
      st.producer_cpus.push_back(pr.cpu);
      total_sent += pr.sent;
      if (pr.sent > 0) first = std::min(first, pr.first_tick);
      std::uint64_t got = 0, seq_sum = 0;
      for (unsigned c = 0; c < C; ++c) {
        st.per_pair[i][c] = s.consumer[c].from[i];
        st.per_consumer[c] += s.consumer[c].from[i];
        got += s.consumer[c].from[i];
        seq_sum += s.consumer[c].seq_sum[i];
      }
      const std::uint64_t want_sum = pr.sent == 0 ? 0 : pr.sent * (pr.sent - 1) / 2;
      if (got != pr.sent || seq_sum != want_sum) {
        fail("producer " + std::to_string(i) + " sent " + std::to_string(pr.sent) + " messages, the consumers got " +
             std::to_string(got) + (got == pr.sent ? " but not each exactly once" : "") + " (lost or duplicated)");
        return res;
      }
    }
    for (unsigned c = 0; c < C; ++c) {
      st.consumer_cpus.push_back(s.consumer[c].cpu);
      if (s.consumer[c].received.load() > 0) last = std::max(last, s.consumer[c].last_tick);
      const std::uint64_t* lat = samples.of(c);
      for (std::uint64_t k = 0; k < s.consumer[c].samples; ++k) res.rtt_ns.push_back(Clock::to_ns(lat[k]));
    }
    st.end_protocol = "the last producer to finish sends one end message per consumer, queued behind every data message";
    res.config.cpus = {st.producer_cpus.front(), st.consumer_cpus.front()};
    res.messages = total_sent;
    res.sent = total_sent;
    res.elapsed_ns = total_sent > 0 && last > first ? Clock::to_ns(last - first) : 0;
    res.mailbox = std::move(st);
    if (res.elapsed_ns > 0) {
      res.msgs_per_s = static_cast<double>(total_sent) / (res.elapsed_ns / 1e9);
      res.bytes_per_s = res.msgs_per_s * static_cast<double>(cfg.payload_bytes);
    }
    if (!res.rtt_ns.empty()) {
      res.rtt = summarize(res.rtt_ns);
      res.histogram = Histogram::from(res.rtt_ns);
    }
    res.status = "ok";
  } catch (const std::exception& e) {
    fail(std::string("mailbox: ") + e.what());
  }
  res.wall_s = static_cast<double>(Clock::mono_ns() - wall0) / 1e9;
  return res;
}

struct MailboxEntry {
  const char* name;
  const char* design;
  std::string (*limit)(std::size_t message_bytes, std::size_t capacity);
  RunResult (*run)(const RunConfig&);
};
constexpr MailboxEntry kMailboxes[] = {
    {"shm", "bounded MPMC ring (Vyukov: per-slot sequence words, CAS on shared enqueue/dequeue indices) in a "
            "MAP_SHARED anonymous mapping; futex waits on epoch words, woken only when a waiter is announced",
     &ShmMailbox::limit, &run_with<ShmMailbox>},
    {"mq", "one POSIX message queue; every consumer calls mq_receive on it", &MqMailbox::limit, &run_with<MqMailbox>},
    {"pipe", "one anonymous pipe; writes of at most PIPE_BUF bytes are atomic, each read takes one message",
     &PipeMailbox::limit, &run_with<PipeMailbox>},
    {"unixdgram", "one AF_UNIX SOCK_DGRAM socketpair: producers send on one end, every consumer receives on the other",
     &UnixDgramMailbox::limit, &run_with<UnixDgramMailbox>},
};
const MailboxEntry* find_mailbox(const std::string& name) {
  for (const auto& e : kMailboxes)
    if (name == e.name) return &e;
  return nullptr;
}

}  // namespace

std::vector<std::string> mailbox_transports() {
  std::vector<std::string> out;
  for (const auto& e : kMailboxes) out.emplace_back(e.name);
  return out;
}

std::string mailbox_impossible_reason(const RunConfig& cfg) {
  const auto* e = find_mailbox(cfg.transport);
  if (!e) {
    std::string known;
    for (const auto& m : kMailboxes) known += (known.empty() ? "" : ", ") + std::string(m.name);
    return cfg.transport + " has no mailbox form (mailbox transports: " + known + ")";
  }
  if (cfg.threads) return "mailbox runs processes only (the MPMC ring's thread-mode test is tests/test_mpmc.cpp)";
  if (cfg.payload_bytes < kMailboxHeaderBytes)
    return "size " + format_size(cfg.payload_bytes) + " is below the mailbox's " + std::to_string(kMailboxHeaderBytes) +
           "-byte header (send time, producer, sequence number)";
  if (cfg.capacity.kind == Capacity::Kind::rendezvous || cfg.capacity.kind == Capacity::Kind::unbounded)
    return "mailbox: --capacity " + cfg.capacity.str() + " is not supported (give a number of messages)";
  if (cfg.producers == 0 || cfg.consumers == 0 || cfg.producers > kMaxMailboxProcesses ||
      cfg.consumers > kMaxMailboxProcesses)
    return "mailbox: producers and consumers must be from 1 to " + std::to_string(kMaxMailboxProcesses);
  const std::size_t capacity = cfg.capacity.kind == Capacity::Kind::bounded ? cfg.capacity.messages : 0;
  auto why = e->limit(cfg.payload_bytes, capacity);
  if (!why.empty()) return "size " + format_size(cfg.payload_bytes) + " or capacity not possible: " + why;
  return "";
}

RunResult run_mailbox(const RunConfig& cfg) {
  RunResult res;
  res.config = cfg;
  if (auto why = mailbox_impossible_reason(cfg); !why.empty()) {
    res.status = "error";
    res.error = why;
    return res;
  }
  return find_mailbox(cfg.transport)->run(cfg);
}

double jain_index(std::span<const std::uint64_t> counts) {
  if (counts.empty()) return 0;
  double sum = 0, sq = 0;
  for (auto x : counts) {
    sum += static_cast<double>(x);
    sq += static_cast<double>(x) * static_cast<double>(x);
  }
  return sq == 0 ? 0 : sum * sum / (static_cast<double>(counts.size()) * sq);
}

nlohmann::json mailbox_json(const RunResult& r) {
  using nlohmann::json;
  json j = {{"producers", r.config.producers}, {"consumers", r.config.consumers}};
  if (const auto* e = find_mailbox(r.config.transport)) j["design"] = e->design;
  if (!r.mailbox) return j;
  const auto& m = *r.mailbox;
  std::uint64_t total = 0, lo = ~std::uint64_t{0}, hi = 0;
  for (auto x : m.per_consumer) {
    total += x;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  json shares = json::array();
  for (auto x : m.per_consumer) shares.push_back(total > 0 ? static_cast<double>(x) / static_cast<double>(total) : 0.0);
  j["producer_cpus"] = m.producer_cpus;
  j["consumer_cpus"] = m.consumer_cpus;
  j["sent"] = m.sent;
  j["per_consumer"] = m.per_consumer;
  j["per_pair"] = m.per_pair;
  j["fairness"] = {{"jain_index", jain_index(m.per_consumer)},
                   {"shares", shares},
                   {"max_min_ratio", lo > 0 ? json(static_cast<double>(hi) / static_cast<double>(lo)) : json(nullptr)},
                   {"method", "over per_consumer: Jain's index (sum x)^2 / (C * sum x^2), 1 = equal shares, 1/C = one "
                              "consumer got everything; max_min_ratio null when some consumer got nothing"}};
  j["end_protocol"] = m.end_protocol;
  j["latency_samples"] = r.rtt_ns.size();
  return j;
}

}  // namespace ipcbench
