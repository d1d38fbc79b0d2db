#include "transports/tcp.hpp"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <fstream>

#include "harness/os/cancel.hpp"
#include "transports/unix.hpp"

namespace ipcbench {

namespace {
// The largest send buffer TCP autotuning may grow to (third field of net.ipv4.tcp_wmem), 0 if unknown.
std::size_t autotune_max_bytes() {
  std::ifstream in("/proc/sys/net/ipv4/tcp_wmem");
  std::size_t lo = 0, def = 0, max = 0;
  in >> lo >> def >> max;
  return max;
}

// --capacity unbounded: SO_SNDBUF can give at most 2 x wmem_max, autotuning up to tcp_wmem's maximum; take the
// larger (setting SO_SNDBUF switches autotuning off).
bool autotune_is_larger(const Capabilities& c) { return autotune_max_bytes() > 2 * c.max_capacity_bytes; }
}  // namespace

Capabilities TcpTransport::capabilities() {
  auto c = socket_capabilities(std::size_t{1} << 30, "tcp: messages are limited to 1 GiB by ipcbench", "tcp");
  if (autotune_is_larger(c))
    c.unbounded_means = "no SO_SNDBUF/SO_RCVBUF: kernel autotuning, up to net.ipv4.tcp_wmem's maximum of " +
                        std::to_string(autotune_max_bytes()) + " bytes here";
  return c;
}

TcpTransport::TcpTransport(const TransportOptions& options) : options_(options) {
  if (options_.unbounded && autotune_is_larger(capabilities())) options_.capacity = 0;  // leave buffers to autotuning
  io_ = FdStreamIo(options.wait, options.spin_budget, "tcp");
  listener_ = os::Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener_) os::throw_errno("tcp: socket");
  address_.sin_family = AF_INET;
  address_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address_.sin_port = 0;  // ephemeral
  if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address_), sizeof address_) != 0)
    os::throw_errno("tcp: bind 127.0.0.1:0");
  socklen_t len = sizeof address_;
  if (::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address_), &len) != 0)
    os::throw_errno("tcp: getsockname");
  if (::listen(listener_.get(), 1) != 0) os::throw_errno("tcp: listen");
}

TcpTransport TcpTransport::split_consumer() {
  TcpTransport c;
  c.options_ = options_;
  c.io_ = io_;
  c.address_ = address_;
  return c;
}

void TcpTransport::open(Role role) {
  if (role == Role::producer) {
    sockaddr_in peer{};
    for (;;) {
      socklen_t len = sizeof peer;
      int fd = ::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
      if (fd >= 0) {
        conn_ = os::Fd(fd);
        break;
      }
      if (errno != EINTR) os::throw_errno("tcp: accept");
      os::check_cancel();
    }
    if (peer.sin_addr.s_addr != htonl(INADDR_LOOPBACK))
      throw std::runtime_error("tcp: unexpected peer address, only 127.0.0.1 is accepted");
  } else {
    conn_ = os::Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!conn_) os::throw_errno("tcp: socket");
    size_socket_buffers(conn_.get(), options_, "tcp");  // before connect, so the window is negotiated
    while (::connect(conn_.get(), reinterpret_cast<sockaddr*>(&address_), sizeof address_) != 0) {
      if (errno != EINTR) os::throw_errno("tcp: connect to 127.0.0.1:" + std::to_string(ntohs(address_.sin_port)));
    }
  }
  listener_.reset();
  int one = 1;
  if (::setsockopt(conn_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
    os::throw_errno("tcp: setsockopt(TCP_NODELAY)");
  if (role == Role::producer) size_socket_buffers(conn_.get(), options_, "tcp");
  os::set_nonblocking(conn_.get(), options_.wait != Wait::block);
}

}  // namespace ipcbench
