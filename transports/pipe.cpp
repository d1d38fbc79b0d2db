#include "transports/pipe.hpp"

#include <fcntl.h>

#include <fstream>

namespace ipcbench {

namespace {
std::size_t pipe_max_size() {
  std::ifstream in("/proc/sys/fs/pipe-max-size");
  std::size_t n = 1 << 20;
  in >> n;
  return n;
}
}  // namespace

Capabilities PipeTransport::capabilities() {
  auto max = pipe_max_size();
  Capabilities c{std::size_t{1} << 30, "pipe: messages are limited to 1 GiB by ipcbench", 0,
                 "pipe: capacity x message size must be at most /proc/sys/fs/pipe-max-size (" + std::to_string(max) +
                     " bytes here); raise it with: sysctl fs.pipe-max-size=N"};
  c.max_capacity_bytes = max;
  c.unbounded_means = "F_SETPIPE_SZ to fs.pipe-max-size, " + std::to_string(max) + " bytes here";
  c.full_waits_counted = wait_bit(Wait::spin) | wait_bit(Wait::hybrid);
  return c;
}

PipeTransport::PipeTransport(const TransportOptions& options) : options_(options) {
  io_ = FdStreamIo(options.wait, options.spin_budget, "pipe");
  request_ = os::Pipe::create();
  if (options.duplex) reply_ = os::Pipe::create();
  for (auto* p : {&request_, &reply_}) {
    if (!p->write_end) continue;
    if (options.capacity != 0) {
      auto bytes = static_cast<int>(options.capacity * options.largest_message());
      if (::fcntl(p->write_end.get(), F_SETPIPE_SZ, bytes) < 0)
        os::throw_errno("pipe: F_SETPIPE_SZ(" + std::to_string(bytes) + ")");
    }
  }
  int granted = ::fcntl(request_.write_end.get(), F_GETPIPE_SZ);
  effective_.capacity_bytes = granted > 0 ? static_cast<std::size_t>(granted) : 0;
  // Small writes are merged into the pipe's pages, so whole messages that fit = bytes / message size.
  effective_.capacity_messages = effective_.capacity_bytes / options.message_bytes;
}

PipeTransport PipeTransport::split_consumer() {
  PipeTransport c;
  c.options_ = options_;
  c.io_ = io_;
  c.effective_ = effective_;
  c.request_.read_end = std::move(request_.read_end);
  c.reply_.write_end = std::move(reply_.write_end);
  return c;
}

void PipeTransport::open(Role role) {
  if (role == Role::producer) {
    tx_ = std::move(request_.write_end);
    rx_ = std::move(reply_.read_end);
  } else {
    rx_ = std::move(request_.read_end);
    tx_ = std::move(reply_.write_end);
  }
  request_ = {};
  reply_ = {};
  bool nonblocking = options_.wait != Wait::block;
  for (auto* fd : {&tx_, &rx_})
    if (*fd) os::set_nonblocking(fd->get(), nonblocking);
}

}  // namespace ipcbench
