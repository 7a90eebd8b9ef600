// A program run by a test in a process group of its own, its output appended to a file;
// SIGKILLed with its group and reaped when the object goes (pass or fail).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace hpcmon::test_support {

class ChildProcess {
 public:
  ChildProcess() = default;
  explicit ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& output = "/dev/null") {
    start(argv, output);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { kill(SIGKILL); }

  // argv[0] is the program's path; `unset_env` names variables the child must not inherit.
  void start(const std::vector<std::string>& argv, const std::filesystem::path& output = "/dev/null",
             const std::vector<std::string>& unset_env = {});
  // Sends `signal` to the group and waits until the child has exited.
  void kill(int signal);
  // Sends `signal` to the child only, without waiting.
  void signal(int signal) const;
  bool running() const;

 private:
  pid_t pid_ = -1;
};

}  // namespace hpcmon::test_support
