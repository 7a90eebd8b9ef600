#include "hpcmon/agent/partial_writer.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "hpcmon/memprof_record.hpp"
#include "hpcmon/safe_dirs.hpp"
#include "hpcmon/store.hpp"

namespace hpcmon::agent {
namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// Opens (creating when missing) the directory `name` under `parent`, never through a symlink,
// and checks it belongs to `owner` and is not writable by others. Empty string on success.
std::string open_dir(int parent, const std::string& name, uid_t owner, mode_t create_mode, int& out) {
  out = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (out < 0 && errno == ENOENT) {
    if (::mkdirat(parent, name.c_str(), create_mode) != 0 && errno != EEXIST) return errno_text(name + ": mkdir");
    out = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (out < 0) return errno_text(name + ": open (symlinks are refused)");
  struct stat st{};
  if (::fstat(out, &st) != 0) return errno_text(name + ": fstat");
  if (st.st_uid != owner)
    return name + ": owned by uid " + std::to_string(st.st_uid) + ", expected " + std::to_string(owner);
  if (st.st_mode & S_IWOTH) return name + ": writable by others";
  return {};
}

gid_t group_id(const std::string& name, gid_t fallback) {
  if (name.empty()) return fallback;
  std::vector<char> buffer(16384);
  group g{}, *found = nullptr;
  if (getgrnam_r(name.c_str(), &g, buffer.data(), buffer.size(), &found) == 0 && found) return found->gr_gid;
  return fallback;
}

// The child's part, as the job's user: day folders and the write. Never returns.
[[noreturn]] void child_write(int user_fd, const PartialTarget& t, uid_t uid, gid_t gid,
                              const std::vector<std::string>& days, const std::string& file,
                              const record::JobRecord& rec, int report_fd) {
  auto fail = [&](const std::string& message) {
    (void)!::write(report_fd, message.data(), message.size());
    ::_exit(1);
  };
  if (::getuid() != uid) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)
      fail(errno_text("cannot drop to uid " + std::to_string(uid)));
  }
  int dir = user_fd;
  for (const auto& day : days) {
    int next = -1;
    std::string error = open_dir(dir, day, uid, 0750, next);
    if (!error.empty()) fail(error);
    dir = next;
  }
  if (::fchdir(dir) != 0) fail(errno_text("fchdir"));
  const bool memory_wanted = t.memory_profiled.value_or(true) && (t.memory_files || !t.memory_run_dir.empty());
  // With profiles to add, the record is completed under a temporary name and renamed last:
  // a reader (the head's scan, a test) never sees the partial before its /memory.
  const std::string written = memory_wanted ? ".hpcmon-partial-" + std::to_string(::getpid()) + ".h5" : file;
  try {
    store::write_record(written, rec);
  } catch (const std::exception& e) {
    fail(e.what());
  }
  if (memory_wanted) {
    // As the job's user: the profiles and the binaries they name (for symbols) are read with
    // the user's rights only. A failure here keeps the record; it is reported as a note.
    std::string note;
    try {
      const mem::Collected c = t.memory_files
                                   ? mem::collect_step_profiles(*t.memory_files, uid, t.memory_job, t.memory_step)
                                   : mem::collect_step_profiles(t.memory_run_dir, uid, t.memory_job, t.memory_step);
      if (!c.processes.empty()) mem::write_memory_group(written, c.processes);
      const bool profiled = t.memory_profiled.value_or(false);
      for (const auto& problem : c.problems)
        if (profiled || !c.run_dir_missing) note += (note.empty() ? "" : "; ") + problem;
      if (profiled && c.processes.empty())
        note = "memory profiling was on, but the partial has no /memory: " +
               std::string(c.run_dir_missing ? "the run directory was removed before its profiles were secured"
                                             : "no profile of this step among " + std::to_string(c.files_seen) +
                                                   " in the run directory (a process killed by SIGKILL writes none)") +
               (note.empty() ? "" : " (" + note + ")");
    } catch (const std::exception& e) {
      note = std::string("memory profiles not added: ") + e.what();
    }
    if (!note.empty()) (void)!::write(report_fd, note.data(), std::min<std::size_t>(note.size(), 4000));
    if (::rename(written.c_str(), file.c_str()) != 0) {
      const std::string error = errno_text("rename " + written + " to " + file);
      ::unlink(written.c_str());
      fail(error);
    }
  }
  ::_exit(0);
}

}  // namespace

WriteOutcome write_partial(const PartialTarget& t, const record::JobRecord& rec) {
  WriteOutcome out;
  out.path = store::node_partial_path(t.record_dir, t.user, rec.job.start_ns, rec.job.key, t.node);
  // The same path relative to the record directory: user / YYYY / MM / DD / file, every part escaped.
  const auto relative = store::node_partial_path("", t.user, rec.job.start_ns, rec.job.key, t.node);
  std::vector<std::string> parts;
  for (const auto& p : relative) parts.push_back(p.string());
  if (parts.size() != 5) {
    out.error = "unexpected record path " + relative.string();
    return out;
  }

  // The same folder rules as the plugin's (common/safe_dirs): the record directory is root's
  // all the way down; the user folder is created or adopted as uid:record_group, mode 2750.
  std::string why;
  safe::Fd root = safe::open_trusted_dir(t.record_dir.string(), false, &why);
  if (!root.ok()) {
    out.error = why;
    return out;
  }
  safe::Fd user = safe::make_owned_dir(root.get(), parts[0], t.uid, group_id(t.record_group, t.gid), 02750, &why);
  if (!user.ok()) {
    out.error = "user folder " + why;
    return out;
  }

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    out.error = errno_text("pipe");
    return out;
  }
  const pid_t child = ::fork();
  if (child < 0) {
    out.error = errno_text("fork");
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return out;
  }
  if (child == 0) {
    ::close(pipe_fds[0]);
    child_write(user.get(), t, t.uid, t.gid, {parts[1], parts[2], parts[3]}, parts[4], rec, pipe_fds[1]);
  }
  ::close(pipe_fds[1]);
  // Bounded wait: the agent's single event loop must not stall on a hung filesystem.
  const auto deadline = std::chrono::steady_clock::now() + t.write_timeout;
  int status = 0;
  pid_t done = 0;
  while ((done = ::waitpid(child, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  if (done == 0) {
    ::kill(child, SIGKILL);
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    ::close(pipe_fds[0]);
    out.error = "writer process killed after " +
                std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(t.write_timeout).count()) +
                " ms (hung file system?)";
    return out;
  }
  std::string message;
  ::fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);  // the child is gone; read what it left
  char buffer[512];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) message.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  out.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (out.ok) out.note = message;
  if (!out.ok) out.error = message.empty() ? "writer process failed (status " + std::to_string(status) + ")" : message;
  return out;
}

}  // namespace hpcmon::agent
