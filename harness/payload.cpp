#include "harness/payload.hpp"

#include <cstdio>
#include <string>

namespace ipcbench::payload {

namespace {
inline std::uint64_t mix(std::uint64_t x) noexcept {  // splitmix64 finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
// Byte i of message `seq` is byte (i % 8) of word mix(seq * K + i / 8): cheap to generate word by word.
inline std::uint64_t pattern_word(std::uint64_t seq, std::size_t word) noexcept {
  return mix(seq * 0x100000001B3ull + word);
}
inline std::byte pattern_byte(std::uint64_t seq, std::size_t i) noexcept {
  return static_cast<std::byte>(pattern_word(seq, i / 8) >> (8 * (i % 8)));
}
void fill_pattern(std::byte* p, std::size_t from, std::size_t n, std::uint64_t seq) noexcept {
  std::size_t i = from;
  for (; i < n && i % 8 != 0; ++i) p[i] = pattern_byte(seq, i);
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w = pattern_word(seq, i / 8);
    std::memcpy(p + i, &w, 8);
  }
  for (; i < n; ++i) p[i] = pattern_byte(seq, i);
}
std::uint64_t checksum(const std::byte* p, std::size_t n) noexcept {  // word-wise multiply-xor, then the tail
  std::uint64_t h = 0xcbf29ce484222325ull ^ n;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  for (; i < n; ++i) h = (h ^ static_cast<std::uint8_t>(p[i])) * 0x100000001b3ull;
  return h;
}
std::string hex(std::byte b) {
  char s[8];
  std::snprintf(s, sizeof s, "0x%02x", static_cast<unsigned>(b));
  return s;
}
}  // namespace

// Below the 16-byte header, the first (up to 8) bytes are the low bytes of the sequence number itself, so
// even a 1-byte message detects any loss, duplicate or reordering within 256 messages deterministically.
static std::byte small_message_byte(std::uint64_t seq, std::size_t i) noexcept {
  return i < 8 ? static_cast<std::byte>(seq >> (8 * i)) : pattern_byte(seq, i);
}

void fill_verified(std::span<std::byte> buf, std::uint64_t seq) noexcept {
  const std::size_t n = buf.size();
  const std::size_t body = n >= kHeader ? kHeader : 0;
  if (!body) {
    for (std::size_t i = 0; i < n; ++i) buf[i] = small_message_byte(seq, i);
    return;
  }
  fill_pattern(buf.data(), body, n, seq);
  if (body) {
    std::uint64_t sum = checksum(buf.data() + kHeader, n - kHeader);
    std::memcpy(buf.data(), &seq, 8);
    std::memcpy(buf.data() + 8, &sum, 8);
  }
}

void reseal_verified(std::span<std::byte> buf) noexcept {
  const std::uint64_t sum = checksum(buf.data() + kHeader, buf.size() - kHeader);
  std::memcpy(buf.data() + 8, &sum, 8);
}

void check_verified(std::span<const std::byte> buf, std::uint64_t expected_seq) {
  const std::size_t n = buf.size();
  const std::string where = "message " + std::to_string(expected_seq) + " (" + std::to_string(n) + " bytes): ";
  std::size_t body = 0;
  if (n >= kHeader) {
    std::uint64_t seq, sum;
    std::memcpy(&seq, buf.data(), 8);
    std::memcpy(&sum, buf.data() + 8, 8);
    if (seq != expected_seq)
      throw VerifyError(where + "sequence number is " + std::to_string(seq) + ": lost, duplicated or reordered");
    if (sum == checksum(buf.data() + kHeader, n - kHeader)) return;
    body = kHeader;
  }
  for (std::size_t i = body; i < n; ++i) {
    const std::byte want = body ? pattern_byte(expected_seq, i) : small_message_byte(expected_seq, i);
    if (buf[i] != want)
      throw VerifyError(where + "byte " + std::to_string(i) + " is " + hex(buf[i]) + ", expected " + hex(want) +
                        (!body && i < 8 ? " (sequence number byte: lost, duplicated or reordered)" : ""));
  }
  if (body) throw VerifyError(where + "checksum mismatch");  // checksum field itself was damaged
}

}  // namespace ipcbench::payload
