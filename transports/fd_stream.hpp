#pragma once
// Whole-message transfer over a byte-stream descriptor (pipe, Unix stream socket, TCP), shared by those
// transports so that short reads/writes and EINTR are handled in exactly one place. With Wait::block the
// descriptor is blocking; with spin/hybrid it is O_NONBLOCK and EAGAIN goes through wait_until().
#include <unistd.h>

#include <span>
#include <string>

#include "harness/os/error.hpp"
#include "transports/wait.hpp"

namespace ipcbench {

class FdStreamIo {
 public:
  FdStreamIo() = default;
  FdStreamIo(Wait wait, std::uint32_t spin_budget, const char* transport)
      : wait_(wait), spin_budget_(spin_budget), read_call_(std::string(transport) + ": read"),
        write_call_(std::string(transport) + ": write") {}

  void write_all(int fd, std::span<const std::byte> msg, TransportCounters& c) const {
    transfer<true>(fd, const_cast<std::byte*>(msg.data()), msg.size(), c);
  }
  void read_all(int fd, std::span<std::byte> msg, TransportCounters& c) const {
    transfer<false>(fd, msg.data(), msg.size(), c);
  }

 private:
  template <bool Write>
  void transfer(int fd, std::byte* p, std::size_t n, TransportCounters& c) const {
    const char* call = Write ? write_call_.c_str() : read_call_.c_str();
    while (n > 0) {
      std::size_t done = 0;
      wait_for_fd(wait_, spin_budget_, c, fd, Write ? POLLOUT : POLLIN, call, [&] {
        ssize_t r = Write ? ::write(fd, p, n) : ::read(fd, p, n);
        if (r == 0 && !Write) throw os::PeerGone(read_call_ + ": peer closed the connection");
        if (r <= 0) return false;
        done = static_cast<std::size_t>(r);
        return true;
      });
      p += done;  // a short transfer is normal on a stream: go round for the rest
      n -= done;
    }
  }

  Wait wait_ = Wait::block;
  std::uint32_t spin_budget_ = 0;
  std::string read_call_, write_call_;
};

}  // namespace ipcbench
