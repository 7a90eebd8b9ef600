// Remote context: slurmstepd, one process per step (the batch script is a step too).
// init_post_opt runs as root before any task exists: it makes the directories and announces
// the step; user_init sets the tasks' environment; the task and exit hooks report to the agent.
#include <dlfcn.h>
#include <pwd.h>
#include <slurm/slurm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "agent_event.hpp"
#include "job_dirs.hpp"
#include "plugin_state.hpp"
#include "preload_env.hpp"

namespace hpcmon::spank {
namespace {

struct Step {
  bool known = false;  // init_post_opt found the job and step
  std::uint32_t job_id = 0;
  std::string step;    // batch, extern, interactive or the number
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user;
  std::string run_dir;  // "" when it could not be made safely
  StepSettings settings;
  bool preload_present = false;
  bool mem_preload_present = false;
  bool profile_memory = false;  // libhpcmon_mem.so goes into the tasks
  int exit_status = 0;  // largest task exit code, or 128+signal
};

Step g_step;

std::int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// A job environment variable (user-controlled: used for descriptive fields only).
std::string job_env(spank_t sp, const char* name) {
  std::vector<char> buf(4096);
  while (true) {
    spank_err_t rc = spank_getenv(sp, name, buf.data(), static_cast<int>(buf.size()));
    if (rc == ESPANK_SUCCESS) return buf.data();
    if (rc != ESPANK_NOSPACE || buf.size() >= (1u << 20)) return "";
    buf.resize(buf.size() * 4);
  }
}

std::uint32_t item_u32(spank_t sp, spank_item_t item) {
  std::uint32_t v = 0;
  return spank_get_item(sp, item, &v) == ESPANK_SUCCESS ? v : 0;
}

std::string item_str(spank_t sp, spank_item_t item) {
  char* v = nullptr;
  return spank_get_item(sp, item, &v) == ESPANK_SUCCESS && v ? v : "";
}

std::string user_name(uid_t uid) {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || !found) return "";
  return found->pw_name;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() < 11 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The record-key form of the job: 12, 12_3 (array task), 12+1 (heterogeneous component).
std::string job_key(spank_t sp, std::uint32_t job_id) {
  // Slurm 22.05 gives a plain job its own id as array id and NO_VAL as task id.
  const std::uint32_t array_id = item_u32(sp, S_JOB_ARRAY_ID), task = item_u32(sp, S_JOB_ARRAY_TASK_ID);
  if (array_id != 0 && array_id != NO_VAL && task != NO_VAL) return std::to_string(array_id) + "_" + std::to_string(task);
  // Heterogeneous components have consecutive job ids (leader + offset); variables that do
  // not add up were set by the user and are ignored.
  const std::string het = job_env(sp, "SLURM_HET_JOB_ID"), offset = job_env(sp, "SLURM_HET_JOB_OFFSET");
  if (all_digits(het) && all_digits(offset) && std::stoull(het) + std::stoull(offset) == job_id)
    return het + "+" + offset;
  return std::to_string(job_id);
}

// Slurm's NodeName of this host, from slurm.conf as slurmstepd loaded it (the job's
// SLURMD_NODENAME is the user's to set at this point); the short host name otherwise.
std::string node_name() {
  char h[256] = {};
  gethostname(h, sizeof h - 1);
  std::string host = h;
  host = host.substr(0, host.find('.'));
  using Lookup = char* (*)(const char*);
  if (auto lookup = reinterpret_cast<Lookup>(dlsym(RTLD_DEFAULT, "slurm_conf_get_nodename"))) {
    // Slurm allocates the answer with its own allocator: it is kept, once per step process.
    if (const char* n = lookup(h); n && *n) return n;
    if (const char* n = lookup(host.c_str()); n && *n) return n;
  }
  return host;
}

// Slurm's ClusterName from slurm.conf as slurmstepd loaded it: the job's SLURM_CLUSTER_NAME
// is the user's to set, and the record key must not be. The variable only when the
// configuration cannot be reached, with a log line.
std::string cluster_name(spank_t sp) {
  using Lock = slurm_conf_t* (*)();
  using Unlock = void (*)();
  auto lock = reinterpret_cast<Lock>(dlsym(RTLD_DEFAULT, "slurm_conf_lock"));
  auto unlock = reinterpret_cast<Unlock>(dlsym(RTLD_DEFAULT, "slurm_conf_unlock"));
  if (lock && unlock) {
    std::string name;
    if (const slurm_conf_t* conf = lock(); conf && conf->cluster_name) name = conf->cluster_name;
    unlock();
    if (!name.empty()) return name;
  }
  std::string name = job_env(sp, "SLURM_CLUSTER_NAME");
  slurm_info("hpcmon: ClusterName not readable from slurmstepd's configuration; using the job's "
             "SLURM_CLUSTER_NAME \"%s\"", name.c_str());
  return name;
}

// An agent that timed out once is not waited for again by this step: a stuck agent costs a
// step at most one timeout, however many tasks it has.
bool g_agent_stuck = false;

void send(const PluginArgs& args, const EventLine& line) {
  if (g_agent_stuck) return;
  std::string why;
  if (send_event(args.agent_socket, line.text(), kAgentTimeoutMs, &why)) return;
  g_agent_stuck = why.find("timed out") != std::string::npos;
  slurm_debug("hpcmon: agent not told: %s", why.c_str());
}

void announce_step(spank_t sp, const PluginArgs& args) {
  std::int64_t start = realtime_ns();
  std::vector<std::string> argv;
  int argc = 0;
  char** av = nullptr;
  if (spank_get_item(sp, S_JOB_ARGV, &argc, &av) == ESPANK_SUCCESS)
    for (int i = 0; i < argc && av; ++i) argv.emplace_back(av[i] ? av[i] : "");
  std::uint64_t mem_mb = 0;
  if (spank_get_item(sp, S_STEP_ALLOC_MEM, &mem_mb) != ESPANK_SUCCESS) mem_mb = 0;
  std::string cores = item_str(sp, S_STEP_ALLOC_CORES);
  if (cores.empty()) cores = item_str(sp, S_JOB_ALLOC_CORES);
  std::string cluster = cluster_name(sp);
  EventLine line("step_start", g_step.job_id, g_step.step);
  line.add("cluster", cluster.empty() ? "slurm" : cluster)
      .add("job", job_key(sp, g_step.job_id))
      .add("restart_count", std::int64_t(item_u32(sp, S_SLURM_RESTART_COUNT)))
      .add("uid", std::int64_t(g_step.uid))
      .add("gid", std::int64_t(g_step.gid))
      .add("user", g_step.user)
      .add("node", node_name())
      .add("start_ns", start)
      .add("ntasks", std::int64_t(item_u32(sp, S_JOB_TOTAL_TASK_COUNT)))
      .add("local_tasks", std::int64_t(item_u32(sp, S_JOB_LOCAL_TASK_COUNT)))
      .add("cpus", cores)
      .add("mem_bytes", std::int64_t(mem_mb) * 1024 * 1024)
      .add("time_limit_s", std::int64_t(0))
      .add("job_name", job_env(sp, "SLURM_JOB_NAME"))
      .add("partition", job_env(sp, "SLURM_JOB_PARTITION"))
      .add("account", job_env(sp, "SLURM_JOB_ACCOUNT"))
      .add("node_list", job_env(sp, "SLURM_JOB_NODELIST"))
      .add("argv", argv)
      .add("run_dir", g_step.run_dir)
      .add("monitor", g_step.settings.monitor ? "on" : "off")
      .add("mem_profile", g_step.profile_memory ? "on" : "off")
      .add("events", split_list(g_step.settings.events));
  send(args, line);
}

void set_env(spank_t sp, const char* name, const std::string& value) {
  spank_err_t rc = spank_setenv(sp, name, value.c_str(), 1);
  if (rc != ESPANK_SUCCESS) slurm_error("hpcmon: cannot set %s: %s", name, spank_strerror(rc));
}

}  // namespace

int remote_init_post_opt(spank_t sp, int ac, char** av) {
  const PluginArgs& args = plugin_args(ac, av);
  g_step = Step{};
  std::uint32_t step_id = 0;
  if (spank_get_item(sp, S_JOB_ID, &g_step.job_id) != ESPANK_SUCCESS ||
      spank_get_item(sp, S_JOB_STEPID, &step_id) != ESPANK_SUCCESS ||
      spank_get_item(sp, S_JOB_UID, &g_step.uid) != ESPANK_SUCCESS ||
      spank_get_item(sp, S_JOB_GID, &g_step.gid) != ESPANK_SUCCESS) {
    slurm_error("hpcmon: job or step unknown in slurmstepd; step not monitored");
    return 0;
  }
  g_step.known = true;
  g_step.step = step_word(step_id);
  g_step.user = user_name(g_step.uid);
  g_step.settings = settle(args, user_choice(), trace_choice());
  if (g_step.user.empty()) {
    slurm_error("hpcmon: uid %u has no user name; job %u not monitored", unsigned(g_step.uid),
                unsigned(g_step.job_id));
    g_step.settings.monitor = false;
  }

  std::string why;
  g_step.run_dir = ensure_run_dir(args.run_dir, g_step.job_id, g_step.uid, g_step.gid, &why);
  if (g_step.run_dir.empty()) {
    slurm_error("hpcmon: run directory: %s; job %u not monitored", why.c_str(), unsigned(g_step.job_id));
    g_step.settings.monitor = false;
  }
  if (g_step.settings.monitor) {
    std::string note;
    if (ensure_record_folder(args.record_dir, g_step.user, g_step.uid, g_step.gid, &why, &note).empty()) {
      slurm_error("hpcmon: record folder: %s; job %u not monitored", why.c_str(), unsigned(g_step.job_id));
      g_step.settings.monitor = false;
    } else if (!note.empty()) {
      slurm_info("%s", note.c_str());
    }
  }
  struct stat st {};
  g_step.preload_present = stat(args.preload.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  if (g_step.settings.monitor && !g_step.preload_present) {
    slurm_error("hpcmon: preload: %s: missing; job %u not monitored", args.preload.c_str(),
                unsigned(g_step.job_id));
    g_step.settings.monitor = false;
  }
  g_step.mem_preload_present = stat(args.mem_preload.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  if ((memory_profiling_requested() || args.mem_default_on) && !g_step.mem_preload_present)
    slurm_error("hpcmon: mem_preload: %s: missing; memory of job %u not profiled", args.mem_preload.c_str(),
                unsigned(g_step.job_id));
  g_step.profile_memory = (memory_profiling_requested() || args.mem_default_on) && g_step.mem_preload_present &&
                          !g_step.run_dir.empty();
  announce_step(sp, args);
  return 0;
}

int remote_user_init(spank_t sp, int ac, char** av) {
  const PluginArgs& args = plugin_args(ac, av);
  if (!g_step.known) return 0;
  std::string current = job_env(sp, "LD_PRELOAD");
  // The memory profiler, independent of the MPI monitor: only for steps that ask (--hpcmon-mem,
  // inherited from sbatch like --hpcmon); an inherited copy is taken out otherwise.
  const bool profile_memory = g_step.profile_memory;
  const std::string without_mem = without_preload(current, args.mem_preload);
  const std::string with_mem = profile_memory ? with_preload(without_mem, args.mem_preload) : without_mem;
  if (with_mem != current) {
    if (with_mem.empty()) spank_unsetenv(sp, "LD_PRELOAD");
    else set_env(sp, "LD_PRELOAD", with_mem);
    current = with_mem;
  }
  if (profile_memory) {
    set_env(sp, "HPCMON_RUN_DIR", g_step.run_dir);
    // The step the profiles belong to: the batch script's processes have no SLURM_STEP_ID,
    // and a step launched from it sets its own again.
    set_env(sp, "HPCMON_MEM_STEP", g_step.step);
  }
  if (!g_step.settings.monitor) {
    // Inside a monitored batch job the step inherits the preload: take it out again.
    const std::string rest = without_preload(current, args.preload);
    if (rest != current) {
      if (rest.empty()) spank_unsetenv(sp, "LD_PRELOAD");
      else set_env(sp, "LD_PRELOAD", rest);
    }
    if (!current.empty() || !job_env(sp, "HPCMON_GENERAL__ENABLED").empty())
      set_env(sp, "HPCMON_GENERAL__ENABLED", "false");
    return 0;
  }
  set_env(sp, "LD_PRELOAD", with_preload(current, args.preload));
  set_env(sp, "HPCMON_GENERAL__ENABLED", "true");
  set_env(sp, "HPCMON_HPC__RECORD_DIR", args.record_dir);
  set_env(sp, "HPCMON_HPC__EVENTS", g_step.settings.events);
  set_env(sp, "HPCMON_GENERAL__SAMPLE_INTERVAL_S", g_step.settings.interval);
  set_env(sp, "HPCMON_HPC__TRACE", g_step.settings.trace ? "true" : "false");
  set_env(sp, "HPCMON_HPC__TRACE_EVENTS", g_step.settings.trace_events);
  set_env(sp, "HPCMON_RUN_DIR", g_step.run_dir);
  return 0;
}

int remote_task_post_fork(spank_t sp, int ac, char** av) {
  const PluginArgs& args = plugin_args(ac, av);
  if (!g_step.known) return 0;
  int task = -1;
  std::uint32_t global = 0;
  pid_t pid = -1;
  spank_get_item(sp, S_TASK_ID, &task);
  spank_get_item(sp, S_TASK_GLOBAL_ID, &global);
  spank_get_item(sp, S_TASK_PID, &pid);
  EventLine line("task_start", g_step.job_id, g_step.step);
  line.add("task", std::int64_t(task)).add("global_task", std::int64_t(global)).add("pid", std::int64_t(pid));
  send(args, line);
  return 0;
}

int remote_task_exit(spank_t sp, int ac, char** av) {
  const PluginArgs& args = plugin_args(ac, av);
  if (!g_step.known) return 0;
  int task = -1, status = 0;
  std::uint32_t global = 0;
  pid_t pid = -1;
  spank_get_item(sp, S_TASK_ID, &task);
  spank_get_item(sp, S_TASK_GLOBAL_ID, &global);
  spank_get_item(sp, S_TASK_PID, &pid);
  spank_get_item(sp, S_TASK_EXIT_STATUS, &status);
  const int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WIFEXITED(status) ? WEXITSTATUS(status) : 0;
  g_step.exit_status = std::max(g_step.exit_status, code);
  EventLine line("task_exit", g_step.job_id, g_step.step);
  line.add("task", std::int64_t(task))
      .add("global_task", std::int64_t(global))
      .add("pid", std::int64_t(pid))
      .add("status", std::int64_t(status));
  send(args, line);
  return 0;
}

int remote_exit(spank_t, int ac, char** av) {
  const PluginArgs& args = plugin_args(ac, av);
  if (!g_step.known) return 0;
  EventLine line("step_end", g_step.job_id, g_step.step);
  line.add("end_ns", realtime_ns()).add("exit_status", std::int64_t(g_step.exit_status));
  send(args, line);
  return 0;
}

}  // namespace hpcmon::spank
