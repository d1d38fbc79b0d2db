#pragma once
// The table of transports. Adding one = its .hpp/.cpp pair, one row in registry.cpp, one CMake line.
// --list, --help and validation all read this table.
#include <span>
#include <string_view>

#include "harness/run.hpp"
#include "transports/transport.hpp"

namespace ipcbench {

struct TransportEntry {
  std::string_view name;
  std::string_view summary;
  Capabilities (*capabilities)();
  RunResult (*run)(const RunConfig&);
};

std::span<const TransportEntry> transport_table();
const TransportEntry* find_transport(std::string_view name);

}  // namespace ipcbench
