#pragma once
// The one way every ipcbench command parses its command line (CLI11): --help prints the help and exits 0; a bad
// option is one line on stderr naming it and pointing at --help, exit status 2, before anything runs.
#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <string_view>

namespace ipcbench {

// The exit status to return now, or nothing to go on.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv, std::string_view command) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << command << ": error: " << e.what() << " (see " << command << " --help)\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace ipcbench
