#pragma once
// Shared by the test binaries that run real transports: the harness clock is calibrated once per binary,
// before the first test (an inline variable is initialised once per program, however many files include it).
#include <gtest/gtest.h>

#include "harness/clock.hpp"

namespace ipcbench::test_support {

class ClockEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { Clock::init(); }
};
inline ::testing::Environment* const g_clock_env = ::testing::AddGlobalTestEnvironment(new ClockEnvironment);

}  // namespace ipcbench::test_support
