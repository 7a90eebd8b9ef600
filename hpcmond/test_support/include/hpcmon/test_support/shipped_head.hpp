// The shipped hpcmond in head mode as a child process of a test: its configuration, tokens,
// records, history and alert state all in the test's folder (never the machine's
// /var/lib/hpcmon), on two free loopback ports; killed or stopped like the real service, and
// restarted on the same folder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "hpcmon/test_support/child_process.hpp"

namespace hpcmon::test_support {

// What differs between tests; the rest of the configuration is the folder's own.
struct HeadSettings {
  double node_sample_interval_s = 0.2;
  double record_scan_interval_s = 0.2;
  std::string history;   // further keys of `history:`, each line indented two spaces
  std::string alerting;  // further keys of `alerting:`
  std::string sections;  // further whole sections
};

class ShippedHead {
 public:
  static constexpr const char* agent_token = "agent-token-for-tests";
  static constexpr const char* human_token = "human-token-for-tests";

  // Picks the ports and writes the two token files in `dir`; starts nothing.
  ShippedHead(std::filesystem::path program, std::filesystem::path dir);

  // Writes dir/hpcmon.yaml (again, before a reload or a restart).
  void write_config(const HeadSettings& settings);
  // Starts the program on dir/hpcmon.yaml; true once /api/v1/health answers 200 (10 s at most).
  bool start();
  void sigkill() { process_.kill(SIGKILL); }
  void sigterm() { process_.kill(SIGTERM); }  // returns once the daemon has exited
  void signal(int signal) const { process_.signal(signal); }

  std::string url(const std::string& path) const;        // the API and web listener
  std::string agent_url(const std::string& path) const;  // the agents' listener
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path config_file() const { return dir_ / "hpcmon.yaml"; }
  std::filesystem::path records() const { return dir_ / "records"; }
  std::string log() const;

 private:
  std::filesystem::path program_, dir_;
  std::uint16_t port_, agent_port_;
  ChildProcess process_;
};

}  // namespace hpcmon::test_support
