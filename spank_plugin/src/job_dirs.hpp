// The two directories root-side code makes for a job (architecture: "Ownership and
// permissions"): the run directory and the user's record folder. No Slurm calls: unit-tested.
#pragma once

#include <sys/types.h>

#include <string>

namespace hpcmon::spank {

// `<run_base>/<job_id>`, owner uid:gid, mode 0700; the base is created root 0755 if missing.
// Returns the path, or "" and *why.
std::string ensure_run_dir(const std::string& run_base, std::uint32_t job_id, uid_t uid, gid_t gid,
                           std::string* why);

// `<record_dir>/<user>`, owner uid, group `hpcmon` (or `fallback_gid`, with *note set, when the
// site has no such group), setgid, mode 2750. Returns the path, or "" and *why.
std::string ensure_record_folder(const std::string& record_dir, const std::string& user, uid_t uid,
                                 gid_t fallback_gid, std::string* why, std::string* note);

// Removes `<run_base>/<job_id>` without following symlinks. True when it is gone.
bool remove_run_dir(const std::string& run_base, std::uint32_t job_id, uid_t uid, std::string* why);

// True when `<run_base>/<job_id>` (a folder of uid, never followed through a symlink) holds a
// memory profile (`*.memprof`).
bool run_dir_has_profiles(const std::string& run_base, std::uint32_t job_id, uid_t uid);

// The gid of group `hpcmon`, or false.
bool hpcmon_group(gid_t* gid);

}  // namespace hpcmon::spank
