// A line's round trip by its address (README, "A line's address"): two processes pinned to CPUs 0 and 1 bounce one
// 64-bit word (2n+1 from the parent, 2n+2 back), line by line through a shared mapping, and print each line's
// median round trip in TSC ticks (batches of 8 round trips, one median per pass). Not part of the build: a bare
// loop, no harness, no clock read per round trip.
//   g++ -O2 -std=c++20 -o lines line-address.cpp           # spin without PAUSE
//   g++ -O2 -std=c++20 -DPAUSE -o lines-pause line-address.cpp
//   ./lines LINES ROUND_TRIPS PASSES STRIDE [START]  # e.g. ./lines 64 16000 3 64: every line of one page
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#ifdef PAUSE
#define RELAX() _mm_pause()
#else
#define RELAX()
#endif

static void pin(int c) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(c, &s);
  sched_setaffinity(0, sizeof s, &s);
}

int main(int argc, char** argv) {
  const int nlines = argc > 1 ? atoi(argv[1]) : 64;
  const int rounds = argc > 2 ? atoi(argv[2]) : 16000;
  const int reps = argc > 3 ? atoi(argv[3]) : 3;
  const size_t stride = argc > 4 ? atoi(argv[4]) : 64;
  const size_t start = argc > 5 ? atoi(argv[5]) : 0;
  if (nlines < 1 || rounds < 8 || reps < 1 || stride < 64 || stride % 64 || start % 64) {
    fprintf(stderr, "usage: lines LINES>=1 ROUND_TRIPS>=8 PASSES>=1 STRIDE(multiple of 64) [START(multiple of 64)]\n");
    return 2;
  }
  const size_t bytes = start + nlines * stride + 4096;
  char* m = (char*)mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  auto* ctl = (std::atomic<int>*)mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ctl->store(-1);
  if (fork() == 0) {
    pin(1);
    for (;;) {
      int l;
      while ((l = ctl->load(std::memory_order_acquire)) < 0) RELAX();
      if (l == 1000000) _exit(0);
      auto* w = (std::atomic<uint64_t>*)(m + start + (size_t)l * stride);
      for (uint64_t i = 1; i <= (uint64_t)rounds; i++) {
        while (w->load(std::memory_order_acquire) != 2 * i - 1) RELAX();
        w->store(2 * i, std::memory_order_release);
      }
      ctl->store(-2, std::memory_order_release);
      while (ctl->load(std::memory_order_acquire) == -2) RELAX();
    }
  }
  pin(0);
  std::vector<std::vector<uint64_t>> res(nlines);
  for (int r = 0; r < reps; r++)
    for (int l = 0; l < nlines; l++) {
      auto* w = (std::atomic<uint64_t>*)(m + start + (size_t)l * stride);
      w->store(0);
      std::vector<uint64_t> t(rounds / 8);
      ctl->store(l, std::memory_order_release);
      uint64_t a = __rdtsc();
      for (uint64_t i = 1; i <= (uint64_t)rounds; i++) {
        w->store(2 * i - 1, std::memory_order_release);
        while (w->load(std::memory_order_acquire) != 2 * i) RELAX();
        if (i % 8 == 0) {
          const uint64_t b = __rdtsc();
          t[i / 8 - 1] = (b - a) / 8;
          a = b;
        }
      }
      while (ctl->load(std::memory_order_acquire) != -2) RELAX();
      ctl->store(-1, std::memory_order_release);
      std::sort(t.begin(), t.end());
      res[l].push_back(t[t.size() / 2]);
    }
  ctl->store(1000000);
  wait(nullptr);
  for (int l = 0; l < nlines; l++) {
    printf("%3d off %6zu:", l, start + (size_t)l * stride);
    for (auto x : res[l]) printf(" %5llu", (unsigned long long)x);
    printf("\n");
  }
}
