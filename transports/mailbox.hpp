#pragma once
// Mailboxes: one kernel object (or shared ring) that P producer processes send to and C consumer processes
// receive from, created in the parent before fork so every process inherits the same one. No name outlives
// the constructor: the mq name is unlinked at once, the datagram socket is one end of a socketpair (no socket
// file), the pipe and the ring are anonymous. Which consumer gets a message is decided by the kernel's wait
// queue (mq, socket, pipe) or the CAS race on the ring; the harness (harness/mailbox.cpp) records it.
//   mq         every consumer calls mq_receive on the one queue (several readers natively)
//   unixdgram  producers send on one end of a SOCK_DGRAM pair, every consumer receives on the other end
//   pipe       writes of at most PIPE_BUF bytes are atomic, so messages of several producers never interleave
//              and a read of one message's size returns exactly one message; larger sizes are refused
//   shm        the MPMC ring of transports/mpmc.hpp in a MAP_SHARED anonymous mapping
#include <span>
#include <string>

#include "harness/os/fd.hpp"
#include "harness/os/mapping.hpp"
#include "transports/mpmc.hpp"
#include "transports/mq.hpp"
#include "transports/transport.hpp"

namespace ipcbench {

struct MailboxOptions {
  std::size_t message_bytes = 64;
  std::size_t capacity = 0;  // messages; 0 = the transport's default
  Wait wait = Wait::block;
  std::uint32_t spin_budget = 4096;
};

// Each: constructed once in the parent; send() and recv() are then called from any process (recv() checks
// that exactly one whole message of message_bytes arrived); limit() says why a size cannot be used here.
class MqMailbox {
 public:
  explicit MqMailbox(const MailboxOptions& o);
  void send(std::span<const std::byte> msg, TransportCounters& c);
  void recv(std::span<std::byte> msg, TransportCounters& c);
  [[nodiscard]] Effective effective() const { return effective_; }
  static std::string limit(std::size_t message_bytes, std::size_t capacity);

 private:
  MailboxOptions o_;
  MqDescriptor writer_, reader_;
  Effective effective_;
};

class UnixDgramMailbox {
 public:
  explicit UnixDgramMailbox(const MailboxOptions& o);
  void send(std::span<const std::byte> msg, TransportCounters& c);
  void recv(std::span<std::byte> msg, TransportCounters& c);
  [[nodiscard]] Effective effective() const { return effective_; }
  static std::string limit(std::size_t message_bytes, std::size_t capacity);

 private:
  MailboxOptions o_;
  os::Fd send_end_, recv_end_;
  Effective effective_;
};

class PipeMailbox {
 public:
  explicit PipeMailbox(const MailboxOptions& o);
  void send(std::span<const std::byte> msg, TransportCounters& c);
  void recv(std::span<std::byte> msg, TransportCounters& c);
  [[nodiscard]] Effective effective() const { return effective_; }
  static std::string limit(std::size_t message_bytes, std::size_t capacity);

 private:
  MailboxOptions o_;
  os::Pipe pipe_;
  Effective effective_;
};

class ShmMailbox {
 public:
  static constexpr std::size_t kDefaultCapacity = 256;
  explicit ShmMailbox(const MailboxOptions& o);
  void send(std::span<const std::byte> msg, TransportCounters& c) { ring_.push(msg, o_.wait, o_.spin_budget, c); }
  void recv(std::span<std::byte> msg, TransportCounters& c) { ring_.pop(msg, o_.wait, o_.spin_budget, c); }
  [[nodiscard]] Effective effective() const { return {ring_.capacity(), ring_.capacity() * ring_.stride()}; }
  static std::string limit(std::size_t message_bytes, std::size_t capacity);

 private:
  MailboxOptions o_;
  os::Mapping mapping_;
  MpmcRing ring_;
};

}  // namespace ipcbench
