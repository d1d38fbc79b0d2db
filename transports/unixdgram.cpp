#include "transports/unixdgram.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <fstream>

#include "transports/unix.hpp"
#include "transports/wait.hpp"

namespace ipcbench {

namespace {
std::size_t sysctl_number(const char* path, std::size_t fallback) {
  std::ifstream in(path);
  std::size_t v = fallback;
  in >> v;
  return v;
}
}  // namespace

Capabilities UnixDgramTransport::capabilities() {
  auto wmem_max = sysctl_number("/proc/sys/net/core/wmem_max", 212992);
  return {wmem_max,
          "unixdgram: a datagram must fit the socket send buffer; net.core.wmem_max is " + std::to_string(wmem_max) +
              " bytes here; raise it with: sysctl net.core.wmem_max=N",
          0, ""};
}

UnixDgramTransport::UnixDgramTransport(const TransportOptions& options) : options_(options) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) != 0) os::throw_errno("unixdgram: socketpair");
  producer_end_ = os::Fd(fds[0]);
  consumer_end_ = os::Fd(fds[1]);
  for (int fd : fds) {
    size_socket_buffers(fd, options, "unixdgram");
    // The kernel doubles the value for bookkeeping; asking for the message size leaves room for one datagram.
    int need = static_cast<int>(options.message_bytes);
    if (socket_send_buffer(fd) < options.message_bytes + 1024 &&
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &need, sizeof need) != 0)
      os::throw_errno("unixdgram: setsockopt(SO_SNDBUF)");
  }
  effective_.capacity_bytes = socket_send_buffer(fds[0]);
}

void UnixDgramTransport::open(Role role) {
  mine_ = std::move(role == Role::producer ? producer_end_ : consumer_end_);
  producer_end_.reset();
  consumer_end_.reset();
  os::set_nonblocking(mine_.get(), options_.wait != Wait::block);
}

void UnixDgramTransport::send(std::span<const std::byte> msg) {
  wait_until(
      options_.wait, options_.spin_budget, counters_,
      [&] {
        for (;;) {
          auto n = ::send(mine_.get(), msg.data(), msg.size(), MSG_NOSIGNAL);
          if (n == static_cast<ssize_t>(msg.size())) return true;
          if (n >= 0) throw std::runtime_error("unixdgram: short datagram send");
          if (errno == EAGAIN || errno == ENOBUFS) return false;
          if (errno == EINTR) {
            os::check_cancel();
            continue;
          }
          if (errno == ECONNREFUSED || errno == EPIPE) throw os::PeerGone("unixdgram: peer closed its socket");
          os::throw_errno("unixdgram: send");
        }
      },
      [&] {
        pollfd pfd{mine_.get(), POLLOUT, 0};
        ::poll(&pfd, 1, -1);
      });
}

void UnixDgramTransport::recv(std::span<std::byte> msg) {
  wait_until(
      options_.wait, options_.spin_budget, counters_,
      [&] {
        for (;;) {
          auto n = ::recv(mine_.get(), msg.data(), msg.size(), MSG_TRUNC);  // MSG_TRUNC: real datagram length
          if (n == static_cast<ssize_t>(msg.size())) return true;
          if (n >= 0)
            throw std::runtime_error("unixdgram: received a " + std::to_string(n) + "-byte datagram, expected " +
                                     std::to_string(msg.size()));
          if (errno == EAGAIN) return false;
          if (errno == EINTR) {
            os::check_cancel();
            continue;
          }
          os::throw_errno("unixdgram: recv");
        }
      },
      [&] {
        pollfd pfd{mine_.get(), POLLIN, 0};
        ::poll(&pfd, 1, -1);
      });
}

}  // namespace ipcbench
