// The agents' listener over HTTPS: a private CA and a server certificate made here with
// openssl, the daemon serving TLS on loopback, the agent's real push client verifying it.
#include <gtest/gtest.h>

#include <cstdlib>

#include "harness.hpp"
#include "hpcmon/agent/log.hpp"
#include "hpcmon/agent/pusher.hpp"
#include "hpcmon/agent/spool.hpp"

namespace hpcmon::head {
namespace {

using test::http;

// A CA named `name` in dir/<name>.pem and, when `server` is set, a certificate it signs for
// 127.0.0.1 in dir/server.pem with its key in dir/server.key.
void make_ca(const std::filesystem::path& dir, const std::string& name, bool server) {
  const std::string d = dir.string();
  std::string script = "set -e; cd '" + d + "'; "
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-subj /CN=" + name + " -keyout " + name + ".key -out " + name + ".pem 2>/dev/null; ";
  if (server)
    script += "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 "
              "-keyout server.key -out server.csr 2>/dev/null; "
              "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext; "
              "openssl x509 -req -in server.csr -CA " + name + ".pem -CAkey " + name + ".key -CAcreateserial "
              "-days 2 -extfile san.ext -out server.pem 2>/dev/null; chmod 600 server.key";
  ASSERT_EQ(std::system(("bash -c \"" + script + "\"").c_str()), 0) << script;
}

config::Config tls_config(const std::filesystem::path& dir) {
  config::Config config;
  config.general.log_level = "off";
  config.general.node_sample_interval_s = 0.2;
  config.hpc.record_dir = (dir / "records").string();
  config.api.access = "token";
  config.api.token_file = (dir / "api.token").string();
  config.api.agent_token_file = (dir / "agent.token").string();
  config.api.agent_tls_cert_file = (dir / "server.pem").string();
  config.api.agent_tls_key_file = (dir / "server.key").string();
  std::filesystem::create_directories(dir / "records");
  test::write_text(dir / "api.token", "h-0123456789abcdef0123\n", 0600);
  test::write_text(dir / "agent.token", "a-0123456789abcdef0123\n", 0600);
  return config;
}

std::uint64_t stored(const test::Daemon& daemon) {
  const auto reply = http(daemon.url("/api/v1/agents"), "GET", "", {"Authorization: Bearer h-0123456789abcdef0123"});
  return reply.json()["data"]["stored"].get<std::uint64_t>();
}

TEST(AgentTls, PushOverHttpsIsStoredWrongCaRefusedPlainHttpFails) {
  test::TempDir dir;
  make_ca(dir.path(), "goodca", true);
  make_ca(dir.path(), "otherca", false);
  test::Daemon daemon(tls_config(dir.path()));
  ASSERT_EQ(http(daemon.url("/api/v1/health")).status, 200);
  EXPECT_EQ(stored(daemon), 0u);

  // Plain HTTP to the TLS port gets no HTTP answer.
  std::string plain = daemon.agent_url("/api/v1/agent/push");
  plain.replace(0, 5, "http");
  EXPECT_EQ(http(plain, "POST", "{}").status, 0);

  auto spool_with_one = [](const std::filesystem::path& folder) {
    auto spool = std::make_unique<agent::Spool>(folder, 1 << 20);
    spool->append("samples", [&](std::uint64_t seq) {
      return nlohmann::json{{"v", 1}, {"kind", "samples"}, {"seq", seq},
                            {"agent", {{"node", "n1"}, {"instance", spool->instance()}, {"hostname", "n1"}}},
                            {"sent_ns", test::now_ns()},
                            {"samples", {{"node", {{{"t_ns", 1}, {"cpu_util", 0.25}}}}, {"steps", nlohmann::json::array()}}}}
          .dump();
    });
    return spool;
  };
  agent::Log log(agent::Level::error);
  const std::string head = daemon.agent_url("");
  {  // A CA that did not sign the head's certificate: nothing is sent, the spool keeps it.
    auto spool = spool_with_one(dir.path() / "spool-wrong");
    agent::Pusher pusher(*spool, head, dir.path() / "agent.token", 0.1, log, dir.path() / "otherca.pem");
    pusher.wake();
    EXPECT_TRUE(test::eventually([&] { return pusher.failed() >= 1; }, 5));  // the TLS handshake was refused
    EXPECT_EQ(pusher.sent(), 0u);
    EXPECT_EQ(spool->pending().size(), 1u);
  }
  EXPECT_EQ(stored(daemon), 0u);
  {  // The private CA: the push arrives and is stored once.
    auto spool = spool_with_one(dir.path() / "spool-good");
    agent::Pusher pusher(*spool, head, dir.path() / "agent.token", 0.1, log, dir.path() / "goodca.pem");
    pusher.wake();
    EXPECT_TRUE(test::eventually([&] { return pusher.sent() == 1; }, 5));
    EXPECT_TRUE(spool->pending().empty());
  }
  EXPECT_EQ(stored(daemon), 1u);
  const auto live = http(daemon.url("/api/v1/agents"), "GET", "", {"Authorization: Bearer h-0123456789abcdef0123"});
  EXPECT_EQ(live.json()["data"]["agents"]["n1"]["reading"]["cpu_util"], 0.25);
}

TEST(AgentTls, DaemonRefusesPlainHttpAgentListenerOffLoopback) {
  test::TempDir dir;
  config::Config config;
  config.general.log_level = "off";
  config.hpc.record_dir = (dir.path() / "records").string();
  config.api.port = test::free_port();
  config.api.agent_listen_address = "0.0.0.0";
  std::atomic<bool> stop{false};
  testing::internal::CaptureStderr();
  EXPECT_EQ(run(config, stop), 1);
  const std::string error = testing::internal::GetCapturedStderr();
  EXPECT_NE(error.find("api.agent_listen_address 0.0.0.0 is not loopback"), std::string::npos) << error;
  EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 1) << error;
  EXPECT_NE(http("http://127.0.0.1:" + std::to_string(config.api.port) + "/api/v1/health").status, 200);

  config.api.agent_listen_address = "127.0.0.1";
  config.api.agent_port = config.api.port;
  testing::internal::CaptureStderr();
  EXPECT_EQ(run(config, stop), 1);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("needs a port of its own"), std::string::npos);
}

}  // namespace
}  // namespace hpcmon::head
