#pragma once
// What the harness puts into and takes out of every message. Without --verify the sender writes one word
// in every cache line (plus the last byte) and the receiver reads them, so no transport can look fast by
// never touching the data. With --verify the sender fills every byte from the sequence number and stores
// [seq | checksum] in the first 16 bytes; the receiver checks both and names the first wrong byte.
#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>

namespace ipcbench::payload {

struct VerifyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline constexpr std::size_t kLine = 64;
inline constexpr std::size_t kHeader = 16;

[[gnu::always_inline]] inline void fill_fast(std::span<std::byte> buf, std::uint64_t seq) noexcept {
  std::byte* p = buf.data();
  const std::size_t n = buf.size();
  for (std::size_t off = 0; off + 8 <= n; off += kLine) {
    std::uint64_t w = seq ^ off;
    std::memcpy(p + off, &w, 8);
  }
  p[n - 1] = static_cast<std::byte>(seq);
}

[[gnu::always_inline]] inline std::uint64_t read_fast(std::span<const std::byte> buf) noexcept {
  const std::byte* p = buf.data();
  const std::size_t n = buf.size();
  std::uint64_t sum = 0;
  for (std::size_t off = 0; off + 8 <= n; off += kLine) {
    std::uint64_t w;
    std::memcpy(&w, p + off, 8);
    sum += w;
  }
  return sum + static_cast<std::uint64_t>(p[n - 1]);
}

// Does a message written by fill_fast(buf, seq) read back as seq? Its first and last words (each line's first
// word holds seq ^ its offset, and the last byte seq's low byte; a send stamp never covers them), or its last
// byte below 8 bytes. Cheap enough for every message of every run: it tells a baseline that copies out other
// laps' data (shm-rawcopy) from one that moves each message.
[[gnu::always_inline]] inline bool carries(std::span<const std::byte> buf, std::uint64_t seq) noexcept {
  static_assert(std::endian::native == std::endian::little, "fill_fast's last byte is placed as on x86");
  const std::byte* p = buf.data();
  const std::size_t n = buf.size();
  if (n < 8) return n == 0 || p[n - 1] == static_cast<std::byte>(seq);
  // Two 8-byte loads and compares, no call: on a round trip's critical path, a memcmp call per check cost
  // 20-30 ns per round trip.
  auto holds = [&](std::size_t off) __attribute__((always_inline)) {  // the word fill_fast left at `off`
    std::uint64_t want = seq ^ off;
    if (const std::size_t at = n - 1 - off; at < 8)  // the last byte lies in this word
      want = (want & ~(std::uint64_t{0xff} << (8 * at))) | ((seq & 0xff) << (8 * at));
    std::uint64_t got;
    std::memcpy(&got, p + off, 8);
    return got == want;
  };
  return holds(0) && holds((n - 8) / kLine * kLine);
}

void fill_verified(std::span<std::byte> buf, std::uint64_t seq) noexcept;

// A send stamp (rate, one-way latency; harness/open_loop.hpp) in bytes [16, 24), after the --verify header.
// A verified message gets its checksum recomputed over the stamped body. The message has at least 24 bytes.
inline constexpr std::size_t kStampOffset = kHeader;
void reseal_verified(std::span<std::byte> buf) noexcept;
inline void put_stamp(std::span<std::byte> buf, std::uint64_t stamp, bool verified) noexcept {
  std::memcpy(buf.data() + kStampOffset, &stamp, 8);
  if (verified) reseal_verified(buf);
}
inline std::uint64_t get_stamp(std::span<const std::byte> buf) noexcept {
  std::uint64_t stamp;
  std::memcpy(&stamp, buf.data() + kStampOffset, 8);
  return stamp;
}
// Throws VerifyError naming the message and what was wrong.
void check_verified(std::span<const std::byte> buf, std::uint64_t expected_seq);

}  // namespace ipcbench::payload
