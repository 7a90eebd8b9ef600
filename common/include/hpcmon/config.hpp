// hpcmon configuration: the one YAML file (performance_monitoring_config.yaml) of the
// whole product, read into plain structs, strictly validated, with HPCMON_<SECTION>__<KEY>
// environment overrides.
// Owns: the Config structs, the loader, and the schema table (config_schema.hpp) that
// drives parsing, validation, printing, environment export and docs/configuration.md.
// Never: log, exit, or keep global state besides a cached PAPI preset table; never call
// PAPI_shutdown. Errors are thrown as ConfigError for the caller to report.
// Used by: papi_sampler, hdf5_store, hpcmond, the SPANK plugin (which passes the effective
// configuration on to ranks as environment variables, see to_environment()).
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hpcmon::config {

// Adding a section: a struct here, a member of Config, and a table in src/schema.cpp.
struct General {
    bool enabled = true;
    std::string log_level = "info";  // trace, debug, info, warning, error, off
    double sample_interval_s = 1.0;        // per-process / per-rank sampling period
    double node_sample_interval_s = 5.0;   // node-wide sampling period of the agent
    bool operator==(const General&) const = default;
};

// Warning and critical thresholds; fractions are 0..1 of the whole resource.
struct System {
    double cpu_util_warn = 0.90;
    double cpu_util_crit = 0.98;
    double memory_used_warn = 0.90;
    double memory_used_crit = 0.95;
    double swap_used_warn = 0.50;
    double load_per_core_warn = 2.0;
    double load_per_core_crit = 4.0;
    double disk_used_warn = 0.90;
    double disk_used_crit = 0.95;
    std::int64_t oom_kills_warn = 1;  // per job step; 0 disables
    bool operator==(const System&) const = default;
};

struct Hpc {
    std::vector<std::string> events = {"PAPI_TOT_CYC", "PAPI_TOT_INS", "perf::task-clock",
                                       "perf::context-switches", "perf::page-faults"};
    bool per_thread = false;  // also count per thread, not only per process
    std::string record_dir = "/var/lib/hpcmon/records";
    bool trace = false;                   // record every MPI call of every rank (docs/tracing.md)
    std::int64_t trace_events = 262144;   // events kept per rank when tracing
    bool operator==(const Hpc&) const = default;
};

// The node agent (hpcmond --agent): its step-event socket and its pushes to the head.
struct Agent {
    std::string socket = "/run/hpcmon/agent.sock";
    std::string node_name;                 // empty: the short host name
    std::string record_group = "hpcmon";   // group of per-user record folders it creates
    std::string head_url;                  // empty: no pushes, no spool
    std::string token_file = "/etc/hpcmon/agent.token";
    std::string ca_file;                   // PEM CA bundle for an https head_url; empty: system CAs
    double push_interval_s = 5.0;
    std::string spool_dir = "/var/lib/hpcmon/agent-spool";
    std::int64_t spool_max_bytes = 64 * 1024 * 1024;
    bool operator==(const Agent&) const = default;
};

// The head daemon's REST API (hpcmond on the head node): listener, access, polling periods.
struct Api {
    std::string listen_address = "127.0.0.1";
    std::int64_t port = 3001;
    // The agents' listener (POST /api/v1/agent/push only); HTTPS required off loopback.
    std::string agent_listen_address = "127.0.0.1";
    std::int64_t agent_port = 3002;
    std::string agent_tls_cert_file;  // PEM server certificate (chain); empty: plain HTTP
    std::string agent_tls_key_file;   // PEM private key of that certificate
    std::string access = "open";                      // open, token, user
    std::string token_file = "/etc/hpcmon/api.token";  // human-scoped token (acknowledgements, reads)
    std::string agent_token_file = "/etc/hpcmon/agent.token";  // agent-scoped push token
    std::string admin_group = "hpcmon-admin";         // members see every user's jobs
    std::int64_t max_body_bytes = 1048576;
    double record_scan_interval_s = 10.0;
    double slurm_poll_interval_s = 10.0;
    double merge_timeout_s = 300.0;
    std::string webui_dir;  // the dashboard's files; empty: share/hpcmon/webui beside the program
    bool operator==(const Api&) const = default;
};

// Thresholds of the job diagnosis (docs/diagnosis.md): when a rule reports a finding.
// Fractions are 0..1 of a rank's wall time unless the key says otherwise.
struct Diagnosis {
    double min_finding_s = 0.1;            // smaller effects (seconds) are noise, never a finding
    double load_balance_min = 0.85;        // POP load balance below this: imbalance
    double wait_fraction = 0.10;           // waiting in receives / rooted collectives
    double wait_per_call_min_s = 1e-4;     // mean wait per waiting call below this: not late
    double collective_fraction = 0.30;     // collective time beyond waiting
    std::int64_t small_message_bytes = 1024;
    std::int64_t small_message_min_count = 10000;
    double small_message_rate = 10000;     // small sends per second of wall
    std::int64_t barrier_min_calls = 1000;
    double barrier_rate = 200;             // barriers per second of wall
    double memory_growth_fraction = 0.5;   // growth (or excess over other ranks) / base
    std::int64_t memory_growth_min_bytes = 64 * 1024 * 1024;
    double cpu_use_min = 0.5;              // CPU time / wall of a rank
    double io_fraction = 0.10;             // MPI-IO time
    double cpu_request_use_min = 0.5;      // CPU used / (allocated cores x wall)
    double memory_request_use_min = 0.25;  // high-water / requested memory
    double network_latency_s = 1e-5;       // transfer model (upper bound) for wait estimates
    double network_bandwidth_bytes_per_s = 1e9;
    double live_interval_s = 10.0;         // the head's evaluation of running jobs (0: off)
    bool operator==(const Diagnosis&) const = default;
};

// One alerting rule (alerting.rules[i]): a selector on a metric the head daemon evaluates
// (docs/alerting.md lists the metrics), a comparison with a threshold held for `for_s`.
struct AlertRule {
    std::string name;                                         // alertname
    std::string metric;                                       // e.g. node.cpu_util, job.rss_bytes
    std::vector<std::pair<std::string, std::string>> match;  // label = value, all must hold
    std::string scope = "node";                               // cluster, node, job
    std::string op = ">";                                     // >, >=, <, <=, ==, !=
    double threshold = 0;
    double for_s = 0;                                         // held this long before firing
    std::string severity = "warning";                         // info, warning, critical
    std::vector<std::pair<std::string, std::string>> labels;  // added to the alert's labels
    std::string description;  // template: {{ $value }}, {{ $labels.<name> }}
    bool operator==(const AlertRule&) const = default;
};

// Alerting of the head daemon: built-in rules, channels, state file (docs/alerting.md).
struct Alerting {
    bool enabled = true;
    double evaluation_interval_s = 5.0;
    std::string state_file = "/var/lib/hpcmon/alerts.json";
    std::int64_t resolved_history = 1000;
    std::vector<std::string> disabled_builtins;
    std::int64_t node_down_intervals = 3;
    double threshold_for_s = 60.0;
    double job_idle_for_s = 600.0;
    double job_idle_cpu_below = 0.02;
    double job_memory_fraction = 0.9;
    double record_missing_after_s = 600.0;
    bool log = true;
    std::int64_t queue_size = 1000;
    std::string webhook_url;
    double webhook_timeout_s = 5.0;
    std::int64_t webhook_max_retries = 5;
    double webhook_backoff_s = 1.0;
    std::string alertmanager_url;
    std::string smtp_host;
    std::int64_t smtp_port = 25;
    std::string smtp_from = "hpcmon@localhost";
    std::vector<std::string> smtp_to;
    std::vector<AlertRule> rules;  // not in the flat schema table: parsed by schema_alerting.cpp
    bool operator==(const Alerting&) const = default;
};

// The head daemon's durable history (docs/history.md): where it lives, its tiers, how safe
// its writes are, and how long job records are kept.
struct History {
    bool enabled = true;
    std::string path = "/var/lib/hpcmon/history";
    std::vector<std::string> tiers = {"raw:7d", "1m:90d", "1h:5y"};  // <resolution>:<retention>
    std::int64_t max_disk_bytes = 0;       // 0: the filesystem's own limit only
    std::string wal_sync = "always";       // always, periodic, none
    double wal_sync_interval_s = 1.0;      // periodic mode
    double block_duration_s = 7200.0;      // in-memory head span before a flush to a block
    double maintenance_interval_s = 30.0;  // flush, downsample, merge, expire
    double record_retention_days = 0.0;    // records older than this are deleted; 0 keeps them
    // The head's merged (canonical) records; empty: "canonical-records" beside `path`.
    std::string canonical_record_dir;
    bool operator==(const History&) const = default;
};

// The accounting database (slurmdbd's MariaDB/MySQL) as the head daemon watches it
// (docs/accounting-db.md): its own least-privilege connection, the slow log it follows, the
// development database of `hpcmon db try-index`, and when a query pattern becomes a finding.
struct AccountingDb {
    bool enabled = false;
    std::string host = "127.0.0.1";
    std::int64_t port = 3306;
    std::string socket;                    // non-empty: a unix socket instead of host:port
    std::string user = "hpcmon";           // the daemon's own read-only account, never slurmdbd's
    std::string password_file = "/etc/hpcmon/accounting_db.password";  // mode 0600
    std::string database = "slurm_acct_db";
    double interval_s = 30.0;
    std::string slow_log;                  // MariaDB's slow log; empty: not followed
    std::string slow_log_state = "/var/lib/hpcmon/slow_log.state";
    std::int64_t slow_log_read_max_bytes = 64 * 1024 * 1024;  // per round
    std::string dev_host = "127.0.0.1";    // try-index: a development server, never the live one
    std::int64_t dev_port = 3306;
    std::string dev_socket;
    std::string dev_user = "hpcmon_dev";
    std::string dev_password_file = "/etc/hpcmon/accounting_dev.password";
    std::string dev_schema = "slurm_acct_db_dev";
    std::int64_t max_fingerprints = 5000;  // bounded memory of the analysis
    std::int64_t top_fingerprints = 20;
    double slow_query_s = 1.0;
    std::int64_t full_scan_min_rows_examined = 10000;
    double full_scan_examined_per_sent = 100.0;
    std::int64_t n_plus_one_min_count = 10;
    double n_plus_one_window_s = 10.0;
    std::int64_t unbounded_rows_sent = 10000;
    bool operator==(const AccountingDb&) const = default;
};

// The scheduler's RPC statistics in the head daemon (docs/scheduler.md): how often they are
// read and the thresholds of the built-in scheduler alert rules.
struct Scheduler {
    bool enabled = true;
    double interval_s = 30.0;
    bool slurmdbd = true;                 // also slurmdbd's, when Slurm accounts through it
    double rpc_latency_max_s = 1.0;       // SchedulerRpcSlow
    std::int64_t agent_queue_max = 100;   // SchedulerAgentQueueGrowing ...
    double agent_queue_for_s = 300.0;     // ... held this long
    double user_share_max = 0.5;          // SchedulerUserFlooding ...
    double user_rate_min = 10.0;          // ... at this many RPCs/s or more
    double backfill_cycle_max_s = 30.0;   // SchedulerBackfillSlow
    double alert_for_s = 60.0;            // for the slow-RPC, flooding and backfill rules
    bool operator==(const Scheduler&) const = default;
};

struct Config {
    General general;
    System system;
    Hpc hpc;
    Agent agent;
    Api api;
    Diagnosis diagnosis;
    Alerting alerting;
    History history;
    Scheduler scheduler;
    AccountingDb accounting_db;
    std::string source;                      // file (or name) it came from; "(defaults)"
    std::vector<std::string> env_overrides;  // HPCMON_* variables applied, sorted
    bool operator==(const Config&) const = default;
};

// One configuration error. what() is exactly "file:line:col: key.path: message" with a
// 1-based line and column. For an environment override it is "VARIABLE: key.path: message"
// (file() is the variable name, line() and column() are 0). For a file that cannot be read
// it is "file: message" (key_path() empty, line() and column() 0).
class ConfigError : public std::runtime_error {
public:
    ConfigError(std::string file, int line, int column, std::string key_path,
                std::string message);
    const std::string& file() const noexcept { return file_; }
    int line() const noexcept { return line_; }
    int column() const noexcept { return column_; }
    const std::string& key_path() const noexcept { return key_path_; }
    const std::string& message() const noexcept { return message_; }

private:
    std::string file_;
    int line_;
    int column_;
    std::string key_path_;
    std::string message_;
};

enum class Environment { apply, ignore };

// Reads and validates a file. Environment::apply (the default) then applies the process's
// HPCMON_<SECTION>__<KEY> variables. Root-side code reading on behalf of a job passes
// Environment::ignore (a job's environment is user-controlled).
Config load_file(const std::filesystem::path& path, Environment env = Environment::apply);

// Parses YAML text; `name` stands for the file in messages. No environment overrides.
Config load_string(std::string_view yaml, std::string_view name);

// Built-in defaults (the same values as config/performance_monitoring_config.yaml).
Config defaults();

// $HPCMON_CONFIG if set and not empty, else /etc/hpcmon/performance_monitoring_config.yaml.
// Reads this process's own environment: code acting for a job never takes the path from
// the job's environment (spank_getenv).
std::filesystem::path default_path();

// Applies HPCMON_<SECTION>__<KEY>=value variables of this process's environment to `config`
// and validates the result. Variables without "__" (HPCMON_CONFIG...) are not overrides.
void apply_environment(Config& config);

// The same from an explicit list of "NAME=value" strings (e.g. a job's saved environment).
void apply_environment(Config& config, const std::vector<std::string>& name_value_pairs);

// Every key as "HPCMON_<SECTION>__<KEY>=value", in schema order: what a launcher exports
// so that a process rebuilds the same configuration with defaults() + apply_environment().
std::vector<std::string> to_environment(const Config& config);

// True when every schema key has the same value (source and env_overrides aside).
bool same_settings(const Config& a, const Config& b);

// The effective configuration as YAML, every key, in schema order; loads back identically.
std::string to_yaml(const Config& config);

}  // namespace hpcmon::config
