// Command-line values: accepted forms give exact numbers; every refusal names the offending text.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "harness/os/affinity.hpp"
#include "harness/parse.hpp"

namespace ipcbench {
namespace {

// The message must name the bad value, or the user cannot tell which of several options was wrong.
template <class F>
void expect_refused(const std::string& text, F&& parse) {
  try {
    parse(text);
    ADD_FAILURE() << "'" << text << "' was accepted";
  } catch (const std::invalid_argument& e) {
    if (!text.empty()) {
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  }
}

TEST(ParseSize, PlainBytesAndBinarySuffixes) {
  EXPECT_EQ(parse_size("64"), 64u);
  EXPECT_EQ(parse_size("1"), 1u);
  EXPECT_EQ(parse_size("4K"), 4096u);
  EXPECT_EQ(parse_size("4k"), 4096u);
  EXPECT_EQ(parse_size("64K"), 65536u);
  EXPECT_EQ(parse_size("1M"), 1048576u);
  EXPECT_EQ(parse_size("1m"), 1048576u);
  EXPECT_EQ(parse_size("1G"), 1073741824u);
  EXPECT_EQ(parse_size(" 100 "), 100u);
}

TEST(ParseSize, RefusesZeroNegativeFractionsJunkAndOverflow) {
  for (const char* bad : {"0", "0K", "-1", "-4K", "4X", "abc", "1.5K", "K", "4KB", "1e3",
                          "99999999999999999999", "99999999999G", "18446744073709551615"})
    expect_refused(bad, [](const std::string& s) { return parse_size(s); });
  EXPECT_THROW(parse_size(""), std::invalid_argument);
  EXPECT_THROW(parse_size("   "), std::invalid_argument);
}

TEST(ParseSize, ListKeepsOrderAndRefusesEmptyItems) {
  EXPECT_EQ(parse_size_list("64,4K,1M"), (std::vector<std::size_t>{64, 4096, 1048576}));
  EXPECT_EQ(parse_size_list("8"), (std::vector<std::size_t>{8}));
  for (const char* bad : {"", "64,,4K", ",64", "64,", "64,0"})
    EXPECT_THROW(parse_size_list(bad), std::invalid_argument) << "'" << bad << "'";
}

TEST(ParseCpuPairs, ProducerColonConsumer) {
  auto pairs = parse_cpu_pairs("0:1,0:0");
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0], (CpuPair{0, 1}));
  EXPECT_EQ(pairs[1], (CpuPair{0, 0}));
  EXPECT_EQ(parse_cpu_pairs("3:12"), (std::vector<CpuPair>{{3, 12}}));
}

TEST(ParseCpuPairs, RefusesMalformedPairs) {
  for (const char* bad : {"0", "0:1:2", "a:b", "-1:0", "0:-1", ":1", "1:", "1x:0"})
    expect_refused(bad, [](const std::string& s) { return parse_cpu_pairs(s); });
  for (const char* bad : {"", "0:1,,0:0", ",0:1", "0:1,"})
    EXPECT_THROW(parse_cpu_pairs(bad), std::invalid_argument) << "'" << bad << "'";
}

TEST(ParseCount, WholeNonNegativeNumbers) {
  EXPECT_EQ(parse_count("0", "--messages"), 0u);
  EXPECT_EQ(parse_count("100000", "--messages"), 100000u);
  EXPECT_EQ(parse_count("18446744073709551605", "--messages"), 18446744073709551605ull);
  for (const char* bad : {"-5", "1e6", "1.0", "abc", "10k", "99999999999999999999"})
    expect_refused(bad, [](const std::string& s) { return parse_count(s, "--messages"); });
  try {
    parse_count("x", "--warmup");
    ADD_FAILURE() << "'x' accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--warmup"), std::string::npos) << e.what();
  }
}

