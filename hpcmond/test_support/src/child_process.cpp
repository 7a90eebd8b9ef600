#include "hpcmon/test_support/child_process.hpp"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

namespace hpcmon::test_support {

void ChildProcess::start(const std::vector<std::string>& argv, const std::filesystem::path& output,
                         const std::vector<std::string>& unset_env) {
  pid_ = ::fork();
  if (pid_ != 0) return;
  ::setpgid(0, 0);
  if (std::FILE* out = std::fopen(output.c_str(), "a")) {
    ::dup2(fileno(out), 1);
    ::dup2(fileno(out), 2);
  }
  for (const auto& name : unset_env) ::unsetenv(name.c_str());
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

void ChildProcess::kill(int signal) {
  if (pid_ <= 0) return;
  ::kill(-pid_, signal);
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void ChildProcess::signal(int signal) const {
  if (pid_ > 0) ::kill(pid_, signal);
}

bool ChildProcess::running() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

}  // namespace hpcmon::test_support
