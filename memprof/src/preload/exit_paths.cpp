// Profiles of processes that do not return from main or call exit: `_exit`/`_Exit` (what
// Open MPI's MPI_Abort ends with) are interposed, and fatal signals whose disposition is still
// the default get a handler that writes the profile, then lets the signal kill the process as it
// would have (same signal, so the parent's wait status is unchanged).
// Never: write from a vfork child (it shares its parent's memory and flags), write while the
// interrupted thread is inside the preload (it may hold a table lock), or take over a signal the
// program has a handler for or ignores.
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "state.hpp"

namespace hpcmon::mem {
namespace {

std::atomic<pid_t> owner_pid{0};  // the process whose tables these are (fork children update it)

void after_fork_in_child() { owner_pid.store(static_cast<pid_t>(syscall(SYS_getpid)), std::memory_order_relaxed); }

bool is_owner() { return static_cast<pid_t>(syscall(SYS_getpid)) == owner_pid.load(std::memory_order_relaxed); }

// Fatal signals that kill by default; SIGINT is left alone (interpreters such as Python install
// their own handler only while it is the default).
constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTERM, SIGQUIT, SIGHUP, SIGXCPU};

void on_fatal_signal(int sig, siginfo_t*, void*) {
  const int saved_errno = errno;
  // SA_RESETHAND made the disposition the default again on entry.
  if (reentry_depth == 0 && is_owner()) write_profile();
  // Sent again to this thread: it is blocked until the handler returns, then kills with the
  // original signal (a fault would also recur on return; this makes both cases the same).
  syscall(SYS_tgkill, syscall(SYS_getpid), syscall(SYS_gettid), sig);
  errno = saved_errno;
}

[[noreturn]] void exit_group(int status) {
  for (;;) syscall(SYS_exit_group, status);
}

}  // namespace

void install_exit_paths() {
  owner_pid.store(static_cast<pid_t>(syscall(SYS_getpid)), std::memory_order_relaxed);
  pthread_atfork(nullptr, nullptr, after_fork_in_child);
  for (const int sig : kFatalSignals) {
    struct sigaction current {};
    if (sigaction(sig, nullptr, &current) != 0) continue;
    if ((current.sa_flags & SA_SIGINFO) != 0 || current.sa_handler != SIG_DFL) continue;  // the program's
    struct sigaction ours {};
    ours.sa_sigaction = on_fatal_signal;
    ours.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK;
    sigemptyset(&ours.sa_mask);
    sigaction(sig, &ours, nullptr);
  }
}

void write_profile_before_exit() {
  if (reentry_depth == 0 && is_owner()) write_profile();
}

}  // namespace hpcmon::mem

extern "C" {
__attribute__((visibility("default"))) void _exit(int status) {
  hpcmon::mem::write_profile_before_exit();
  hpcmon::mem::exit_group(status);
}
__attribute__((visibility("default"))) void _Exit(int status) {
  hpcmon::mem::write_profile_before_exit();
  hpcmon::mem::exit_group(status);
}
}
