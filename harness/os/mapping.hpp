#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <utility>

#include "harness/os/error.hpp"

namespace ipcbench::os {

// Move-only owner of an mmap'ed region.
class Mapping {
 public:
  Mapping() noexcept = default;
  Mapping(Mapping&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
  Mapping& operator=(Mapping&& other) noexcept {
    if (this != &other) {
      reset();
      data_ = std::exchange(other.data_, nullptr);
      bytes_ = std::exchange(other.bytes_, 0);
    }
    return *this;
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { reset(); }

  // Shared anonymous memory survives fork in both processes and has no name that could leak.
  // MAP_POPULATE keeps first-touch page faults out of the timed loop.
  static Mapping shared_anonymous(std::size_t bytes) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) throw_errno("mmap(" + std::to_string(bytes) + " bytes, MAP_SHARED|MAP_ANONYMOUS)");
    Mapping m;
    m.data_ = p;
    m.bytes_ = bytes;
    return m;
  }

  // Private anonymous memory, not touched: pages are faulted in (and huge pages granted) on first write.
  static Mapping private_anonymous(std::size_t bytes) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw_errno("mmap(" + std::to_string(bytes) + " bytes, MAP_PRIVATE|MAP_ANONYMOUS)");
    Mapping m;
    m.data_ = p;
    m.bytes_ = bytes;
    return m;
  }

  [[nodiscard]] std::byte* data() const noexcept { return static_cast<std::byte*>(data_); }
  [[nodiscard]] std::size_t size() const noexcept { return bytes_; }
  void reset() noexcept {
    if (data_ != nullptr) ::munmap(std::exchange(data_, nullptr), std::exchange(bytes_, 0));
  }

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace ipcbench::os
