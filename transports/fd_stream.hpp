#pragma once
// Whole-message transfer over a byte-stream descriptor (pipe, Unix stream socket, TCP), shared by those
// transports so that short reads/writes and EINTR are handled in exactly one place. With Wait::block the
// descriptor is blocking; with spin/hybrid it is O_NONBLOCK and EAGAIN goes through wait_until().
#include <poll.h>
#include <unistd.h>

#include <span>
#include <string>

#include "harness/os/error.hpp"
#include "transports/wait.hpp"

namespace ipcbench {

struct FdStreamIo {
  Wait wait = Wait::block;
  std::uint32_t spin_budget = 0;
  const char* what = "fd";  // names the transport in error messages

  // n > 0: bytes moved; 0: would block; throws on EOF/errors.
  template <bool Write>
  std::size_t attempt(int fd, std::byte* p, std::size_t n) const {
    for (;;) {
      ssize_t r = Write ? ::write(fd, p, n) : ::read(fd, p, n);
      if (r > 0) return static_cast<std::size_t>(r);
      if (r == 0 && !Write) throw os::PeerGone(std::string(what) + ": peer closed the connection");
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      if (errno == EINTR) {
        os::check_cancel();
        continue;
      }
      if (errno == EPIPE || errno == ECONNRESET) throw os::PeerGone(std::string(what) + ": peer closed the connection");
      os::throw_errno(std::string(what) + (Write ? ": write" : ": read"));
    }
  }

  template <bool Write>
  void transfer(int fd, std::byte* p, std::size_t n, TransportCounters& c) const {
    while (n > 0) {
      std::size_t done = 0;
      wait_until(
          wait, spin_budget, c,
          [&] {
            done = attempt<Write>(fd, p, n);
            return done > 0;
          },
          [&] {
            pollfd pfd{fd, static_cast<short>(Write ? POLLOUT : POLLIN), 0};
            ::poll(&pfd, 1, -1);  // EINTR: wait_until re-checks the cancel flag
          });
      p += done;
      n -= done;
    }
  }

  void write_all(int fd, std::span<const std::byte> msg, TransportCounters& c) const {
    transfer<true>(fd, const_cast<std::byte*>(msg.data()), msg.size(), c);
  }
  void read_all(int fd, std::span<std::byte> msg, TransportCounters& c) const {
    transfer<false>(fd, msg.data(), msg.size(), c);
  }
};

}  // namespace ipcbench