TEST(ParseCapacity, RendezvousCountsAndUnbounded) {
  EXPECT_EQ(parse_capacity_list("0"), (std::vector<Capacity>{Capacity::rendezvous()}));
  EXPECT_EQ(parse_capacity_list("1"), (std::vector<Capacity>{Capacity::bounded(1)}));
  EXPECT_EQ(parse_capacity_list("0,1,4,16,64,unbounded"),
            (std::vector<Capacity>{Capacity::rendezvous(), Capacity::bounded(1), Capacity::bounded(4),
                                   Capacity::bounded(16), Capacity::bounded(64), Capacity::unbounded()}));
  EXPECT_EQ(parse_capacity_list(" 8 , unbounded "), (std::vector<Capacity>{Capacity::bounded(8), Capacity::unbounded()}));
  EXPECT_EQ(Capacity::rendezvous().str(), "0");
  EXPECT_EQ(Capacity::bounded(16).str(), "16");
  EXPECT_EQ(Capacity::unbounded().str(), "unbounded");
  EXPECT_EQ(Capacity{}.str(), "default");
  EXPECT_STREQ(Capacity::rendezvous().buffering(), "rendezvous");
  EXPECT_STREQ(Capacity::bounded(3).buffering(), "bounded");
}

TEST(ParseCapacity, RefusesJunkNegativesRepeatsAndHugeCounts) {
  for (const char* bad : {"-1", "x", "1.5", "1e3", "4K", "Unbounded", "unbound", "inf", "99999999999",
                          "99999999999999999999999"})
    expect_refused(bad, [](const std::string& s) { return parse_capacity_list(s); });
  for (const char* bad : {"", "1,,2", ",1", "1,", "1,1", "0,unbounded,0"})
    EXPECT_THROW(parse_capacity_list(bad), std::invalid_argument) << "'" << bad << "'";
  try {
    parse_capacity_list("abc");
    ADD_FAILURE() << "'abc' accepted";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("--capacity"), std::string::npos) << what;
    EXPECT_NE(what.find("unbounded"), std::string::npos) << "the message should show the valid forms: " << what;
  }
}

TEST(ParseSeconds, PositiveFiniteOnly) {
  EXPECT_DOUBLE_EQ(parse_seconds("0.5", "--duration"), 0.5);
  EXPECT_DOUBLE_EQ(parse_seconds("2", "--duration"), 2.0);
  for (const char* bad : {"0", "0.0", "-1", "-0.5", "abc", "1s", "inf", "nan", "1e999"})
    expect_refused(bad, [](const std::string& s) { return parse_seconds(s, "--duration"); });
  EXPECT_THROW(parse_seconds("", "--duration"), std::invalid_argument);
}

TEST(FormatSize, LargestExactBinaryUnit) {
  EXPECT_EQ(format_size(100), "100");
  EXPECT_EQ(format_size(1023), "1023");
  EXPECT_EQ(format_size(1536), "1536");
  EXPECT_EQ(format_size(4096), "4K");
  EXPECT_EQ(format_size(65536), "64K");
  EXPECT_EQ(format_size(std::size_t{1} << 20), "1M");
  EXPECT_EQ(format_size(std::size_t{3} << 20), "3M");
  EXPECT_EQ(format_size(std::size_t{1} << 30), "1G");
  EXPECT_EQ(format_size((std::size_t{1} << 30) + 1024), "1048577K");
  for (std::size_t n : {1ul, 7ul, 64ul, 1000ul, 4096ul, 12288ul, 1ul << 20, 5ul << 30})
    EXPECT_EQ(parse_size(format_size(n)), n) << n;
}

TEST(ParseCpuList, RangesAndSingles) {
  EXPECT_EQ(os::parse_cpu_list("0-3,8,10-11"), (std::vector<int>{0, 1, 2, 3, 8, 10, 11}));
  EXPECT_EQ(os::parse_cpu_list("0-1\n"), (std::vector<int>{0, 1}));  // as read from sysfs
  EXPECT_EQ(os::parse_cpu_list("5"), (std::vector<int>{5}));
  EXPECT_EQ(os::parse_cpu_list("2,0-2"), (std::vector<int>{0, 1, 2}));
}

TEST(ParseCpuList, RefusesGarbage) {
  for (const char* bad : {"a", "3-1", "-1", "1-x", "1x", "0-3y"})
    EXPECT_THROW(os::parse_cpu_list(bad), std::invalid_argument) << "'" << bad << "'";
}

}  // namespace
}  // namespace ipcbench
