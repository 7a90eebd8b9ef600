// hpcmon node agent (`hpcmond --agent`): one root service per compute node.
//
// What it is: the receiver of the SPANK plugin's step events (docs/agent-protocol.md) and the
// one sampler of its node: node series (CPU per core and total, memory, load, disk, network)
// and per-step process series (every task and its descendants: CPU, RSS, bytes read and
// written), all steps read by ONE process sampler and ONE node sampler.
// What it owns: the step-event socket, the node partial record of each step on this node
// (written at step end or when the step's processes are gone), and the push spool to the head.
// What it must never do: open a path taken from a job's environment or a message (the one
// exception, the job's run_dir from root's step_start, is opened with the root-side rules of
// live_ranks.hpp), follow a symlink in a user's record or run folder, read a job's HPCMON_*
// variables, or block a job (the plugin never waits for it). Errors are counted and logged once, never per sample.
// Talks to: spank_plugin (socket, in), the ranks' live tables (in), slurmctld (job states, in),
// hdf5_store (records, out), the head daemon (pushes, out).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "hpcmon/agent/log.hpp"
#include "hpcmon/config.hpp"

namespace hpcmon::agent {

struct AgentOptions {
  std::filesystem::path socket_path = "/run/hpcmon/agent.sock";
  std::filesystem::path record_dir = "/var/lib/hpcmon/records";
  std::string node_name;          // empty: the short host name
  std::string record_group = "hpcmon";
  double process_interval_s = 1.0;  // general.sample_interval_s
  double node_interval_s = 5.0;     // general.node_sample_interval_s
  // Pushes to the head; empty head_url: none, and no spool.
  std::string head_url;
  std::filesystem::path token_file = "/etc/hpcmon/agent.token";
  std::filesystem::path ca_file;  // PEM CA of the head's certificate; empty: system CAs
  double push_interval_s = 5.0;
  std::filesystem::path spool_dir = "/var/lib/hpcmon/agent-spool";
  std::uint64_t spool_max_bytes = 64 * 1024 * 1024;
  // slurm.conf for asking slurmctld why a job's tasks died (TIMEOUT, CANCELLED, PREEMPTED,
  // NODE_FAIL, OUT_OF_MEMORY); empty: never asked. from_config: the agent's own $SLURM_CONF,
  // else /etc/slurm/slurm.conf.
  std::filesystem::path slurm_conf;

  static AgentOptions from_config(const config::Config& config);
};

// Counters of everything the agent refused, lost or did; read at any time from any thread.
struct AgentCounters {
  std::uint64_t events = 0;           // well-formed lines applied
  std::uint64_t malformed = 0;        // lines that are not a valid event
  std::uint64_t unknown_version = 0;  // valid JSON with another "v"
  std::uint64_t refused_peers = 0;    // connections from a uid other than 0
  std::uint64_t oversized_lines = 0;
  std::uint64_t steps_running = 0;
  std::uint64_t records_written = 0;
  std::uint64_t record_errors = 0;
  std::uint64_t process_ticks = 0, node_ticks = 0;
  std::uint64_t pushes_spooled = 0, pushes_sent = 0, spool_dropped = 0;
  std::uint64_t slurm_queries = 0;  // job states asked of slurmctld
  std::uint64_t live_table_errors = 0;  // ranks' live-table files refused (owner, symlink, format)
};

class Agent {
 public:
  Agent(AgentOptions options, Log& log);  // creates the socket; throws std::runtime_error
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Serves until `stop` becomes true (checked at least every 100 ms). Steps still running
  // then are not written: their end is unknown, and a restarted agent cannot resume them.
  void run(const std::atomic<bool>& stop);
  AgentCounters counters() const;
  const AgentOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hpcmon::agent
