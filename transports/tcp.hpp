#pragma once
// tcp: TCP over 127.0.0.1 only. The parent listens on an ephemeral port before fork; the consumer
// connects, the producer accepts and checks the peer is on loopback; TCP_NODELAY on both ends so small
// messages are not held back by Nagle. Capacity in messages sizes SO_SNDBUF/SO_RCVBUF as for `unix` (which
// switches autotuning off); the send buffer is read at the end of the run.
#include <netinet/in.h>

#include <span>

#include "harness/os/fd.hpp"
#include "transports/fd_stream.hpp"
#include "transports/transport.hpp"
#include "transports/unix.hpp"

namespace ipcbench {

class TcpTransport {
 public:
  explicit TcpTransport(const TransportOptions& options);
  TcpTransport split_consumer();  // the consumer connects to the address; the listener stays here
  void open(Role role);
  void send(std::span<const std::byte> msg) { io_.write_all(conn_.get(), msg, counters_); }
  void recv(std::span<std::byte> msg) { io_.read_all(conn_.get(), msg, counters_); }
  [[nodiscard]] TransportCounters counters() const { return counters_; }
  // Read live: autotuning may grow the buffer during the run.
  [[nodiscard]] Effective effective() const { return {0, conn_ ? socket_send_buffer(conn_.get()) : 0}; }
  static Capabilities capabilities();

 private:
  TcpTransport() = default;
  TransportOptions options_;
  os::Fd listener_, conn_;
  sockaddr_in address_{};
  FdStreamIo io_;
  TransportCounters counters_;
};

}  // namespace ipcbench
