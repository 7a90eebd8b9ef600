// Directories made and removed as root on behalf of a job (library hpcmon_safe_files).
// What it is: the one implementation of the architecture's root-side rule for folders, used by
// the SPANK plugin (run directory, per-user record folder) and the node agent (record folder).
// What it owns: never going through a symlink or a directory a user could swap. Every call
// works on directory file descriptors (openat family, O_NOFOLLOW, fstat owner checks), so a
// path a user plants between two calls is never followed.
// What it must never do: depend on anything but libc (it is linked into spank_hpcmon.so).
#pragma once

#include <sys/types.h>

#include <string>

namespace hpcmon::safe {

// A file descriptor closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

// Opens an administrator's absolute directory path (record_dir=, run_dir=), creating missing
// components as root, mode 0755, when `create`. Every directory on the way must be owned by
// root and not writable by group or others unless sticky (like /tmp); a symlink on the way is
// followed only when root owns it. Otherwise: an invalid Fd and the reason in *why.
Fd open_trusted_dir(const std::string& path, bool create, std::string* why);

// Creates `name` in the directory `parent`, or adopts it when it exists as a real directory
// owned by root or by `uid`, and gives it owner uid:gid and `mode` (set with fchown/fchmod on
// the open directory, so setgid bits survive the umask). A symlink, a non-directory or a
// directory of another owner is refused: an invalid Fd and the reason in *why. The Fd returned
// is an O_PATH descriptor (for fstat and *at calls, not for reading).
Fd make_owned_dir(int parent, const std::string& name, uid_t uid, gid_t gid, mode_t mode, std::string* why);

// Removes the directory `name` of `parent` and everything below it, never following a symlink
// nor crossing into another filesystem. Refused when `name` is not a real directory owned by
// root or `owner`. A missing `name` is success.
bool remove_tree(int parent, const std::string& name, uid_t owner, std::string* why);

}  // namespace hpcmon::safe
