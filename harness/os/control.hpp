#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "harness/os/fd.hpp"

namespace ipcbench::os {

// The harness's own channel between the two processes of a run (a SOCK_SEQPACKET socketpair): handshake,
// phase changes, the consumer's final report and its error text. It is never on a timed path except for
// the one "done" message that ends a stream measurement, which every transport pays alike.
struct ControlMessage {
  enum Type : std::uint32_t { ready = 1, go, warmup_done, measure, done, report, error, bye };
  std::uint32_t type = 0;
  std::int32_t cpu = -1;
  std::uint64_t count = 0;
  std::uint64_t values[32] = {};  // the consumer's report: harness/runner.cpp report_fields()
  char text[480] = {};

  void set_text(const std::string& s);
};

class ControlChannel {
 public:
  static ControlChannel create();
  // After fork each side keeps its own end.
  void keep_parent_end() noexcept { child_.reset(); }
  void keep_child_end() noexcept { parent_.reset(); }
  // Thread mode: the consumer thread's end as a channel of its own; this one keeps the parent's end.
  ControlChannel take_child_end() noexcept {
    ControlChannel c;
    c.child_ = std::move(child_);
    return c;
  }
  // What a process's exit would do to its end: the peer reads what was sent, then end-of-file.
  void close() noexcept {
    parent_.reset();
    child_.reset();
  }

  void send(const ControlMessage& m);
  // Blocks; EINTR is retried unless the run was cancelled for a timeout, an interrupt or (thread mode) by
  // the producer's side. A peer that exited is not a reason to stop reading: what it sent before exiting
  // is still delivered.
  ControlMessage receive(ControlMessage::Type expected);
  // What the peer sent before it died, if anything (non-blocking). Used to explain failures.
  std::optional<ControlMessage> poll_error();

 private:
  Fd& mine() { return parent_ ? parent_ : child_; }
  Fd parent_;
  Fd child_;
};

}  // namespace ipcbench::os
