#include "transports/mailbox.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>


#include "harness/os/error.hpp"
#include "transports/pipe.hpp"
#include "transports/unix.hpp"
#include "transports/unixdgram.hpp"
#include "transports/wait.hpp"

namespace ipcbench {

namespace {
int nonblock_flag(Wait w) { return w == Wait::block ? 0 : O_NONBLOCK; }

void check_size(ssize_t n, std::size_t want, const char* what) {
  if (n >= 0 && static_cast<std::size_t>(n) != want)
    throw std::runtime_error(std::string(what) + ": received " + std::to_string(n) + " bytes, expected a whole " +
                             std::to_string(want) + "-byte message");
}
}  // namespace

// --- mq ---

std::string MqMailbox::limit(std::size_t message_bytes, std::size_t capacity) {
  auto caps = MqTransport::capabilities();
  if (message_bytes > caps.max_message_bytes) return caps.limit_hint;
  if (capacity > caps.max_capacity) return caps.capacity_hint;
  return "";
}

MqMailbox::MqMailbox(const MailboxOptions& o) : o_(o) {
  mq_attr attr{};
  attr.mq_maxmsg = static_cast<long>(o.capacity != 0 ? o.capacity : mq_limit("msg_max", 10));
  attr.mq_msgsize = static_cast<long>(o.message_bytes);
  auto ends = open_unlinked_queue("mq mailbox", "ipcbench-mbox", attr, nonblock_flag(o.wait));
  writer_ = std::move(ends.writer);
  reader_ = std::move(ends.reader);
  mq_attr got{};
  if (::mq_getattr(writer_.get(), &got) == 0) {
    effective_.capacity_messages = static_cast<std::size_t>(got.mq_maxmsg);
    effective_.capacity_bytes = static_cast<std::size_t>(got.mq_maxmsg * got.mq_msgsize);
  }
}

void MqMailbox::send(std::span<const std::byte> msg, TransportCounters& c) {
  const char* p = reinterpret_cast<const char*>(msg.data());
  wait_for_fd(o_.wait, o_.spin_budget, c, writer_.get(), POLLOUT, "mq mailbox: mq_send",
              [&] { return ::mq_send(writer_.get(), p, msg.size(), 0) == 0; });
}

void MqMailbox::recv(std::span<std::byte> msg, TransportCounters& c) {
  char* p = reinterpret_cast<char*>(msg.data());
  wait_for_fd(o_.wait, o_.spin_budget, c, reader_.get(), POLLIN, "mq mailbox: mq_receive", [&] {
    ssize_t n = ::mq_receive(reader_.get(), p, msg.size(), nullptr);
    check_size(n, msg.size(), "mq mailbox");
    return n >= 0;
  });
}

// --- unixdgram ---

std::string UnixDgramMailbox::limit(std::size_t message_bytes, std::size_t capacity) {
  auto caps = UnixDgramTransport::capabilities();
  if (message_bytes > caps.max_message_bytes) return caps.limit_hint;
  if (caps.max_capacity_bytes != 0 && capacity * message_bytes > caps.max_capacity_bytes) return caps.capacity_hint;
  return "";
}

UnixDgramMailbox::UnixDgramMailbox(const MailboxOptions& o) : o_(o) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) != 0) os::throw_errno("unixdgram mailbox: socketpair");
  send_end_ = os::Fd(fds[0]);
  recv_end_ = os::Fd(fds[1]);
  TransportOptions t;
  t.message_bytes = o.message_bytes;
  t.capacity = o.capacity;
  for (int fd : fds) {
    size_socket_buffers(fd, t, "unixdgram mailbox");
    int need = static_cast<int>(o.message_bytes);
    if (socket_send_buffer(fd) < o.message_bytes + 1024 && ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &need, sizeof need) != 0)
      os::throw_errno("unixdgram mailbox: setsockopt(SO_SNDBUF)");
    os::set_nonblocking(fd, o.wait != Wait::block);
  }
  effective_.capacity_bytes = socket_send_buffer(fds[0]);
}

