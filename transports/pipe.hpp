#pragma once
// pipe: anonymous pipes created before fork; one for stream, two (request, reply) for pingpong.
// Capacity in messages sets F_SETPIPE_SZ to capacity x message size (the kernel rounds up to a power of two
// pages, at least one page, limited by /proc/sys/fs/pipe-max-size); F_GETPIPE_SZ is what was granted. The
// kernel copies every byte twice (into and out of the pipe).
#include <span>

#include "harness/os/fd.hpp"
#include "transports/fd_stream.hpp"
#include "transports/transport.hpp"

namespace ipcbench {

class PipeTransport {
 public:
  explicit PipeTransport(const TransportOptions& options);
  PipeTransport split_consumer();
  void open(Role role);
  void send(std::span<const std::byte> msg) { io_.write_all(tx_.get(), msg, counters_); }
  void recv(std::span<std::byte> msg) { io_.read_all(rx_.get(), msg, counters_); }
  [[nodiscard]] TransportCounters counters() const { return counters_; }
  [[nodiscard]] Effective effective() const { return effective_; }
  static Capabilities capabilities();

 private:
  PipeTransport() = default;
  TransportOptions options_;
  os::Pipe request_, reply_;
  os::Fd tx_, rx_;
  FdStreamIo io_;
  TransportCounters counters_;
  Effective effective_;
};

}  // namespace ipcbench
