// Job-script context: `slurmstepd spank prolog|epilog`, run by slurmd as root once per job
// and node (only when slurmd started with the plugin listed: trap G14). No init ran here
// (trap G15): the plugstack arguments come through plugin_args(ac, av).
#include <pwd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "agent_event.hpp"
#include "job_dirs.hpp"
#include "plugin_state.hpp"

namespace hpcmon::spank {
namespace {

bool job_owner(spank_t sp, std::uint32_t* job_id, uid_t* uid, gid_t* gid) {
  if (spank_get_item(sp, S_JOB_ID, job_id) != ESPANK_SUCCESS || spank_get_item(sp, S_JOB_UID, uid) != ESPANK_SUCCESS)
    return false;
  if (spank_get_item(sp, S_JOB_GID, gid) == ESPANK_SUCCESS) return true;
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (getpwuid_r(*uid, &pw, buf.data(), buf.size(), &found) != 0 || !found) return false;
  *gid = found->pw_gid;
  return true;
}

}  // namespace

int job_prolog(spank_t sp, int ac, char** av) {
  const PluginArgs& args = plugin_args(ac, av);
  std::uint32_t job_id = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  if (!job_owner(sp, &job_id, &uid, &gid)) {
    slurm_error("hpcmon: job_prolog: job or user unknown");
    return 0;
  }
  std::string why;
  if (ensure_run_dir(args.run_dir, job_id, uid, gid, &why).empty())
    slurm_error("hpcmon: run directory: %s; job %u not monitored", why.c_str(), unsigned(job_id));
  return 0;
}

int job_epilog(spank_t sp, int ac, char** av) {
  const PluginArgs& args = plugin_args(ac, av);
  std::uint32_t job_id = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  if (!job_owner(sp, &job_id, &uid, &gid)) {
    slurm_error("hpcmon: job_epilog: job or user unknown");
    return 0;
  }
  std::string why;
  // Memory profiles still in the run directory: the agent may still have partials to write
  // with them. It answers once it holds them open (or at once, having nothing pending).
  if (run_dir_has_profiles(args.run_dir, job_id, uid)) {
    const EventLine line("job_end", job_id, "");
    if (!ask_agent(args.agent_socket, line.text(), kAgentTimeoutMs, kEpilogAnswerMs, &why))
      slurm_info("hpcmon: job %u: memory profiles removed without the node agent's answer: %s", unsigned(job_id),
                 why.c_str());
  }
  if (!remove_run_dir(args.run_dir, job_id, uid, &why))
    slurm_error("hpcmon: job %u: run directory not removed: %s", unsigned(job_id), why.c_str());
  return 0;
}

}  // namespace hpcmon::spank
