// Test helpers of alerting: the shipped hpcmond (test_support's ShippedHead) configured with an
// alerting section, pushes as a node agent over HTTP, and the alerts API read back; helper
// programs (receivers) run as ChildProcess.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "hpcmon/test_support/child_process.hpp"
#include "hpcmon/test_support/files.hpp"
#include "hpcmon/test_support/http_client.hpp"
#include "hpcmon/test_support/shipped_head.hpp"

namespace hpcmon::alerts::test {

using nlohmann::json;
namespace fs = std::filesystem;
using test_support::eventually;
using test_support::free_port;
using test_support::http;
using test_support::now_ns;
using test_support::post_json;
using test_support::read_text;
using test_support::Reply;
using test_support::write_text;
using test_support::ChildProcess;

struct TempDir : test_support::TempDir {
  TempDir() : test_support::TempDir("alerts") {}
};

// hpcmond (head mode) with a configuration written from `alerting_yaml` (the body of the
// alerting section) and `extra_yaml` (other sections), its tokens and state in `dir`.
class Daemon : public test_support::ShippedHead {
 public:
  Daemon(const fs::path& dir, const std::string& alerting_yaml, const std::string& extra_yaml = "")
      : ShippedHead(HPCMOND_BIN, dir), extra_yaml_(extra_yaml) {
    write_config(alerting_yaml);
    start();
  }
  // Rewrites the configuration file with another alerting section (for a reload).
  void write_config(const std::string& alerting_yaml) {
    test_support::HeadSettings settings;
    settings.alerting = alerting_yaml;
    settings.sections = extra_yaml_;
    ShippedHead::write_config(settings);
  }

  // One push of the agent protocol (docs/api.md), as node agent `node`.
  Reply push(const std::string& node, const json& node_readings, const json& steps = json::array()) {
    const json body = {{"v", 1}, {"kind", "samples"}, {"seq", ++seq_},
                       {"agent", {{"node", node}, {"instance", instance_}, {"hostname", node}}},
                       {"sent_ns", now_ns()},
                       {"samples", {{"node", node_readings}, {"steps", steps}}}};
    return post_json(agent_url("/api/v1/agent/push"), body.dump(), agent_token);
  }
  json alerts(const std::string& query = "") const { return http(url("/api/v1/alerts" + query)).data(); }
  // The first alert of `alertname` in `state` (null when none).
  json find(const std::string& alertname, const std::string& state) const {
    const json data = alerts("?alertname=" + alertname + "&state=" + state);
    if (!data.contains("alerts") || data["alerts"].empty()) return json();
    return data["alerts"][0];
  }
  Reply acknowledge(const std::string& id, const std::string& comment, const std::string& token = human_token) {
    return post_json(url("/api/v1/alerts/acknowledge"), json{{"id", id}, {"comment", comment}}.dump(), token);
  }

 private:
  std::string extra_yaml_;
  std::uint64_t seq_ = 0;
  std::string instance_ = std::to_string(now_ns() % 1000000007);
};

}  // namespace hpcmon::alerts::test
