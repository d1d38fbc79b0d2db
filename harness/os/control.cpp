#include "harness/os/control.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "harness/os/cancel.hpp"

namespace ipcbench::os {

void ControlMessage::set_text(const std::string& s) {
  auto n = std::min(s.size(), sizeof text - 1);
  std::memcpy(text, s.data(), n);
  text[n] = '\0';
}

ControlChannel ControlChannel::create() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) throw_errno("socketpair(control)");
  ControlChannel c;
  c.parent_ = Fd(fds[0]);
  c.child_ = Fd(fds[1]);
  return c;
}

void ControlChannel::send(const ControlMessage& m) {
  for (;;) {
    auto n = ::send(mine().get(), &m, sizeof m, MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(sizeof m)) return;
    if (n < 0 && errno == EINTR) {
      auto r = cancel_reason();
      if (r != CancelReason::none && r != CancelReason::peer_exited) throw_cancelled();
      continue;
    }
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) throw PeerGone("control channel: peer has gone");
    throw_errno("control channel send");
  }
}

ControlMessage ControlChannel::receive(ControlMessage::Type expected) {
  ControlMessage m;
  for (;;) {
    auto n = ::recv(mine().get(), &m, sizeof m, 0);
    if (n == static_cast<ssize_t>(sizeof m)) break;
    if (n == 0 || (n < 0 && errno == ECONNRESET)) throw PeerGone("control channel: peer has gone");
    if (n < 0 && errno == EINTR) {
      auto r = cancel_reason();
      if (r != CancelReason::none && r != CancelReason::peer_exited) throw_cancelled();
      continue;
    }
    if (n < 0) throw_errno("control channel recv");
    throw std::runtime_error("control channel: short message");
  }
  if (m.type == ControlMessage::error) throw PeerFailed(m.text);
  if (m.type != expected)
    throw std::runtime_error("control channel: expected message " + std::to_string(expected) + ", got " +
                             std::to_string(m.type));
  return m;
}

std::optional<ControlMessage> ControlChannel::poll_error() {
  ControlMessage m;
  while (::recv(mine().get(), &m, sizeof m, MSG_DONTWAIT) == static_cast<ssize_t>(sizeof m))
    if (m.type == ControlMessage::error) return m;
  return std::nullopt;
}

}  // namespace ipcbench::os
