#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "harness/os/error.hpp"

namespace ipcbench::os {

// Move-only owner of a file descriptor; -1 means empty.
class Fd {
 public:
  Fd() noexcept = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset() noexcept {
    // A failed close on teardown cannot be acted upon; the descriptor is gone either way on Linux.
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read_end;
  Fd write_end;

  static Pipe create(int flags = O_CLOEXEC) {
    int fds[2];
    if (::pipe2(fds, flags) != 0) throw_errno("pipe2");
    return Pipe{Fd(fds[0]), Fd(fds[1])};
  }
};

inline void set_nonblocking(int fd, bool on) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) throw_errno("fcntl(F_GETFL)");
  flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (::fcntl(fd, F_SETFL, flags) != 0) throw_errno("fcntl(F_SETFL, O_NONBLOCK)");
}

}  // namespace ipcbench::os
