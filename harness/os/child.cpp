#include "harness/os/child.hpp"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <utility>

#include "harness/os/cancel.hpp"
#include "harness/os/error.hpp"

namespace ipcbench::os {

std::string ExitStatus::describe() const {
  if (exited) return "exited with status " + std::to_string(code);
  return "killed by signal " + std::to_string(code) + " (" + ::strsignal(code) + ")";
}

namespace {
ExitStatus decode(int wstatus) {
  if (WIFEXITED(wstatus)) return {true, WEXITSTATUS(wstatus)};
  return {false, WTERMSIG(wstatus)};
}
}  // namespace

ChildProcess ChildProcess::spawn(const std::function<int()>& body) {
  pid_t parent = ::getpid();
  std::fflush(nullptr);  // no buffered output duplicated into the child
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    int code = 70;
    try {
      child_signal_setup(parent);
      code = body();
    } catch (...) {
    }
    ::_exit(code);
  }
  ChildProcess c;
  c.pid_ = pid;
  return c;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), status_(std::move(other.status_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    kill_and_wait();
    pid_ = std::exchange(other.pid_, -1);
    status_ = std::move(other.status_);
  }
  return *this;
}

ChildProcess::~ChildProcess() { kill_and_wait(); }

std::optional<ExitStatus> ChildProcess::try_wait() {
  if (status_ || pid_ < 0) return status_;
  int ws = 0;
  pid_t r;
  do r = ::waitpid(pid_, &ws, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == pid_) status_ = decode(ws);
  return status_;
}

ExitStatus ChildProcess::wait_for(double timeout_s) {
  timespec step{0, 1'000'000};
  for (double waited = 0; waited < timeout_s; waited += 0.001) {
    if (auto s = try_wait()) return *s;
    ::nanosleep(&step, nullptr);
  }
  return kill_and_wait();
}

ExitStatus ChildProcess::kill_and_wait() noexcept {
  if (pid_ < 0) return status_.value_or(ExitStatus{});
  if (!status_) {
    ::kill(pid_, SIGKILL);
    int ws = 0;
    pid_t r;
    do r = ::waitpid(pid_, &ws, 0);
    while (r < 0 && errno == EINTR);
    status_ = r == pid_ ? decode(ws) : ExitStatus{false, SIGKILL};
  }
  return *status_;
}

}  // namespace ipcbench::os
