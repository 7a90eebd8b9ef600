// The step events of docs/agent-protocol.md: one JSON object per line, parsed strictly into
// plain structs. Pure functions: no I/O, so every message shape is unit-tested.
// Strings taken from a message (job name, argv, user) are user-controlled: they go into the
// record as data and never into a path except through store::node_partial_path's escaping.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hpcmon::agent {

inline constexpr int kProtocolVersion = 1;
inline constexpr std::size_t kMaxLineBytes = 64 * 1024;

// job_end: the plugin's job_epilog, about to remove the job's run directory; it waits (bounded)
// for the agent's answer line, so the agent can secure what it still needs from the folder.
enum class EventKind { step_start, task_start, task_exit, step_end, job_end };

struct StepId {
  std::string job_id;  // Slurm's numeric job id, as text
  std::string step;    // "batch", "extern", "interactive" or the step number
  auto operator<=>(const StepId&) const = default;
  std::string text() const { return job_id + "." + step; }
};

struct StepStart {
  std::string cluster, job;  // job in record-key form: "12", "12_3", "12+1"
  std::uint32_t restart_count = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user, node;
  std::int64_t start_ns = 0;
  std::uint32_t ntasks = 0, local_tasks = 0;
  std::string cpus;  // allocated cores on this node, list syntax "0-3,8"
  std::uint64_t mem_bytes = 0;
  std::uint64_t time_limit_s = 0;
  std::string job_name, partition, account, node_list, argv, run_dir;
  bool monitor = true;
  std::vector<std::string> events;
  std::optional<bool> mem_profile;  // libhpcmon_mem.so preloaded into the step (absent: older plugin)
};

struct TaskEvent {
  std::int32_t task = -1, global_task = -1;
  pid_t pid = 0;
  int status = 0;  // raw wait status (task_exit only)
};

struct StepEnd {
  std::int64_t end_ns = 0;
  std::int32_t exit_status = 0;
};

struct Event {
  EventKind kind = EventKind::step_start;
  StepId id;  // job_end: the job only (step empty)
  StepStart start;  // step_start
  TaskEvent task;   // task_start, task_exit
  StepEnd end;      // step_end
};

struct ParseResult {
  std::optional<Event> event;
  bool unknown_version = false;  // well-formed, but "v" is not kProtocolVersion
  std::string error;             // one line when event is empty
};

ParseResult parse_event(std::string_view line);

// The agent's answer to job_end, one line: the run directory may go.
inline constexpr std::string_view kJobEndAnswer = "{\"v\":1,\"event\":\"job_end\",\"done\":true}\n";

// Number of CPUs in a list such as "0-3,8,10-11"; 0 when empty or malformed.
std::uint32_t count_cpu_list(std::string_view list);

}  // namespace hpcmon::agent
