#include "transports/mq.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "harness/os/error.hpp"
#include "transports/wait.hpp"

namespace ipcbench {

std::size_t mq_limit(const char* name, std::size_t fallback) {
  std::ifstream in(std::string("/proc/sys/fs/mqueue/") + name);
  std::size_t n = fallback;
  in >> n;
  return n;
}

Capabilities MqTransport::capabilities() {
  auto size_max = mq_limit("msgsize_max", 8192);
  auto msg_max = mq_limit("msg_max", 10);
  Capabilities c{size_max,
                 "mq: /proc/sys/fs/mqueue/msgsize_max is " + std::to_string(size_max) +
                     " bytes here; raise it with: sysctl fs.mqueue.msgsize_max=N",
                 msg_max,
                 "mq: /proc/sys/fs/mqueue/msg_max is " + std::to_string(msg_max) +
                     " messages here; raise it with: sysctl fs.mqueue.msg_max=N"};
  c.unbounded_means = "mq_maxmsg = fs.mqueue.msg_max, " + std::to_string(msg_max) + " messages here";
  c.full_waits_counted = wait_bit(Wait::spin) | wait_bit(Wait::hybrid);
  return c;
}

MqEnds open_unlinked_queue(const char* what, const char* prefix, const mq_attr& attr, int nonblock) {
  std::random_device rd;
  char name[64];
  std::snprintf(name, sizeof name, "/%s-%d-%08x%08x", prefix, static_cast<int>(::getpid()), rd(), rd());
  MqEnds ends;
  ends.name = name;
  mq_attr a = attr;
  mqd_t w = ::mq_open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | nonblock, S_IRUSR | S_IWUSR, &a);
  if (w == static_cast<mqd_t>(-1)) os::throw_errno(std::string(what) + ": mq_open(" + name + ", O_CREAT|O_EXCL)");
  ends.writer = MqDescriptor(w);
  mqd_t r = ::mq_open(name, O_RDONLY | O_CLOEXEC | nonblock);
  int err = errno;
  ::mq_unlink(name);  // both descriptors exist (or failed): the name is no longer needed
  if (r == static_cast<mqd_t>(-1)) os::throw_errno(std::string(what) + ": mq_open(" + name + ", O_RDONLY)", err);
  ends.reader = MqDescriptor(r);
  return ends;
}

MqTransport::MqTransport(const TransportOptions& options) : options_(options) {
  mq_attr attr{};
  attr.mq_maxmsg = static_cast<long>(options.capacity != 0 ? options.capacity : mq_limit("msg_max", 10));
  attr.mq_msgsize = static_cast<long>(options.message_bytes);
  const int nonblock = options.wait == Wait::block ? 0 : O_NONBLOCK;
  for (int q = 0; q < (options.duplex ? 2 : 1); ++q) {
    attr.mq_msgsize = static_cast<long>(q == 0 ? options.message_bytes : options.reply_size());
    auto ends = open_unlinked_queue("mq", "ipcbench", attr, nonblock);
    names_[q] = std::move(ends.name);
    q_[q][0] = std::move(ends.writer);
    q_[q][1] = std::move(ends.reader);
  }
  mq_attr got{};
  if (::mq_getattr(q_[0][0].get(), &got) == 0) {
    effective_.capacity_messages = static_cast<std::size_t>(got.mq_maxmsg);
    effective_.capacity_bytes = static_cast<std::size_t>(got.mq_maxmsg * got.mq_msgsize);
  }
}

MqTransport MqTransport::split_consumer() {
  MqTransport c;
  c.options_ = options_;
  c.names_[0] = names_[0];
  c.names_[1] = names_[1];
  c.effective_ = effective_;
  c.q_[0][1] = std::move(q_[0][1]);  // reads requests
  c.q_[1][0] = std::move(q_[1][0]);  // writes replies
  return c;
}

void MqTransport::open(Role role) {
  if (role == Role::producer) {
    tx_ = std::move(q_[0][0]);
    rx_ = std::move(q_[1][1]);
  } else {
    rx_ = std::move(q_[0][1]);
    tx_ = std::move(q_[1][0]);
  }
  for (auto& q : q_)
    for (auto& d : q) d.reset();
}

void MqTransport::send(std::span<const std::byte> msg) {
  const char* p = reinterpret_cast<const char*>(msg.data());
  wait_for_fd(options_.wait, options_.spin_budget, counters_, tx_.get(), POLLOUT, "mq: mq_send",
              [&] { return ::mq_send(tx_.get(), p, msg.size(), 0) == 0; });
}

void MqTransport::recv(std::span<std::byte> msg) {
  char* p = reinterpret_cast<char*>(msg.data());
  wait_for_fd(options_.wait, options_.spin_budget, counters_, rx_.get(), POLLIN, "mq: mq_receive", [&] {
    ssize_t n = ::mq_receive(rx_.get(), p, msg.size(), nullptr);
    if (n >= 0 && n != static_cast<ssize_t>(msg.size()))
      throw std::runtime_error("mq: received " + std::to_string(n) + " bytes, expected " + std::to_string(msg.size()));
    return n >= 0;
  });
}

}  // namespace ipcbench
