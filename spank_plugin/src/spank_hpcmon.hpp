// spank_hpcmon.so: the Slurm SPANK plugin of hpcmon.
//
// What it is: the `--hpcmon[=on|off|<events>]` option of srun/sbatch/salloc, the preload
// environment of every task (LD_PRELOAD of libhpcmon_mpi.so plus HPCMON_<SECTION>__<KEY>
// settings, so ranks read no configuration file), and the root-side set-up of a job on a
// compute node: its run directory, the user's record folder, and the step events sent to the
// node agent (docs/agent-protocol.md).
// What it owns: the plugstack.conf arguments (args.hpp), the option (option.hpp), the run
// directory `<run_dir>/<jobid>` from creation to removal in job_epilog.
// What it must never do: follow a symlink or open a user-controlled path as root without
// O_NOFOLLOW and an fstat owner check; honour HPCMON_* or paths from the job's environment in
// root context; block or fail a job (the plugin is `optional`, every error is logged and the
// job runs unmonitored); throw across the C boundary of a slurm_spank_* hook.
#pragma once

extern "C" {
#include <slurm/spank.h>
}

namespace hpcmon::spank {

// Per-context halves, called by the dispatch file (dispatch.cpp) only.
int local_init(spank_t sp, int ac, char** av);      // srun, sbatch, salloc
int remote_init_post_opt(spank_t sp, int ac, char** av);
int remote_user_init(spank_t sp, int ac, char** av);
int remote_task_post_fork(spank_t sp, int ac, char** av);
int remote_task_exit(spank_t sp, int ac, char** av);
int remote_exit(spank_t sp, int ac, char** av);
int job_prolog(spank_t sp, int ac, char** av);
int job_epilog(spank_t sp, int ac, char** av);

// Registers --hpcmon in every context that shows or receives it.
int register_option(spank_t sp);
// The plugstack arguments of this process, parsed once; problems logged once per process.
struct PluginArgs;
const PluginArgs& plugin_args(int ac, char** av);

}  // namespace hpcmon::spank
