#pragma once
#include <cerrno>
#include <string>
#include <system_error>

namespace ipcbench::os {

// Read errno at the call site, before anything else can overwrite it.
[[noreturn]] inline void throw_errno(const std::string& what, int err = errno) {
  throw std::system_error(err, std::generic_category(), what);
}

// The peer closed its end or vanished: a run failure, reported with the peer's exit status.
struct PeerGone : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The peer reported its own failure over the control channel; what() is its message.
struct PeerFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace ipcbench::os
