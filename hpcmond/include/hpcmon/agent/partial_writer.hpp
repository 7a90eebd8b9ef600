// Writes a node partial record into a user's record folder without ever following a path
// the user controls. The agent runs as root and the per-user folder belongs to the user:
//  - the record directory (from the agent's own configuration) must be root's and closed to
//    others all the way down (hpcmon/safe_dirs.hpp, the plugin's rule too);
//  - the user folder is created, or adopted when it is root's or the job user's, as
//    uid:record_group, mode 2750, never through a symlink (safe::make_owned_dir);
//  - the rest is done by a child process that has dropped to the job's uid and gid: it walks
//    YYYY/MM/DD with openat(O_NOFOLLOW) and fstat owner checks, then writes with
//    store::write_record inside the day folder (then the step's memory profiles, as that user), so any symlink the user plants leads only
//    where the user could write anyway, and the file belongs to the user like rank 0's record.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "hpcmon/memprof_record.hpp"
#include "hpcmon/record.hpp"

namespace hpcmon::agent {

struct PartialTarget {
  std::filesystem::path record_dir;
  std::string user;  // name from step_start (escaped by node_partial_path)
  uid_t uid = 0;
  gid_t gid = 0;
  std::string record_group;  // group of a user folder the agent creates; empty or unknown: gid
  std::string node;
  // The child is killed past this (a hung file system must not stall the event loop).
  std::chrono::milliseconds write_timeout{30000};
  // The step's run directory, Slurm job id and step: when set, the child (already the job's
  // user) adds the step's memory profiles found there as /memory (memprof_record.hpp).
  std::string memory_run_dir{}, memory_job{}, memory_step{};
  // Profiles the agent secured (held open) before the job's epilog removed the run directory:
  // read instead of the folder when set.
  std::shared_ptr<const mem::ProfileFiles> memory_files{};
  // Whether the plugin said the step's memory is profiled (absent from an older plugin): when
  // true, a partial without any profile of the step gets a note (one warning line in the log).
  std::optional<bool> memory_profiled{};
};

struct WriteOutcome {
  bool ok = false;
  std::filesystem::path path;  // where the record is (or would have been)
  std::string error;           // one line when !ok
  std::string note;            // when ok: what the child could not add (refused memory profiles)
};

WriteOutcome write_partial(const PartialTarget& target, const record::JobRecord& rec);

}  // namespace hpcmon::agent
