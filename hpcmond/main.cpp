// hpcmond: wires the parts together and nothing else. `--agent` runs the node agent
// (hpcmon/agent.hpp); without it, the head-node daemon (hpcmon/head/head.hpp).
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "hpcmon/agent.hpp"
#include "hpcmon/config.hpp"
#ifdef HPCMON_WITH_HEAD
#include "hpcmon/head/head.hpp"
#endif

namespace {

std::atomic<bool> stop_requested{false};
std::atomic<bool> reload_requested{false};
void on_signal(int) { stop_requested = true; }
void on_hangup(int) { reload_requested = true; }

int usage(const char* message) {
  std::fprintf(stderr,
               "%s%susage: hpcmond [--agent] [--config FILE]\n"
               "  (no mode)      run the head-node daemon\n"
               "  --agent        run the node agent (root service on each compute node)\n"
               "  --config FILE  configuration file (default: $HPCMON_CONFIG, else "
               "/etc/hpcmon/performance_monitoring_config.yaml)\n",
               message, *message ? "\n" : "");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  bool agent_mode = false;
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--agent") agent_mode = true;
    else if (arg == "--config" && i + 1 < argc) config_path = argv[++i];
    else if (arg.rfind("--config=", 0) == 0) config_path = arg.substr(9);
    else if (arg == "--help" || arg == "-h") return usage(""), 0;
    else return usage(("hpcmond: unknown argument " + arg).c_str());
  }
  hpcmon::config::Config config;
  const std::filesystem::path file =
      config_path.empty() ? hpcmon::config::default_path() : std::filesystem::path(config_path);
  if (!agent_mode) {
#ifdef HPCMON_WITH_HEAD
    try {
      config = hpcmon::config::load_file(file);
    } catch (const hpcmon::config::ConfigError& e) {
      std::fprintf(stderr, "hpcmond: %s\n", e.what());
      return 2;
    }
    struct sigaction stop{}, hangup{};
    stop.sa_handler = on_signal;
    hangup.sa_handler = on_hangup;
    sigaction(SIGTERM, &stop, nullptr);
    sigaction(SIGINT, &stop, nullptr);
    sigaction(SIGHUP, &hangup, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    return hpcmon::head::run(config, stop_requested, &reload_requested);
#else
    std::fprintf(stderr, "hpcmond: this build has no head-node daemon; run the node agent with --agent\n");
    return 2;
#endif
  }
  try {
    // The agent acts for jobs as root: HPCMON_* overrides in its environment are ignored.
    config = hpcmon::config::load_file(file, hpcmon::config::Environment::ignore);
  } catch (const hpcmon::config::ConfigError& e) {
    std::fprintf(stderr, "hpcmond: %s\n", e.what());
    return 2;
  }
  hpcmon::agent::Log log(hpcmon::agent::parse_level(config.general.log_level));
  if (!config.general.enabled) {
    log.info("general.enabled is false: nothing to do");
    return 0;
  }
  // Three /proc descriptors per followed process: take the hard limit, not the soft 1024.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    hpcmon::agent::Agent agent(hpcmon::agent::AgentOptions::from_config(config), log);
    log.info("listening on " + agent.options().socket_path.string() + ", records under " +
             agent.options().record_dir.string() + " (configuration " + file.string() + ")");
    agent.run(stop_requested);
    const auto c = agent.counters();
    log.info("stopping: " + std::to_string(c.events) + " events, " + std::to_string(c.malformed) + " malformed, " +
             std::to_string(c.refused_peers) + " refused peers, " + std::to_string(c.records_written) +
             " partials written, " + std::to_string(c.record_errors) + " failed, " + std::to_string(c.pushes_sent) +
             " pushes sent, " + std::to_string(c.spool_dropped) + " dropped from the spool");
  } catch (const std::exception& e) {
    log.error(e.what());
    return 3;
  }
  return 0;
}
