#include "transports/copy.hpp"

namespace ipcbench {

namespace {
// Unaligned, aliasing 32-byte vectors: two 16-byte moves each without AVX2, one with it.
typedef char Vec __attribute__((vector_size(32), aligned(1), may_alias));

// Four vectors per step, loads before stores; the tail (under 128 bytes) by memcpy. The loop stays a loop: GCC does
// not turn vector moves back into a memcpy call (checked in the disassembly).
[[gnu::always_inline]] inline void copy_vectors(std::byte* to, const std::byte* from, std::size_t n) {
  constexpr std::size_t kStep = 4 * sizeof(Vec);
  std::size_t i = 0;
  for (; i + kStep <= n; i += kStep) {
    const Vec* s = reinterpret_cast<const Vec*>(from + i);
    Vec* d = reinterpret_cast<Vec*>(to + i);
    const Vec a = s[0], b = s[1], c = s[2], e = s[3];
    d[0] = a;
    d[1] = b;
    d[2] = c;
    d[3] = e;
  }
  if (i < n) std::memcpy(to + i, from + i, n - i);
}

__attribute__((target("avx2"))) void copy_avx2(std::byte* to, const std::byte* from, std::size_t n) {
  copy_vectors(to, from, n);
}
void copy_baseline(std::byte* to, const std::byte* from, std::size_t n) { copy_vectors(to, from, n); }

// Chosen once, by hand rather than with target_clones: an ifunc resolver runs before ThreadSanitizer's runtime
// is up, and the TSan build of the ring tests crashed in it.
using CopyFn = void (*)(std::byte*, const std::byte*, std::size_t);
CopyFn pick() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") ? copy_avx2 : copy_baseline;
}
}  // namespace

void copy_large(std::byte* to, const std::byte* from, std::size_t n) {
  static const CopyFn copy = pick();  // a local static: safe even from another file's static initialisation
  copy(to, from, n);
}

}  // namespace ipcbench
