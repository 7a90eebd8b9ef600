#include "hpcmon/safe_dirs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <vector>

namespace hpcmon::safe {
namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
constexpr int kMaxSymlinks = 40;
constexpr int kMaxDepth = 64;

std::string err(const std::string& what) { return what + ": " + std::strerror(errno); }

std::deque<std::string> components(const std::string& path) {
  std::deque<std::string> out;
  std::string cur;
  for (char c : path + "/") {
    if (c == '/') {
      if (!cur.empty() && cur != ".") out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

// Root's directory that no one else can change under us.
bool trusted(const struct stat& st) {
  return S_ISDIR(st.st_mode) && st.st_uid == 0 && (!(st.st_mode & (S_IWGRP | S_IWOTH)) || (st.st_mode & S_ISVTX));
}

// Empties `dir`. Descends only into real directories of `owner` on the same filesystem: a
// directory the user moved in from elsewhere (another owner's) is left alone.
bool remove_below(int dir, dev_t dev, uid_t owner, int depth, std::string* why) {
  if (depth > kMaxDepth) {
    *why = "directory tree deeper than 64 levels";
    return false;
  }
  int listing = dup(dir);
  DIR* d = listing >= 0 ? fdopendir(listing) : nullptr;
  if (!d) {
    if (listing >= 0) close(listing);
    *why = err("cannot list a directory");
    return false;
  }
  bool ok = true;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
  }
  closedir(d);
  for (const std::string& n : names) {
    struct stat st {};
    if (fstatat(dir, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // already gone
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev || st.st_uid != owner) {
        *why = n + ": " + (st.st_dev != dev ? "another filesystem" : "another owner's directory") + ", left alone";
        ok = false;
        continue;
      }
      Fd sub(openat(dir, n.c_str(), kDirFlags));
      struct stat opened {};
      if (!sub.ok() || fstat(sub.get(), &opened) != 0 || opened.st_ino != st.st_ino || opened.st_dev != dev) {
        *why = n + ": changed while being removed, left alone";
        ok = false;
        continue;
      }
      if (!remove_below(sub.get(), dev, owner, depth + 1, why)) {
        ok = false;
        continue;
      }
      if (unlinkat(dir, n.c_str(), AT_REMOVEDIR) != 0) {
        *why = err("cannot remove " + n);
        ok = false;
      }
    } else if (unlinkat(dir, n.c_str(), 0) != 0 && errno != ENOENT) {
      *why = err("cannot remove " + n);
      ok = false;
    }
  }
  return ok;
}

}  // namespace

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) close(fd_);
}

Fd open_trusted_dir(const std::string& path, bool create, std::string* why) {
  if (path.empty() || path[0] != '/') {
    *why = path + ": not an absolute path";
    return Fd();
  }
  std::vector<Fd> stack;  // the directories walked so far, for ".."
  stack.emplace_back(open("/", kDirFlags));
  std::deque<std::string> todo = components(path);
  int symlinks = 0;
  std::string walked;
  while (true) {
    struct stat st {};
    if (!stack.back().ok() || fstat(stack.back().get(), &st) != 0) {
      *why = err(path + ": cannot open " + (walked.empty() ? "/" : walked));
      return Fd();
    }
    if (!trusted(st)) {
      *why = path + ": " + (walked.empty() ? "/" : walked) +
             " is not a root-owned directory closed to other users";
      return Fd();
    }
    if (todo.empty()) return std::move(stack.back());
    const std::string name = todo.front();
    todo.pop_front();
    if (name == "..") {
      if (stack.size() > 1) stack.pop_back();
      continue;
    }
    walked += "/" + name;
    const int at = stack.back().get();
    if (fstatat(at, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT || !create || (mkdirat(at, name.c_str(), 0755) != 0 && errno != EEXIST)) {
        *why = err(path + ": " + walked);
        return Fd();
      }
      if (fstatat(at, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        *why = err(path + ": " + walked);
        return Fd();
      }
    }
    if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = readlinkat(at, name.c_str(), target, sizeof target - 1);
      if (st.st_uid != 0 || n <= 0 || ++symlinks > kMaxSymlinks) {
        *why = path + ": " + walked + " is a symlink not owned by root";
        return Fd();
      }
      target[n] = '\0';
      std::deque<std::string> more = components(target);
      todo.insert(todo.begin(), more.begin(), more.end());
      if (target[0] == '/') {
        stack.clear();
        stack.emplace_back(open("/", kDirFlags));
      }
      continue;
    }
    stack.emplace_back(openat(at, name.c_str(), kDirFlags));
  }
}

Fd make_owned_dir(int parent, const std::string& name, uid_t uid, gid_t gid, mode_t mode, std::string* why) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    *why = name + ": not a plain name";
    return Fd();
  }
  if (mkdirat(parent, name.c_str(), 0700) != 0 && errno != EEXIST) {
    *why = err(name + ": cannot create");
    return Fd();
  }
  // O_PATH needs no read permission on the directory itself, so a folder that is already
  // right can be checked even where root is squashed to nobody (NFS root_squash).
  Fd dir(openat(parent, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir.ok()) {
    *why = errno == ELOOP || errno == ENOTDIR ? name + ": is a symlink or not a directory, not used"
                                              : err(name + ": cannot open");
    return Fd();
  }
  struct stat st {};
  if (fstat(dir.get(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    *why = name + ": is a symlink or not a directory, not used";
    return Fd();
  }
  if (st.st_uid != 0 && st.st_uid != uid) {
    *why = name + ": owned by uid " + std::to_string(st.st_uid) + ", not by the job's user; not used";
    return Fd();
  }
  if ((st.st_uid != uid || st.st_gid != gid) && fchownat(dir.get(), "", uid, gid, AT_EMPTY_PATH) != 0) {
    *why = err(name + ": cannot change owner");
    return Fd();
  }
  if ((st.st_mode & 07777) != mode) {
    // fchmod needs a real descriptor: reopen, and make sure it is the same directory.
    Fd real(openat(parent, name.c_str(), kDirFlags));
    struct stat again {};
    if (!real.ok() || fstat(real.get(), &again) != 0 || again.st_ino != st.st_ino || again.st_dev != st.st_dev) {
      *why = name + ": changed while being set up, not used";
      return Fd();
    }
    if (fchmod(real.get(), mode) != 0) {
      *why = err(name + ": cannot change mode");
      return Fd();
    }
  }
  return dir;
}

bool remove_tree(int parent, const std::string& name, uid_t owner, std::string* why) {
  Fd dir(openat(parent, name.c_str(), kDirFlags));
  if (!dir.ok()) {
    if (errno == ENOENT) return true;
    *why = errno == ELOOP || errno == ENOTDIR ? name + ": is a symlink or not a directory, left alone"
                                              : err(name + ": cannot open");
    return false;
  }
  struct stat st {};
  if (fstat(dir.get(), &st) != 0 || (st.st_uid != 0 && st.st_uid != owner)) {
    *why = name + ": not owned by the job's user, left alone";
    return false;
  }
  if (!remove_below(dir.get(), st.st_dev, owner, 0, why)) return false;
  if (unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    *why = err(name + ": cannot remove");
    return false;
  }
  return true;
}

}  // namespace hpcmon::safe
