// --verify must catch any damaged byte and any lost, duplicated or reordered message.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "harness/payload.hpp"

namespace ipcbench {
namespace {

using payload::check_verified;
using payload::fill_verified;
using payload::VerifyError;

std::vector<std::byte> filled(std::size_t n, std::uint64_t seq) {
  std::vector<std::byte> buf(n, std::byte{0xEE});
  fill_verified(buf, seq);
  return buf;
}

std::string verify_error(const std::vector<std::byte>& buf, std::uint64_t expected) {
  try {
    check_verified(buf, expected);
  } catch (const VerifyError& e) {
    return e.what();
  }
  return "";
}

TEST(Payload, RoundTripAllSmallSizesAndPages) {
  std::vector<std::size_t> sizes;
  for (std::size_t n = 1; n <= 300; ++n) sizes.push_back(n);
  for (std::size_t n : {4095ul, 4096ul, 4097ul, 65536ul}) sizes.push_back(n);
  for (std::size_t n : sizes)
    for (std::uint64_t seq : {0ull, 1ull, 77ull, 1ull << 40, ~0ull}) {
      auto buf = filled(n, seq);
      EXPECT_NO_THROW(check_verified(buf, seq)) << "size " << n << " seq " << seq;
    }
}

TEST(Payload, EveryByteIsWritten) {
  // A buffer prefilled with two different values must come out identical: nothing is left untouched.
  for (std::size_t n : {1ul, 15ul, 16ul, 17ul, 100ul, 4096ul}) {
    std::vector<std::byte> a(n, std::byte{0x00}), b(n, std::byte{0xFF});
    fill_verified(a, 9);
    fill_verified(b, 9);
    EXPECT_EQ(a, b) << "size " << n;
  }
}

// Exhaustive for every size up to 300 and for 4096: each position, two different kinds of damage.
TEST(Payload, AnySingleByteFlipIsDetected) {
  std::vector<std::size_t> sizes;
  for (std::size_t n = 1; n <= 300; ++n) sizes.push_back(n);
  sizes.push_back(4096);
  for (std::size_t n : sizes) {
    const std::uint64_t seq = 1000 + n;
    const auto good = filled(n, seq);
    for (std::size_t i = 0; i < n; ++i)
      for (std::byte mask : {std::byte{0x01}, std::byte{0x80}}) {
        auto bad = good;
        bad[i] ^= mask;
        ASSERT_THROW(check_verified(bad, seq), VerifyError) << "size " << n << " byte " << i;
      }
  }
}

TEST(Payload, ErrorNamesTheDamagedByte) {
  auto buf = filled(4096, 5);
  buf[4095] ^= std::byte{0x10};
  auto what = verify_error(buf, 5);
  EXPECT_NE(what.find("message 5"), std::string::npos) << what;
  EXPECT_NE(what.find("byte 4095"), std::string::npos) << what;

  auto small = filled(10, 3);
  small[4] ^= std::byte{0x01};
  what = verify_error(small, 3);
  EXPECT_NE(what.find("byte 4"), std::string::npos) << what;
}

TEST(Payload, DamagedChecksumFieldIsDetected) {
  auto buf = filled(64, 8);
  buf[12] ^= std::byte{0x01};  // inside the checksum word, body intact
  auto what = verify_error(buf, 8);
  EXPECT_NE(what.find("checksum"), std::string::npos) << what;
}

TEST(Payload, WrongSequenceIsDetectedAndNamed) {
  for (std::size_t n : {16ul, 17ul, 64ul, 4096ul}) {
    auto buf = filled(n, 41);
    auto what = verify_error(buf, 42);
    EXPECT_NE(what.find("message 42"), std::string::npos) << what;
    EXPECT_NE(what.find("sequence number is 41"), std::string::npos) << what;
    EXPECT_FALSE(verify_error(buf, 40).empty());
    EXPECT_FALSE(verify_error(buf, 41ull + (1ull << 32)).empty());
  }
}

// Below 16 bytes there is no room for the header: the first bytes carry the sequence number's low bytes,
// so every loss, duplicate or reordering within 256 messages is caught, even with a 1-byte message.
TEST(Payload, WrongSequenceDetectedWithoutHeader) {
  for (std::size_t n = 1; n < 16; ++n)
    for (std::uint64_t seq = 0; seq < 2000; ++seq)
      for (std::uint64_t off : {1u, 7u, 255u}) {
        auto buf = filled(n, seq);
        auto err = verify_error(buf, seq + off);
        ASSERT_FALSE(err.empty()) << "size " << n << " seq " << seq << " off " << off;
        ASSERT_NE(err.find("sequence number byte"), std::string::npos) << err;
      }
}

// Detection within 256 messages is what a 1-byte message can promise; 256 apart it cannot tell.
TEST(Payload, OneByteMessageWrapsAfter256) {
  auto buf = filled(1, 5);
  EXPECT_TRUE(verify_error(buf, 5 + 256).empty());
}

// fill_fast's bytes, as its comment defines them: each line's first word is seq ^ its offset, then the last
// byte is seq's low byte, every other byte untouched.
TEST(FillFast, WritesEachLinesWordThenTheLastByte) {
  for (std::size_t n : {1, 7, 8, 9, 15, 16, 63, 64, 65, 71, 72, 73, 127, 128, 136, 4096, 4104}) {
    std::vector<std::byte> got(n, std::byte{0xee}), want(n, std::byte{0xee});
    const std::uint64_t seq = 0x0123456789abcdefULL + n;
    payload::fill_fast(got, seq);
    for (std::size_t off = 0; off + 8 <= n; off += 64) {
      const std::uint64_t w = seq ^ off;
      std::memcpy(want.data() + off, &w, 8);
    }
    want[n - 1] = static_cast<std::byte>(seq);
    EXPECT_EQ(got, want) << n << " bytes";
  }
}

// payload::carries, checked on every message read without --verify: a message written by fill_fast for one
// sequence number reads back as that number and no other (below 8 bytes, no other with its low byte), a send stamp does not disturb it, and a message
// whose first or last line is another one's (a torn or stale copy) does not pass.
TEST(Carries, AFastMessageReadsBackAsItsOwnSequenceNumberOnly) {
  for (std::size_t n : {1, 7, 8, 9, 23, 24, 63, 64, 72, 73, 136, 4096, 65536}) {
    std::vector<std::byte> buf(n), other(n);
    payload::fill_fast(buf, 1000);
    payload::fill_fast(other, 1001);
    EXPECT_TRUE(payload::carries(buf, 1000)) << n;
    EXPECT_FALSE(payload::carries(buf, 1001)) << n;
    if (n >= 8) {
      EXPECT_FALSE(payload::carries(buf, 1000 + 256)) << n << ": not only the low byte";
    }
    if (n >= 24) {
      payload::put_stamp(buf, 0x1234567890abcdef, false);
      EXPECT_TRUE(payload::carries(buf, 1000)) << n << " with a send stamp";
    }
    if (n >= 8) {  // the first line from one message, the rest from the next
      std::vector<std::byte> torn = other;
      std::copy(buf.begin(), buf.begin() + std::min<std::size_t>(n, 64), torn.begin());
      EXPECT_EQ(payload::carries(torn, 1000), n <= 64) << n;
      EXPECT_FALSE(payload::carries(torn, 1001)) << n;
    }
  }
}

}  // namespace
}  // namespace ipcbench
