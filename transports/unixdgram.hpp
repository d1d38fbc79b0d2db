#pragma once
// unixdgram: a connected AF_UNIX SOCK_DGRAM pair from socketpair(2). Each message is one datagram, so the
// kernel keeps message boundaries (no stream reassembly) and a sender blocks when its send buffer is full
// (datagrams not yet received are charged to it; net.unix.max_dgram_qlen does not apply to a pair that are each
// other's peers). Capacity sizes the buffers as for `unix`. A datagram must fit the send buffer: messages are
// limited to net.core.wmem_max bytes, and SO_SNDBUF is raised to fit the message size.
#include <span>

#include "harness/os/fd.hpp"
#include "transports/transport.hpp"

namespace ipcbench {

class UnixDgramTransport {
 public:
  explicit UnixDgramTransport(const TransportOptions& options);
  UnixDgramTransport split_consumer();
  void open(Role role);
  void send(std::span<const std::byte> msg);
  void recv(std::span<std::byte> msg);
  [[nodiscard]] TransportCounters counters() const { return counters_; }
  [[nodiscard]] Effective effective() const { return effective_; }
  static Capabilities capabilities();

 private:
  UnixDgramTransport() = default;
  TransportOptions options_;
  os::Fd producer_end_, consumer_end_, mine_;
  TransportCounters counters_;
  Effective effective_;
};

}  // namespace ipcbench
