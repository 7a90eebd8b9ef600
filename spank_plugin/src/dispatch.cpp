// The only file with SPANK_PLUGIN(...) and the slurm_spank_* hooks. Each hook switches on
// spank_context() and calls the half for that context; nothing here throws or fails a job.
#include <exception>

#include "spank_hpcmon.hpp"

extern "C" {
// SPANK_PLUGIN defines const globals, which C++ gives internal linkage: declare them extern
// first so slurm finds them (Slurm test-cluster trap G17b).
extern const char plugin_name[];
extern const char plugin_type[];
extern const unsigned int plugin_version;
extern const unsigned int spank_plugin_version;
SPANK_PLUGIN(hpcmon, 1)
}

namespace {

// Runs one half; an escaping exception is logged and the job goes on.
template <typename F>
int guarded(const char* hook, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    slurm_error("hpcmon: %s: %s", hook, e.what());
  } catch (...) {
    slurm_error("hpcmon: %s: unexpected error", hook);
  }
  return 0;
}

}  // namespace

using namespace hpcmon::spank;

extern "C" {

int slurm_spank_init(spank_t sp, int ac, char** av) {
  return guarded("init", [&] {
    plugin_args(ac, av);
    switch (spank_context()) {
      case S_CTX_LOCAL:
      case S_CTX_ALLOCATOR:
      case S_CTX_REMOTE: return register_option(sp);
      default: return 0;
    }
  });
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char** av) {
  return guarded("init_post_opt", [&] {
    return spank_context() == S_CTX_REMOTE ? remote_init_post_opt(sp, ac, av) : local_init(sp, ac, av);
  });
}

int slurm_spank_user_init(spank_t sp, int ac, char** av) {
  return guarded("user_init", [&] { return spank_remote(sp) ? remote_user_init(sp, ac, av) : 0; });
}

int slurm_spank_task_post_fork(spank_t sp, int ac, char** av) {
  return guarded("task_post_fork", [&] { return spank_remote(sp) ? remote_task_post_fork(sp, ac, av) : 0; });
}

int slurm_spank_task_exit(spank_t sp, int ac, char** av) {
  return guarded("task_exit", [&] { return spank_remote(sp) ? remote_task_exit(sp, ac, av) : 0; });
}

int slurm_spank_exit(spank_t sp, int ac, char** av) {
  return guarded("exit", [&] { return spank_context() == S_CTX_REMOTE ? remote_exit(sp, ac, av) : 0; });
}

int slurm_spank_job_prolog(spank_t sp, int ac, char** av) {
  return guarded("job_prolog", [&] { return job_prolog(sp, ac, av); });
}

int slurm_spank_job_epilog(spank_t sp, int ac, char** av) {
  return guarded("job_epilog", [&] { return job_epilog(sp, ac, av); });
}

}  // extern "C"
