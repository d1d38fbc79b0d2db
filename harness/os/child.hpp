#pragma once
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

namespace ipcbench::os {

struct ExitStatus {
  bool exited = false;  // false: killed by a signal
  int code = 0;         // exit code or signal number
  [[nodiscard]] bool ok() const noexcept { return exited && code == 0; }
  [[nodiscard]] std::string describe() const;  // "exited with status 1", "killed by signal 9 (Killed)"
};

// A forked child that is always reaped: the destructor kills (SIGKILL) and waits if still running.
class ChildProcess {
 public:
  ChildProcess() = default;
  // Forks; the child runs body() and leaves with _exit(its return value) — never returns, never runs
  // the parent's atexit handlers or destructors. An exception escaping body() exits with status 70.
  static ChildProcess spawn(const std::function<int()>& body);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  std::optional<ExitStatus> try_wait();        // non-blocking
  ExitStatus wait_for(double timeout_s);       // waits, then SIGKILLs if still running
  ExitStatus kill_and_wait() noexcept;
  [[nodiscard]] const std::optional<ExitStatus>& status() const noexcept { return status_; }

 private:
  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
};

}  // namespace ipcbench::os
