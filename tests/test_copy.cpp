// The ring's own copies (transports/copy.hpp): every byte of the message arrives, at any size and alignment, and
// nothing outside the destination is written.
#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

#include "transports/copy.hpp"

namespace ipcbench {
namespace {

constexpr std::size_t kGuard = 256;  // bytes each side of the destination that must stay untouched
constexpr std::byte kUntouched{0xA5};

// `padded(dst, n)`: the bytes the copy may write, n or more; those past the message must be zeros.
constexpr auto kUnpadded = [](const std::byte*, std::size_t n) { return n; };

template <class Copy, class Padded = decltype(kUnpadded)>
void check_copies(Copy copy, std::size_t n, std::size_t from_offset, std::size_t to_offset,
                  Padded padded = kUnpadded) {
  std::vector<std::byte> from(n + 64), to(kGuard + n + kGuard + 64, kUntouched);
  for (std::size_t i = 0; i < from.size(); ++i) from[i] = std::byte(static_cast<unsigned char>(i * 131 + n + 7));
  std::byte* dst = to.data() + kGuard + to_offset;
  copy(dst, from.data() + from_offset, n);
  const std::size_t written = padded(dst, n);
  for (std::size_t i = 0; i < n; ++i)
    ASSERT_EQ(dst[i], from[from_offset + i]) << "n " << n << " byte " << i << " offsets " << from_offset << "/" << to_offset;
  for (std::size_t i = n; i < written; ++i) ASSERT_EQ(dst[i], std::byte{0}) << "n " << n << ": padding byte " << i;
  for (std::byte* p = to.data(); p != dst; ++p) ASSERT_EQ(*p, kUntouched) << "n " << n << ": wrote before the destination";
  for (std::byte* p = dst + written; p != to.data() + to.size(); ++p)
    ASSERT_EQ(*p, kUntouched) << "n " << n << ": wrote past the destination";
}

// Sizes around every boundary of the copies: the vector step (128 bytes), the first size whose copy_large
// prefetches (kPrefetchAhead + one step), kLargeCopyFrom, and a 64 KiB message.
std::vector<std::size_t> sizes() {
  std::vector<std::size_t> s;
  for (std::size_t n = 0; n <= 300; ++n) s.push_back(n);
  for (std::size_t base : {kPrefetchAhead + 128, kLargeCopyFrom, std::size_t{65536}})
    for (std::size_t d : {0, 1, 31, 32, 127, 128, 129}) s.push_back(base + d);
  s.push_back(kLargeCopyFrom - 1);
  return s;
}

TEST(Copy, LargeCopiesEveryByteAndNothingElse) {
  for (std::size_t n : sizes())
    for (std::size_t off : {0, 1, 8, 33}) check_copies(copy_large, n, off, (off * 7) % 64);
}

// Streaming stores need an aligned destination: the destination offsets cover every position against a 32-byte
// vector, so the ordinary stores before the first boundary and after the last one are exercised too.
TEST(Copy, StreamingCopiesEveryByteAndNothingElse) {
  for (std::size_t n : sizes())
    for (std::size_t to_offset : {0, 1, 15, 16, 31, 32, 40})
      check_copies(copy_large_streaming, n, to_offset % 8, to_offset);
}

// The held small messages' copy (copy_streaming_unfenced): every byte, then zeros up to the destination's next
// 16-byte boundary (its last streaming store is padded; a message that ends before the destination's first boundary
// is copied with ordinary stores alone), and nothing before the destination or past that boundary.
TEST(Copy, StreamingUnfencedCopiesEveryByteAndPadsToSixteen) {
  auto copy = [](std::byte* to, const std::byte* from, std::size_t n) {
    copy_streaming_unfenced(to, from, n);
    streaming_fence();
  };
  auto padded = [](const std::byte* dst, std::size_t n) -> std::size_t {
    const auto at = reinterpret_cast<std::uintptr_t>(dst);
    const std::size_t head = (16 - (at & 15)) & 15;  // ordinary stores up to the first boundary, unpadded
    return n <= head ? n : ((at + n + 15) & ~std::uintptr_t{15}) - at;
  };
  for (std::size_t n : sizes())
    for (std::size_t to_offset : {0, 5, 16, 48}) check_copies(copy, n, 3, to_offset, padded);
}

TEST(Copy, IntoSlotCopiesEveryByteWithEitherStores) {
  for (bool streaming : {false, true}) {
    auto copy = [streaming](std::byte* to, const std::byte* from, std::size_t n) {
      copy_into_slot(to, from, n, streaming);
    };
    for (std::size_t n : sizes())
      for (std::size_t off : {0, 5, 64}) check_copies(copy, n, off % 8, off);
  }
}

TEST(Copy, PayloadCopiesEveryByteOnEitherSideOfTheThreshold) {
  for (std::size_t n : sizes())
    for (std::size_t off : {0, 3, 8}) check_copies(copy_payload, n, off, off + 5);
}

TEST(Copy, MessageCopiesEveryByte) {
  for (std::size_t n : sizes())
    for (std::size_t off : {0, 8, 13}) check_copies(copy_message, n, off, 8);
}

}  // namespace
}  // namespace ipcbench
