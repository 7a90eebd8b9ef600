#include "hpcmon/test_support/shipped_head.hpp"

#include "hpcmon/test_support/files.hpp"
#include "hpcmon/test_support/http_client.hpp"

namespace hpcmon::test_support {

ShippedHead::ShippedHead(std::filesystem::path program, std::filesystem::path dir)
    : program_(std::move(program)), dir_(std::move(dir)), port_(free_port()), agent_port_(free_port()) {
  while (agent_port_ == port_) agent_port_ = free_port();
  write_text(dir_ / "agent.token", std::string(agent_token) + "\n");
  write_text(dir_ / "api.token", std::string(human_token) + "\n");
  std::filesystem::create_directories(records());
}

void ShippedHead::write_config(const HeadSettings& settings) {
  write_text(config_file(),
             "general:\n  node_sample_interval_s: " + std::to_string(settings.node_sample_interval_s) +
                 "\nhpc:\n  record_dir: " + records().string() +
                 "\nagent:\n  push_interval_s: 0.5\n"
                 "api:\n  port: " + std::to_string(port_) + "\n  agent_port: " + std::to_string(agent_port_) +
                 "\n  token_file: " + (dir_ / "api.token").string() +
                 "\n  agent_token_file: " + (dir_ / "agent.token").string() +
                 "\n  record_scan_interval_s: " + std::to_string(settings.record_scan_interval_s) +
                 // Its own history (and canonical records beside it) and alert state.
                 "\nhistory:\n  path: " + (dir_ / "history").string() + "\n" + settings.history +
                 "alerting:\n  state_file: " + (dir_ / "alerts.json").string() + "\n" + settings.alerting +
                 settings.sections,
             0644);
}

bool ShippedHead::start() {
  // SLURM_CONF of the developer's shell would point the daemon at a live test cluster.
  process_.start({program_.string(), "--config", config_file().string()}, dir_ / "hpcmond.log", {"SLURM_CONF"});
  return eventually([&] { return http(url("/api/v1/health")).status == 200; }, 10);
}

std::string ShippedHead::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::string ShippedHead::agent_url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(agent_port_) + path;
}

std::string ShippedHead::log() const { return read_text(dir_ / "hpcmond.log"); }

}  // namespace hpcmon::test_support
