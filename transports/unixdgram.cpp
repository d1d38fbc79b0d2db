#include "transports/unixdgram.hpp"

#include <sys/socket.h>


#include "transports/unix.hpp"
#include "transports/wait.hpp"

namespace ipcbench {

Capabilities UnixDgramTransport::capabilities() {
  auto wmem_max = sysctl_number("/proc/sys/net/core/wmem_max", 212992);
  return socket_capabilities(wmem_max,
                             "unixdgram: a datagram must fit the socket send buffer; net.core.wmem_max is " +
                                 std::to_string(wmem_max) + " bytes here; raise it with: sysctl net.core.wmem_max=N",
                             "unixdgram");
}

UnixDgramTransport::UnixDgramTransport(const TransportOptions& options) : options_(options) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) != 0) os::throw_errno("unixdgram: socketpair");
  producer_end_ = os::Fd(fds[0]);
  consumer_end_ = os::Fd(fds[1]);
  for (int fd : fds) {
    size_socket_buffers(fd, options, "unixdgram");
    // The kernel doubles the value for bookkeeping; asking for the message size leaves room for one datagram.
    int need = static_cast<int>(options.largest_message());
    if (socket_send_buffer(fd) < options.largest_message() + 1024 &&
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &need, sizeof need) != 0)
      os::throw_errno("unixdgram: setsockopt(SO_SNDBUF)");
  }
  effective_.capacity_bytes = socket_send_buffer(fds[0]);
}

UnixDgramTransport UnixDgramTransport::split_consumer() {
  UnixDgramTransport c;
  c.options_ = options_;
  c.effective_ = effective_;
  c.consumer_end_ = std::move(consumer_end_);
  return c;
}

void UnixDgramTransport::open(Role role) {
  mine_ = std::move(role == Role::producer ? producer_end_ : consumer_end_);
  producer_end_.reset();
  consumer_end_.reset();
  os::set_nonblocking(mine_.get(), options_.wait != Wait::block);
}

void UnixDgramTransport::send(std::span<const std::byte> msg) {
  wait_for_fd(options_.wait, options_.spin_budget, counters_, mine_.get(), POLLOUT, "unixdgram: send", [&] {
    auto n = ::send(mine_.get(), msg.data(), msg.size(), MSG_NOSIGNAL);
    if (n >= 0 && n != static_cast<ssize_t>(msg.size())) throw std::runtime_error("unixdgram: short datagram send");
    return n >= 0;
  });
}

void UnixDgramTransport::recv(std::span<std::byte> msg) {
  wait_for_fd(options_.wait, options_.spin_budget, counters_, mine_.get(), POLLIN, "unixdgram: recv", [&] {
    auto n = ::recv(mine_.get(), msg.data(), msg.size(), MSG_TRUNC);  // MSG_TRUNC: the datagram's real length
    if (n >= 0 && n != static_cast<ssize_t>(msg.size()))
      throw std::runtime_error("unixdgram: received a " + std::to_string(n) + "-byte datagram, expected " +
                               std::to_string(msg.size()));
    return n >= 0;
  });
}

}  // namespace ipcbench
