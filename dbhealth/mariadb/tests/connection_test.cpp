// The monitor's connection and one health reading, on the fixture's real MariaDB and slurmdbd.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "hpcmon/dbhealth/db_status.hpp"
#include "test_db.hpp"

namespace hpcmon::dbhealth {
namespace {

using testing::accounting_env;
using testing::monitor_endpoint;

const ClientConnections* find_client(const DbStatus& status, const std::string& user, const std::string& host) {
  for (const auto& c : status.clients)
    if (c.user == user && c.host == host) return &c;
  return nullptr;
}

// A reading whose PROCESSLIST adds up to Threads_connected (two statements: a client of
// slurmdbd may come or go between them), within 10 s.
DbStatus consistent_reading(Connection& connection) {
  DbStatus status;
  EXPECT_TRUE(testing::eventually(10, [&] {
    status = read_status(connection, {"slurm_acct_db", 50});
    std::int64_t listed = 0;
    for (const auto& c : status.clients) listed += c.connections;
    return listed == status.threads_connected;
  })) << "PROCESSLIST never matched Threads_connected";
  return status;
}

std::string password_of(const Endpoint& endpoint) {
  std::ifstream in(endpoint.password_file);
  std::string line;
  std::getline(in, line);
  return line;
}

TEST(Connection, ReadsCountersClientsAndDigestsWithTheMonitorAccount) {
  auto connection = Connection::open(monitor_endpoint());
  const DbStatus status = consistent_reading(connection);
  EXPECT_TRUE(status.up);
  EXPECT_EQ(status.max_connections, std::stoll(testing::root_sql("SELECT @@max_connections")));
  EXPECT_GE(status.threads_connected, 2);  // slurmdbd's and ours
  EXPECT_TRUE(status.sees_all_clients);
  EXPECT_TRUE(status.missing_privileges.empty());
  // slurmdbd's connections are another account's: listed only thanks to PROCESS.
  const auto* slurm = find_client(status, "slurm", "127.0.0.1");
  ASSERT_NE(slurm, nullptr);
  EXPECT_GE(slurm->connections, 1);
  ASSERT_NE(find_client(status, "hpcmon", "127.0.0.1"), nullptr);
  ASSERT_TRUE(status.digests_available) << status.digests_note;
  ASSERT_FALSE(status.digests.empty());
  for (const auto& d : status.digests) {
    EXPECT_EQ(d.schema, "slurm_acct_db");
    EXPECT_GT(d.count, 0u);
    EXPECT_FALSE(d.first_seen.empty());
  }
  EXPECT_TRUE(std::is_sorted(status.digests.begin(), status.digests.end(),
                             [](const auto& a, const auto& b) { return a.total_s > b.total_s; }));
  const auto json = to_json(status);
  EXPECT_EQ(json["db_up"], 1);
  EXPECT_EQ(json["connections_used"], status.threads_connected);
}

TEST(Connection, TheMonitorAccountCannotReadJobData) {
  auto connection = Connection::open(monitor_endpoint());
  try {
    connection.query("SELECT COUNT(*) FROM slurm_acct_db.`" + accounting_env().at("HPCMON_SLURM_CLUSTER") +
                     "_job_table`");
    FAIL() << "the monitor read slurmdbd's job table";
  } catch (const DbError& error) {
    EXPECT_EQ(error.failure(), Failure::missing_privilege) << error.what();
  }
}

TEST(Connection, KClientsHoldingConnectionsAddExactlyKAndAreNamed) {
  constexpr int kClients = 4;
  const std::string pass = "k-clients-pass-4711";
  testing::root_sql("DROP USER IF EXISTS 'dbtest_k'@'localhost'; CREATE USER 'dbtest_k'@'localhost' IDENTIFIED BY '" +
                    pass + "';");
  auto connection = Connection::open(monitor_endpoint());
  const DbStatus before = consistent_reading(connection);
  ASSERT_EQ(find_client(before, "dbtest_k", "localhost"), nullptr);
  {
    std::vector<std::unique_ptr<testing::Process>> clients;
    for (int i = 0; i < kClients; ++i)
      clients.push_back(std::make_unique<testing::Process>(
          std::vector<std::string>{"mariadb", "--no-defaults", "-S", accounting_env().at("HPCMON_MARIADB_SOCKET"),
                                   "-u", "dbtest_k", "-e", "SELECT SLEEP(60)"},
          std::map<std::string, std::string>{{"MYSQL_PWD", pass}}));
    DbStatus during;
    ASSERT_TRUE(testing::eventually(20, [&] {
      during = consistent_reading(connection);
      const auto* k = find_client(during, "dbtest_k", "localhost");
      return k && k->connections == kClients && k->active == kClients;
    })) << "the " << kClients << " clients never all showed up";
    // Exactly K more, whatever else (slurmdbd) did in between.
    std::int64_t others_delta = 0;
    for (const auto& c : during.clients) {
      if (c.user == "dbtest_k") continue;
      const auto* was = find_client(before, c.user, c.host);
      others_delta += c.connections - (was ? was->connections : 0);
    }
    for (const auto& c : before.clients)
      if (!find_client(during, c.user, c.host)) others_delta -= c.connections;
    EXPECT_EQ(during.threads_connected - before.threads_connected - others_delta, kClients);
    EXPECT_GE(during.threads_running, kClients);
  }
  // The clients ended: their connections are gone.
  EXPECT_TRUE(testing::eventually(20, [&] {
    return find_client(read_status(connection, {"slurm_acct_db", 5}), "dbtest_k", "localhost") == nullptr;
  }));
  testing::root_sql("DROP USER 'dbtest_k'@'localhost';");
}

TEST(Connection, UnreachableServerIsTypedAndNamesTheAddress) {
  Endpoint endpoint = monitor_endpoint();
  endpoint.port = testing::free_port();
  try {
    Connection::open(endpoint);
    FAIL() << "connected to a port where nothing listens";
  } catch (const DbError& error) {
    EXPECT_EQ(error.failure(), Failure::unreachable) << error.what();
    EXPECT_NE(std::string(error.what()).find("hpcmon@127.0.0.1:" + std::to_string(endpoint.port)), std::string::npos)
        << error.what();
  }
}

TEST(Connection, WrongPasswordIsAccessDeniedWithoutThePassword) {
  Endpoint endpoint = monitor_endpoint();
  const std::string wrong = "certainly-not-the-password-42";
  endpoint.password_file = testing::private_file(wrong + "\n");
  try {
    Connection::open(endpoint);
    FAIL() << "connected with a wrong password";
  } catch (const DbError& error) {
    EXPECT_EQ(error.failure(), Failure::access_denied) << error.what();
    EXPECT_EQ(std::string(error.what()).find(wrong), std::string::npos);
    EXPECT_EQ(std::string(error.what()).find(password_of(monitor_endpoint())), std::string::npos);
  }
}

TEST(Connection, PasswordFileReadableByOthersIsRefused) {
  Endpoint endpoint = monitor_endpoint();
  const std::string secret = password_of(endpoint);
  endpoint.password_file = testing::private_file(secret + "\n", 0644);
  try {
    Connection::open(endpoint);
    FAIL() << "used a world-readable password file";
  } catch (const DbError& error) {
    EXPECT_EQ(error.failure(), Failure::password_file);
    EXPECT_NE(std::string(error.what()).find("chmod 600"), std::string::npos) << error.what();
    EXPECT_EQ(std::string(error.what()).find(secret), std::string::npos);
  }
}

TEST(Connection, AnAccountWithoutPrivilegesGetsAPartialReadingThatSaysWhy) {
  const std::string pass = "no-privilege-pass-0815";
  testing::root_sql("DROP USER IF EXISTS 'dbtest_bare'@'127.0.0.1'; CREATE USER 'dbtest_bare'@'127.0.0.1' IDENTIFIED BY '" +
                    pass + "';");
  Endpoint endpoint = monitor_endpoint();
  endpoint.user = "dbtest_bare";
  endpoint.password_file = testing::private_file(pass);
  auto connection = Connection::open(endpoint);
  const DbStatus status = read_status(connection, {"slurm_acct_db", 5});
  EXPECT_TRUE(status.up);
  EXPECT_FALSE(status.sees_all_clients);
  EXPECT_FALSE(status.digests_available);
  EXPECT_EQ(status.missing_privileges,
            (std::vector<std::string>{"PROCESS", "SELECT on performance_schema"}));
  EXPECT_EQ(find_client(status, "slurm", "127.0.0.1"), nullptr);  // others' connections are hidden
  EXPECT_GT(status.max_connections, 0);  // status needs no privilege
  testing::root_sql("DROP USER 'dbtest_bare'@'127.0.0.1';");
}

TEST(ClientHost, DropsThePortOfTcpClients) {
  EXPECT_EQ(client_host("127.0.0.1:45678"), "127.0.0.1");
  EXPECT_EQ(client_host("localhost"), "localhost");
  EXPECT_EQ(client_host("[::1]:3306"), "::1");
  EXPECT_EQ(client_host("db-host.example.org:1"), "db-host.example.org");
}

}  // namespace
}  // namespace hpcmon::dbhealth
