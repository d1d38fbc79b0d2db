#pragma once
// The shm ring's copies into and out of its slots (ShmRing::send and recv, transports/shm.hpp): large messages in
// any ring and in the copy baselines, small ones in a duplex ring. In a header of its own so that the ring-steps
// tool (benchmarks/ring_steps.cpp) copies its payloads exactly as the ring does.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__x86_64__) || defined(__i386__)
#include <emmintrin.h>
#endif

namespace ipcbench {

// A ring's copy of a large message into or out of its slot (copy_message below hands large ones here too), and the
// copy-in/copy-out baselines' (the same copies, so that the comparison is of the synchronisation alone). glibc
// copies blocks from a few KiB up with `rep movsb`, which on the development VM (AMD EPYC, Zen 4) moved a 64 KiB
// message across the two CPUs at 13-29 GB/s by stretch, against 29-31 GB/s with its vector loop
// (GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=4194304, the same runs). copy_large is such a loop: 32-byte
// vectors (AVX2 where the CPU has it, picked at the first call), four per step, prefetching 4 KiB ahead (copy.cpp).
// Smaller messages keep memcpy (4 KiB streams measured the same either way).
inline constexpr std::size_t kLargeCopyFrom = 8 * 1024;
inline constexpr std::size_t kPrefetchAhead = 4096;  // how far ahead copy_large reads (copy.cpp says why 4 KiB)
void copy_large(std::byte* to, const std::byte* from, std::size_t n);
[[gnu::always_inline]] inline void copy_payload(std::byte* to, const std::byte* from, std::size_t n) {
  if (n >= kLargeCopyFrom) copy_large(to, from, n);
  else std::memcpy(to, from, n);
}

// The same copy with non-temporal (streaming) stores: the destination's lines go to memory instead of into this
// core's caches, and every store is visible before the function returns (SFENCE), so a release store after it
// publishes the copy. Ordinary stores up to the destination's first vector boundary and after its last one. For
// a one-way ring whose two ends do not share a cache (TransportOptions::streaming_copy_in): a consumer on another
// die then reads each line from memory instead of taking it out of the producer's caches one coherence transfer
// at a time. Next to a 410-480 ns cache-line floor (two dies), 64 KiB streams moved 5.6 GB/s with copy_large and
// 25 GB/s with this copy, in the ring and in both copy baselines alike (README, "The far regime"). Not for a
// consumer that shares a cache with the producer, which would read from memory what it could have had from that
// cache. Without x86 vector stores it is copy_large.
void copy_large_streaming(std::byte* to, const std::byte* from, std::size_t n);
// A one-way ring's (or copy baseline's) copy of a message into its slot.
[[gnu::always_inline]] inline void copy_into_slot(std::byte* to, const std::byte* from, std::size_t n,
                                                  bool streaming) {
  if (streaming && n >= kLargeCopyFrom) copy_large_streaming(to, from, n);
  else copy_payload(to, from, n);
}

// A one-way ring's copy of a small message (under kLargeCopyFrom) into its slot with streaming stores and no fence:
// the ring holds back the sequence words of a batch of such messages and publishes them together after one
// streaming_fence() (ShmRing, Layout::stream_batch). Inline, 16-byte SSE2 stores (every x86-64 has them) from the
// destination's first 16-byte boundary (ordinary ones before it; a ring's payloads start on a line). The last
// bytes go out as one more streaming store, padded with zeros up to the destination's next 16-byte boundary, which
// the slot must have room for. An ordinary store into the line being streamed is what that avoids: 57 B messages,
// whose last 9 bytes were copied with memcpy, streamed at 3.2 M msgs/s against 39-40 M at 64 B, and at 40-42 M
// with the padded store (far regime). Elsewhere a plain copy.
[[gnu::always_inline]] inline void copy_streaming_unfenced(std::byte* to, const std::byte* from, std::size_t n) {
#if defined(__x86_64__) || defined(__i386__)
  std::size_t i = (16 - (reinterpret_cast<std::uintptr_t>(to) & 15)) & 15;
  if (i > n) i = n;
  std::memcpy(to, from, i);
  for (; i + 16 <= n; i += 16)
    _mm_stream_si128(reinterpret_cast<__m128i*>(to + i), _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + i)));
  if (i < n) {
    alignas(16) unsigned char last[16] = {};
    std::memcpy(last, from + i, n - i);
    _mm_stream_si128(reinterpret_cast<__m128i*>(to + i), _mm_load_si128(reinterpret_cast<const __m128i*>(last)));
  }
#else
  std::memcpy(to, from, n);
#endif
}
// Makes every streaming store before it visible before any store after it (a release store then publishes them).
[[gnu::always_inline]] inline void streaming_fence() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_sfence();
#else
  std::atomic_thread_fence(std::memory_order_release);
#endif
}

// A duplex ring's copy of a message into or out of its slot, with no call up to 64 bytes: two overlapping loads and
// stores of the widest width that fits (the bytes both cover are written twice, with the same value). A round trip
// makes four such copies on its critical path, and glibc's memcpy, reached through the PLT for a size known only
// at run time, is a call and a dispatch on the size each time. With it and the polling helpers inlined, 20 rounds
// alternating with the previous build gave 8 B round trips 0.97x its p50 (1.09x the cache-line floor against
// 1.14x); 64 B ones 1.00x. A one-way ring keeps glibc's memcpy below kLargeCopyFrom: with this copy, 64 B streams
// fell to 0.59x (42 against 70 M msgs/s, paired the same way): its consumer caught up with the producer and waited
// behind it 0.015 times per message instead of 0.0002 (trailing_waits), the slow state described in shm.hpp.
template <std::size_t W>
[[gnu::always_inline]] inline void copy_two(std::byte* to, const std::byte* from, std::size_t n) {
  unsigned char a[W], b[W];
  __builtin_memcpy(a, from, W);
  __builtin_memcpy(b, from + n - W, W);
  __builtin_memcpy(to, a, W);
  __builtin_memcpy(to + n - W, b, W);
}
[[gnu::always_inline]] inline void copy_message(std::byte* to, const std::byte* from, std::size_t n) {
  if (n > 64 || n < 8) copy_payload(to, from, n);
  else if (n > 32) copy_two<32>(to, from, n);
  else if (n > 16) copy_two<16>(to, from, n);
  else copy_two<8>(to, from, n);
}

}  // namespace ipcbench
