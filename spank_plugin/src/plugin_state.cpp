#include "plugin_state.hpp"

#include <slurm/slurm.h>

#include <vector>

namespace hpcmon::spank {
namespace {

Choice g_choice;
PluginArgs g_args;
bool g_parsed = false;

int on_option(int, const char* optarg, int remote) {
  const std::string value = optarg ? optarg : "";
  if (parse_choice(value, &g_choice)) return 0;
  if (remote) {
    // srun already refused it; an inherited variable is the only way here. Keep the default.
    slurm_error("hpcmon: --hpcmon: invalid value: %s", value.c_str());
    return 0;
  }
  slurm_error("hpcmon: --hpcmon: invalid value: %s (expected on, off or a comma list of counter events)",
              value.c_str());
  return -1;
}

struct spank_option g_option = {
    const_cast<char*>("hpcmon"), const_cast<char*>("[on|off|events]"),
    const_cast<char*>("Monitor this job with hpcmon: on, off, or a comma list of counter events "
                      "(e.g. PAPI_TOT_INS,perf::task-clock). Default: the site's setting."),
    2, 0, on_option};

TraceChoice g_trace;

int on_trace_option(int, const char* optarg, int remote) {
  const std::string value = optarg ? optarg : "";
  if (parse_trace_choice(value, &g_trace)) return 0;
  slurm_error("hpcmon: --hpcmon-trace: invalid value: %s%s", value.c_str(),
              remote ? "" : " (expected on, off or the events kept per rank, 1 to 67108864)");
  return remote ? 0 : -1;  // remote: srun already refused it, only an inherited variable gets here
}

struct spank_option g_trace_option = {
    const_cast<char*>("hpcmon-trace"), const_cast<char*>("[on|off|events]"),
    const_cast<char*>("Trace every MPI call of every rank into the job record's /trace (read with `hpcmon "
                      "trace`); a number bounds the events kept per rank. Default: the site's setting."),
    2, 0, on_trace_option};

bool g_memory = false;

int on_memory_option(int, const char*, int) {
  g_memory = true;
  return 0;
}

struct spank_option g_memory_option = {
    const_cast<char*>("hpcmon-mem"), nullptr,
    const_cast<char*>("Profile this job's memory with hpcmon (allocations, peak, leaks by call site); "
                      "one profile per process in the job's run directory, read with `hpcmon memprof`."),
    0, 0, on_memory_option};

}  // namespace

const PluginArgs& plugin_args(int ac, char** av) {
  // Job-script callbacks get no init (trap G15): every hook comes through here with ac/av.
  if (!g_parsed) {
    std::vector<std::string> problems;
    g_args = parse_args(ac, av, &problems);
    g_parsed = true;
    for (const std::string& p : problems) log_problem(p);
  }
  return g_args;
}

int register_option(spank_t sp) {
  spank_err_t rc = spank_option_register(sp, &g_option);
  if (rc != ESPANK_SUCCESS) slurm_error("hpcmon: cannot register --hpcmon: %s", spank_strerror(rc));
  rc = spank_option_register(sp, &g_memory_option);
  if (rc != ESPANK_SUCCESS) slurm_error("hpcmon: cannot register --hpcmon-mem: %s", spank_strerror(rc));
  rc = spank_option_register(sp, &g_trace_option);
  if (rc != ESPANK_SUCCESS) slurm_error("hpcmon: cannot register --hpcmon-trace: %s", spank_strerror(rc));
  return 0;
}

const Choice& user_choice() { return g_choice; }

const TraceChoice& trace_choice() { return g_trace; }

bool memory_profiling_requested() { return g_memory; }

void log_problem(const std::string& line) {
  const spank_context_t ctx = spank_context();
  if (ctx == S_CTX_LOCAL || ctx == S_CTX_ALLOCATOR) slurm_verbose("%s", line.c_str());
  else slurm_error("%s", line.c_str());
}

std::string step_word(std::uint32_t step_id) {
  switch (step_id) {
    case SLURM_BATCH_SCRIPT: return "batch";
    case SLURM_EXTERN_CONT: return "extern";
    case SLURM_INTERACTIVE_STEP: return "interactive";
    default: return std::to_string(step_id);
  }
}

int local_init(spank_t, int ac, char** av) {
  plugin_args(ac, av);
  return 0;
}

}  // namespace hpcmon::spank
