#pragma once
// unix: a connected AF_UNIX SOCK_STREAM pair from socketpair(2) made before fork. The data path is the
// same as a bind/listen/connect pair, and there is no filesystem name that could be left behind.
// Capacity in messages sets SO_SNDBUF/SO_RCVBUF (the kernel doubles the value and caps it by
// net.core.wmem_max/rmem_max); the granted send buffer is recorded.
#include <span>

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

// Shared by the socket transports: buffer sizing and the granted size.
void size_socket_buffers(int fd, const TransportOptions& options, const char* what);
std::size_t socket_send_buffer(int fd);

}  // namespace ipcbench