void UnixDgramMailbox::send(std::span<const std::byte> msg, TransportCounters& c) {
  wait_for_fd(o_.wait, o_.spin_budget, c, send_end_.get(), POLLOUT, "unixdgram mailbox: send", [&] {
    auto n = ::send(send_end_.get(), msg.data(), msg.size(), MSG_NOSIGNAL);
    if (n >= 0 && n != static_cast<ssize_t>(msg.size())) throw std::runtime_error("unixdgram mailbox: short datagram send");
    return n >= 0;
  });
}

void UnixDgramMailbox::recv(std::span<std::byte> msg, TransportCounters& c) {
  wait_for_fd(o_.wait, o_.spin_budget, c, recv_end_.get(), POLLIN, "unixdgram mailbox: recv", [&] {
    auto n = ::recv(recv_end_.get(), msg.data(), msg.size(), MSG_TRUNC);  // MSG_TRUNC: the datagram's real length
    check_size(n, msg.size(), "unixdgram mailbox");
    return n >= 0;
  });
}

// --- pipe ---

std::string PipeMailbox::limit(std::size_t message_bytes, std::size_t capacity) {
  if (message_bytes > PIPE_BUF)
    return "pipe mailbox: a write of more than PIPE_BUF (" + std::to_string(PIPE_BUF) +
           ") bytes is not atomic, so messages of several producers could interleave; use sizes up to " +
           std::to_string(PIPE_BUF);
  auto caps = PipeTransport::capabilities();
  if (capacity * message_bytes > caps.max_capacity_bytes) return caps.capacity_hint;
  return "";
}

PipeMailbox::PipeMailbox(const MailboxOptions& o) : o_(o) {
  pipe_ = os::Pipe::create();
  if (o.capacity != 0) {
    auto bytes = static_cast<int>(o.capacity * o.message_bytes);
    if (::fcntl(pipe_.write_end.get(), F_SETPIPE_SZ, bytes) < 0)
      os::throw_errno("pipe mailbox: F_SETPIPE_SZ(" + std::to_string(bytes) + ")");
  }
  int granted = ::fcntl(pipe_.write_end.get(), F_GETPIPE_SZ);
  effective_.capacity_bytes = granted > 0 ? static_cast<std::size_t>(granted) : 0;
  effective_.capacity_messages = effective_.capacity_bytes / o.message_bytes;
  for (auto* fd : {&pipe_.read_end, &pipe_.write_end}) os::set_nonblocking(fd->get(), o.wait != Wait::block);
}

void PipeMailbox::send(std::span<const std::byte> msg, TransportCounters& c) {
  wait_for_fd(o_.wait, o_.spin_budget, c, pipe_.write_end.get(), POLLOUT, "pipe mailbox: write", [&] {
    auto n = ::write(pipe_.write_end.get(), msg.data(), msg.size());
    if (n >= 0 && n != static_cast<ssize_t>(msg.size()))
      throw std::runtime_error("pipe mailbox: a write of " + std::to_string(msg.size()) + " bytes wrote " +
                               std::to_string(n) + " (not atomic)");
    return n >= 0;
  });
}

void PipeMailbox::recv(std::span<std::byte> msg, TransportCounters& c) {
  wait_for_fd(o_.wait, o_.spin_budget, c, pipe_.read_end.get(), POLLIN, "pipe mailbox: read", [&] {
    auto n = ::read(pipe_.read_end.get(), msg.data(), msg.size());
    if (n == 0) throw os::PeerGone("pipe mailbox: every writer closed the pipe");
    check_size(n, msg.size(), "pipe mailbox");
    return n >= 0;
  });
}

// --- shm ---

std::string ShmMailbox::limit(std::size_t message_bytes, std::size_t capacity) {
  const std::size_t slots = MpmcRing::slots_for(capacity != 0 ? capacity : kDefaultCapacity);
  if (slots * MpmcRing::stride_for(message_bytes) > (std::size_t{1} << 30))
    return "shm mailbox: capacity x slot size is above 1 GiB, ipcbench's limit for a buffer";
  return "";
}

ShmMailbox::ShmMailbox(const MailboxOptions& o) : o_(o) {
  const std::size_t capacity = o.capacity != 0 ? o.capacity : kDefaultCapacity;
  mapping_ = os::Mapping::shared_anonymous(MpmcRing::bytes_for(capacity, o.message_bytes));
  ring_ = MpmcRing(mapping_.data(), capacity, o.message_bytes, true);
}

}  // namespace ipcbench
