#include "job_dirs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <cstdint>
#include <vector>

#include "hpcmon/safe_dirs.hpp"

namespace hpcmon::spank {

using namespace hpcmon::safe;

bool hpcmon_group(gid_t* gid) {
  group gr{};
  group* found = nullptr;
  std::vector<char> buf(16384);
  if (getgrnam_r("hpcmon", &gr, buf.data(), buf.size(), &found) != 0 || !found) return false;
  *gid = found->gr_gid;
  return true;
}

std::string ensure_run_dir(const std::string& run_base, std::uint32_t job_id, uid_t uid, gid_t gid,
                           std::string* why) {
  Fd base = open_trusted_dir(run_base, true, why);
  if (!base.ok()) return "";
  const std::string name = std::to_string(job_id);
  Fd dir = make_owned_dir(base.get(), name, uid, gid, 0700, why);
  if (!dir.ok()) {
    *why = run_base + "/" + *why;
    return "";
  }
  return run_base + "/" + name;
}

std::string ensure_record_folder(const std::string& record_dir, const std::string& user, uid_t uid,
                                 gid_t fallback_gid, std::string* why, std::string* note) {
  gid_t gid = fallback_gid;
  if (!hpcmon_group(&gid)) {
    gid = fallback_gid;
    *note = "hpcmon: group hpcmon does not exist; record folders get the user's group";
  }
  Fd base = open_trusted_dir(record_dir, true, why);
  if (!base.ok()) return "";
  Fd dir = make_owned_dir(base.get(), user, uid, gid, 02750, why);
  if (!dir.ok()) {
    *why = record_dir + "/" + *why;
    return "";
  }
  return record_dir + "/" + user;
}

bool remove_run_dir(const std::string& run_base, std::uint32_t job_id, uid_t uid, std::string* why) {
  struct stat st {};
  if (stat(run_base.c_str(), &st) != 0 && errno == ENOENT) return true;  // nothing was made
  Fd base = open_trusted_dir(run_base, false, why);
  if (!base.ok()) return false;
  if (!remove_tree(base.get(), std::to_string(job_id), uid, why)) {
    *why = run_base + "/" + *why;
    return false;
  }
  return true;
}

bool run_dir_has_profiles(const std::string& run_base, std::uint32_t job_id, uid_t uid) {
  std::string why;
  Fd base = open_trusted_dir(run_base, false, &why);
  if (!base.ok()) return false;
  const int fd = openat(base.get(), std::to_string(job_id).c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  DIR* listing = fstat(fd, &st) == 0 && st.st_uid == uid ? fdopendir(fd) : nullptr;
  if (!listing) {
    close(fd);
    return false;
  }
  bool found = false;
  while (const dirent* e = readdir(listing)) {
    const std::string name = e->d_name;
    if (name.size() > 8 && name[0] != '.' && name.compare(name.size() - 8, 8, ".memprof") == 0) {
      found = true;
      break;
    }
  }
  closedir(listing);  // closes fd
  return found;
}

}  // namespace hpcmon::spank
