#pragma once
// unix: a connected AF_UNIX SOCK_STREAM pair from socketpair(2) made before fork. The data path is the
// same as a bind/listen/connect pair, and there is no filesystem name that could be left behind.
// Capacity in messages sets SO_SNDBUF/SO_RCVBUF to capacity x message size (the kernel doubles the value,
// raises it to its minimum, ~4.5 KiB send / 2.3 KiB receive, and ipcbench refuses more than
// net.core.wmem_max/rmem_max); the granted send buffer is recorded. The kernel charges every message's socket
// buffer overhead (~700 bytes) against it, so a buffer holds fewer small messages than its size suggests.
#include <span>
#include <string>

#include "harness/os/fd.hpp"
#include "transports/fd_stream.hpp"
#include "transports/transport.hpp"

namespace ipcbench {

class UnixTransport {
 public:
  explicit UnixTransport(const TransportOptions& options);
  UnixTransport split_consumer();
  void open(Role role);
  void send(std::span<const std::byte> msg) { io_.write_all(mine_.get(), msg, counters_); }
  void recv(std::span<std::byte> msg) { io_.read_all(mine_.get(), msg, counters_); }
  [[nodiscard]] TransportCounters counters() const { return counters_; }
  [[nodiscard]] Effective effective() const { return effective_; }
  static Capabilities capabilities();

 private:
  UnixTransport() = default;
  TransportOptions options_;
  os::Fd producer_end_, consumer_end_, mine_;
  FdStreamIo io_;
  TransportCounters counters_;
  Effective effective_;
};

// Shared by the socket transports: limits (buffers up to net.core.wmem_max/rmem_max), buffer sizing and the
// granted size.
Capabilities socket_capabilities(std::size_t max_message_bytes, std::string limit_hint, const char* what);
// A number from /proc/sys (net.core.wmem_max and the like), or `fallback` when it cannot be read.
std::size_t sysctl_number(const char* path, std::size_t fallback);
void size_socket_buffers(int fd, const TransportOptions& options, const char* what);
std::size_t socket_send_buffer(int fd);

}  // namespace ipcbench
