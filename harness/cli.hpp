#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "harness/clock.hpp"
#include "harness/sweep.hpp"
#include "harness/topology.hpp"

namespace ipcbench {

struct CliOptions {
  SweepSpec spec;
  std::vector<PlannedRun> runs;
  std::string out_path;
  Clock::Source clock = Clock::Source::automatic;
  double floor_duration_s = 0.1;
  double adjacent_floor_s = 0.03;  // the short floor measured before every pingpong row
  bool quiet = false;
  std::size_t repetitions = 1;  // independent runs per configuration (--repetitions)
  std::uint64_t seed = 0;       // shuffles the runs and seeds the bootstrap (--seed, else random)
  bool matrix = false;          // --matrix: spec.pairs are the matrix's pairs (matrix_plan)
  double matrix_budget_s = 120;
  std::vector<int> matrix_cpus;
  topo::MatrixPlan matrix_plan;
};

// Parses and validates everything before anything runs. Returns -1 to go on, otherwise the exit status:
// 0 after --help/--list, 2 after bad input (one line on stderr naming what was wrong and how to fix it).
int parse_cli(int argc, char** argv, CliOptions& out);

}  // namespace ipcbench
