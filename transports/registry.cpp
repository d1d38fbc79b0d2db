#include "transports/registry.hpp"

#include "harness/runner.hpp"
#include "transports/mq.hpp"
#include "transports/pipe.hpp"
#include "transports/shm.hpp"
#include "transports/tcp.hpp"
#include "transports/unix.hpp"
#include "transports/unixdgram.hpp"

namespace ipcbench {

namespace {
template <Transport T>
constexpr TransportEntry row(std::string_view name, std::string_view summary) {
  return {name, summary, &T::capabilities, &run_transport<T>};
}

constexpr TransportEntry kTable[] = {
    row<ShmTransport>("shm", "shared-memory SPSC ring, per-slot sequence words; futex wake-ups only for sleepers"),
    row<MqTransport>("mq", "POSIX message queue (mq_open); capacity = mq_maxmsg, size <= fs.mqueue.msgsize_max"),
    row<PipeTransport>("pipe", "anonymous pipes (one per direction); capacity via F_SETPIPE_SZ"),
    row<UnixTransport>("unix", "Unix domain stream socket pair (socketpair)"),
    row<UnixDgramTransport>("unixdgram", "Unix domain datagram socket pair: one datagram per message, boundaries kept"),
    row<TcpTransport>("tcp", "TCP over 127.0.0.1, ephemeral port, TCP_NODELAY"),
};
}  // namespace

std::span<const TransportEntry> transport_table() { return kTable; }

const TransportEntry* find_transport(std::string_view name) {
  for (const auto& e : kTable)
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace ipcbench
