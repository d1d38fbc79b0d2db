#pragma once
// mq: POSIX message queues. The parent creates each queue (O_CREAT|O_EXCL, mode 0600, an unpredictable
// name), opens a separate descriptor for each side (so O_NONBLOCK of one side never affects the other),
// and unlinks the name before fork: the name exists for microseconds and nothing can be left behind.
// Capacity = mq_maxmsg (default: fs.mqueue.msg_max); message size = mq_msgsize, which must not exceed
// fs.mqueue.msgsize_max. Privileged processes may exceed both limits, but ipcbench keeps to what an
// ordinary process gets, and refuses larger values before the run instead of clamping.
#include <mqueue.h>

#include <span>
#include <string>
#include <utility>

#include "transports/transport.hpp"

namespace ipcbench {

class MqDescriptor {
 public:
  MqDescriptor() = default;
  explicit MqDescriptor(mqd_t d) : d_(d) {}
  MqDescriptor(MqDescriptor&& o) noexcept : d_(std::exchange(o.d_, static_cast<mqd_t>(-1))) {}
  MqDescriptor& operator=(MqDescriptor&& o) noexcept {
    if (this != &o) {
      reset();
      d_ = std::exchange(o.d_, static_cast<mqd_t>(-1));
    }
    return *this;
  }
  ~MqDescriptor() { reset(); }
  void reset() noexcept {
    if (d_ != static_cast<mqd_t>(-1)) ::mq_close(std::exchange(d_, static_cast<mqd_t>(-1)));
  }
  [[nodiscard]] mqd_t get() const noexcept { return d_; }

 private:
  mqd_t d_ = static_cast<mqd_t>(-1);
};

// A new queue (O_CREAT|O_EXCL, mode 0600, an unpredictable name starting with `prefix`), opened once for writing
// and once for reading with `nonblock` (0 or O_NONBLOCK), its name unlinked at once; both descriptors are
// inherited across fork. Errors name `what` and the queue. `name` receives the name it had.
struct MqEnds {
  MqDescriptor writer, reader;
  std::string name;
};
MqEnds open_unlinked_queue(const char* what, const char* prefix, const mq_attr& attr, int nonblock);

class MqTransport {
 public:
  explicit MqTransport(const TransportOptions& options);
  MqTransport split_consumer();
  void open(Role role);
  void send(std::span<const std::byte> msg);
  void recv(std::span<std::byte> msg);
  [[nodiscard]] TransportCounters counters() const { return counters_; }
  [[nodiscard]] Effective effective() const { return effective_; }
  static Capabilities capabilities();
  // Names used by the last constructed queue pair (for leak tests: both must be gone).
  [[nodiscard]] const std::string& request_name() const { return names_[0]; }

 private:
  MqTransport() = default;
  TransportOptions options_;
  std::string names_[2];
  // [queue][side]: queue 0 = requests, 1 = replies; side 0 = writer, 1 = reader
  MqDescriptor q_[2][2];
  MqDescriptor tx_, rx_;
  TransportCounters counters_;
  Effective effective_;
};

std::size_t mq_limit(const char* name, std::size_t fallback);  // /proc/sys/fs/mqueue/<name>

}  // namespace ipcbench
