#pragma once
// The table of transports. Adding one = its .hpp/.cpp pair, one row in registry.cpp, one CMake line.
// --list, --help and validation all read this table.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/run.hpp"
#include "transports/transport.hpp"

namespace ipcbench {

struct RingDesign;

// transport: part of the default suite. ring-variant: a step of the shm ring ablation (--transports
// ablation). baseline: not a transport at all (a producer that never waits for its consumer, stream only, no
// --verify), a ceiling to compare transports with.
enum class EntryKind { transport, ring_variant, baseline };

struct TransportEntry {
  std::string_view name;
  std::string_view summary;
  Capabilities (*capabilities)();
  RunResult (*run)(const RunConfig&);
  EntryKind kind = EntryKind::transport;
  const RingDesign* ring = nullptr;  // shm rings: the design, recorded in the JSON
};

std::span<const TransportEntry> transport_table();
const TransportEntry* find_transport(std::string_view name);
// Names a --transports value may use for a group: "default" (the transports), "ablation" (every shm ring
// design, the default ring and the raw-copy baseline), "all" (everything but baselines). Empty: no group.
std::vector<std::string> transport_group(std::string_view group);

}  // namespace ipcbench
