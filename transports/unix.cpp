#include "transports/unix.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <fstream>

namespace ipcbench {

std::size_t sysctl_number(const char* path, std::size_t fallback) {
  std::ifstream in(path);
  std::size_t v = fallback;
  in >> v;
  return v;
}

Capabilities socket_capabilities(std::size_t max_message_bytes, std::string limit_hint, const char* what) {
  const auto wmem = sysctl_number("/proc/sys/net/core/wmem_max", 212992);
  const auto rmem = sysctl_number("/proc/sys/net/core/rmem_max", 212992);
  const auto max = std::min(wmem, rmem);
  Capabilities c{max_message_bytes, std::move(limit_hint), 0,
                 std::string(what) + ": capacity x message size must be at most net.core.wmem_max/rmem_max (" +
                     std::to_string(max) + " bytes here); raise it with: sysctl net.core.wmem_max=N net.core.rmem_max=N"};
  c.max_capacity_bytes = max;
  c.unbounded_means = "SO_SNDBUF/SO_RCVBUF = net.core.wmem_max/rmem_max, " + std::to_string(max) +
                      " bytes here (the kernel doubles it)";
  c.full_waits_counted = wait_bit(Wait::spin) | wait_bit(Wait::hybrid);
  return c;
}

void size_socket_buffers(int fd, const TransportOptions& options, const char* what) {
  if (options.capacity == 0) return;
  int bytes = static_cast<int>(options.capacity * options.message_bytes);
  for (int opt : {SO_SNDBUF, SO_RCVBUF})
    if (::setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof bytes) != 0)
      os::throw_errno(std::string(what) + ": setsockopt(SO_SNDBUF/SO_RCVBUF)");
}

std::size_t socket_send_buffer(int fd) {
  int bytes = 0;
  socklen_t len = sizeof bytes;
  if (::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, &len) != 0) return 0;
  return static_cast<std::size_t>(bytes);
}

Capabilities UnixTransport::capabilities() {
  return socket_capabilities(std::size_t{1} << 30, "unix: messages are limited to 1 GiB by ipcbench", "unix");
}

UnixTransport::UnixTransport(const TransportOptions& options) : options_(options) {
  io_ = FdStreamIo(options.wait, options.spin_budget, "unix");
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) os::throw_errno("unix: socketpair");
  producer_end_ = os::Fd(fds[0]);
  consumer_end_ = os::Fd(fds[1]);
  for (int fd : fds) size_socket_buffers(fd, options, "unix");
  effective_.capacity_bytes = socket_send_buffer(fds[0]);
}

UnixTransport UnixTransport::split_consumer() {
  UnixTransport c;
  c.options_ = options_;
  c.io_ = io_;
  c.effective_ = effective_;
  c.consumer_end_ = std::move(consumer_end_);
  return c;
}

void UnixTransport::open(Role role) {
  mine_ = std::move(role == Role::producer ? producer_end_ : consumer_end_);
  producer_end_.reset();
  consumer_end_.reset();
  os::set_nonblocking(mine_.get(), options_.wait != Wait::block);
}

}  // namespace ipcbench
