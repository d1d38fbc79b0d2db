#pragma once
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace ipcbench::os {

// Shared (non-PRIVATE) futex operations: the words live in memory mapped by two processes.
inline long futex_wait(const std::atomic<std::uint32_t>* word, std::uint32_t expected) noexcept {
  return ::syscall(SYS_futex, word, FUTEX_WAIT, expected, nullptr, nullptr, 0);
}

inline long futex_wake(const std::atomic<std::uint32_t>* word, int waiters) noexcept {
  return ::syscall(SYS_futex, word, FUTEX_WAKE, waiters, nullptr, nullptr, 0);
}

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

}  // namespace ipcbench::os
