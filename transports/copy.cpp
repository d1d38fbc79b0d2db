#include "transports/copy.hpp"

#include <cstdint>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define IPCBENCH_STREAMING_STORES 1
#endif

namespace ipcbench {

namespace {
// Unaligned, aliasing 32-byte vectors: two 16-byte moves each without AVX2, one with it.
typedef char Vec __attribute__((vector_size(32), aligned(1), may_alias));

// Four vectors (two lines) per step, loads before stores; the tail (under 128 bytes) by memcpy. The loop stays a
// loop: GCC does not turn vector moves back into a memcpy call (checked in the disassembly).
//
// While more than kPrefetchAhead (copy.hpp) bytes remain, each step also prefetches the two lines that far ahead
// of it. The hardware prefetchers stop at every 4 KiB page, and a consumer reading a message that another die's
// producer streamed to memory waits on a fresh run of misses at each one. Development VM, next to a 410-480 ns
// floor, `shm` 64 KiB streams with and without it in alternating runs (2026-12-06): in stretches where the ring ran at
// 16.5-18.3 GB/s without it, 21.8-22.3 GB/s with it (shm-rawcopy 22.0-23.0 -> 24.3-24.9); in the usual far
// stretches 24.2-24.8 -> 25.3-26.5 GB/s (builds alternating); next to a 110-130 ns floor (38.5-39 GB/s), no
// difference beyond the run-to-run spread. 4 KiB ahead did best: 512 bytes cost 6-10 %, 1-2 KiB gained less,
// 16-32 KiB nothing (README, "Reading ahead, the tail after the reply, and code layout").
[[gnu::always_inline]] inline void copy_step(std::byte* to, const std::byte* from) {
  const Vec* s = reinterpret_cast<const Vec*>(from);
  Vec* d = reinterpret_cast<Vec*>(to);
  const Vec a = s[0], b = s[1], c = s[2], e = s[3];
  d[0] = a;
  d[1] = b;
  d[2] = c;
  d[3] = e;
}
[[gnu::always_inline]] inline void copy_vectors(std::byte* to, const std::byte* from, std::size_t n) {
  constexpr std::size_t kStep = 4 * sizeof(Vec);
  static_assert(kStep == 128, "one step is the two lines prefetched");
  std::size_t i = 0;
  for (; i + kPrefetchAhead + kStep <= n; i += kStep) {
    __builtin_prefetch(from + i + kPrefetchAhead, 0, 3);
    __builtin_prefetch(from + i + kPrefetchAhead + 64, 0, 3);
    copy_step(to + i, from + i);
  }
  for (; i + kStep <= n; i += kStep) copy_step(to + i, from + i);
  if (i < n) std::memcpy(to + i, from + i, n - i);
}

__attribute__((target("avx2"))) void copy_avx2(std::byte* to, const std::byte* from, std::size_t n) {
  copy_vectors(to, from, n);
}
void copy_baseline(std::byte* to, const std::byte* from, std::size_t n) { copy_vectors(to, from, n); }

// Chosen once, by hand rather than with target_clones: an ifunc resolver runs before ThreadSanitizer's runtime
// is up, and the TSan build of the ring tests crashed in it.
using CopyFn = void (*)(std::byte*, const std::byte*, std::size_t);
CopyFn pick(CopyFn avx2, CopyFn otherwise) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") ? avx2 : otherwise;
}
}  // namespace

void copy_large(std::byte* to, const std::byte* from, std::size_t n) {
  // a local static: safe even from another file's static initialisation
  static const CopyFn copy = pick(copy_avx2, copy_baseline);
  copy(to, from, n);
}

#ifdef IPCBENCH_STREAMING_STORES
namespace {
// Ordinary stores up to the destination's first vector boundary, then four aligned streaming stores per step,
// single ones, and ordinary stores for the rest; then SFENCE, which streaming stores need before a release store
// can publish them (they are weakly ordered). Written out twice rather than as a template taking the intrinsics:
// GCC does not inline AVX2 intrinsics into a lambda that lacks the function's target attribute.
std::size_t to_boundary(const std::byte* to, std::size_t align, std::size_t n) {
  const std::size_t head = (align - (reinterpret_cast<std::uintptr_t>(to) & (align - 1))) & (align - 1);
  return head < n ? head : n;
}

__attribute__((target("avx2"))) void stream_avx2(std::byte* to, const std::byte* from, std::size_t n) {
  std::size_t i = to_boundary(to, 32, n);
  std::memcpy(to, from, i);
  for (; i + 128 <= n; i += 128) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(from + i));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(from + i + 32));
    const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(from + i + 64));
    const __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(from + i + 96));
    _mm256_stream_si256(reinterpret_cast<__m256i*>(to + i), a);
    _mm256_stream_si256(reinterpret_cast<__m256i*>(to + i + 32), b);
    _mm256_stream_si256(reinterpret_cast<__m256i*>(to + i + 64), c);
    _mm256_stream_si256(reinterpret_cast<__m256i*>(to + i + 96), d);
  }
  for (; i + 32 <= n; i += 32) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(from + i));
    _mm256_stream_si256(reinterpret_cast<__m256i*>(to + i), a);
  }
  if (i < n) std::memcpy(to + i, from + i, n - i);
  _mm_sfence();
}

void stream_sse2(std::byte* to, const std::byte* from, std::size_t n) {
  std::size_t i = to_boundary(to, 16, n);
  std::memcpy(to, from, i);
  for (; i + 64 <= n; i += 64) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + i + 16));
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + i + 32));
    const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + i + 48));
    _mm_stream_si128(reinterpret_cast<__m128i*>(to + i), a);
    _mm_stream_si128(reinterpret_cast<__m128i*>(to + i + 16), b);
    _mm_stream_si128(reinterpret_cast<__m128i*>(to + i + 32), c);
    _mm_stream_si128(reinterpret_cast<__m128i*>(to + i + 48), d);
  }
  for (; i + 16 <= n; i += 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + i));
    _mm_stream_si128(reinterpret_cast<__m128i*>(to + i), a);
  }
  if (i < n) std::memcpy(to + i, from + i, n - i);
  _mm_sfence();
}

}  // namespace

void copy_large_streaming(std::byte* to, const std::byte* from, std::size_t n) {
  static const CopyFn copy = pick(stream_avx2, stream_sse2);
  copy(to, from, n);
}
#else
void copy_large_streaming(std::byte* to, const std::byte* from, std::size_t n) { copy_large(to, from, n); }
#endif

}  // namespace ipcbench
