// performance_schema digests as the preferred source, on the real MariaDB of the `accounting`
// fixture (performance_schema=ON, max_digest_length 4096): a statement new to the server run
// N times as slurmdbd sends it is counted N from its digest, under the same fingerprint as its
// slow-log entries; TRUNCATE of the summary table never gives a negative delta.
#include <gtest/gtest.h>

#include <unistd.h>

#include <ctime>

#include "hpcmon/dbhealth/dbhealth.hpp"
#include "hpcmon/dbhealth/db_status.hpp"
#include "test_db.hpp"

namespace hpcmon::dbhealth {
namespace {

class DigestsLive : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto& env = testing::accounting_env();
    if (env.empty()) GTEST_SKIP() << "HPCMON_ACCOUNTING_DIR is not set";
    schema_ = env.at("HPCMON_SLURM_ACCT_DB");
    // A statement the server has never seen: its alias (an identifier) is new each run.
    const std::string alias = "hpcmon_probe_" + std::to_string(::getpid()) + "_" + std::to_string(std::time(nullptr));
    sql_ = "select t1.id_job as " + alias + " from \"" + env.at("HPCMON_SLURM_CLUSTER") +
           "_job_table\" as t1 where t1.id_job=424242 && t1.job_name='probe'";
  }
  // As slurmdbd sends it: its schema, ANSI_QUOTES.
  void run(int times) {
    std::string text = "USE " + schema_ + "; SET SESSION sql_mode='ANSI_QUOTES,NO_ENGINE_SUBSTITUTION';\n";
    for (int i = 0; i < times; ++i) text += sql_ + ";\n";
    testing::root_sql(text);
  }
  DigestSnapshot read(Connection& connection) {
    const DbStatus status = read_status(connection, {schema_, 20});
    EXPECT_TRUE(status.digests_available) << status.digests_note;
    EXPECT_TRUE(status.digests_complete);
    EXPECT_GE(status.max_digest_length, 4096);
    return digest_snapshot(status);
  }
  std::string schema_, sql_;
};

TEST_F(DigestsLive, AKnownQueryRunNTimesCountsNFromItsDigestBesideItsSlowLogEntries) {
  Connection connection = Connection::open(testing::monitor_endpoint());
  Analyzer analyzer(config::defaults().accounting_db);
  const std::string id = fingerprint_id(statement_identity(sql_));
  SlowLogFollower follower(testing::accounting_env().at("HPCMON_MARIADB_SLOW_LOG"), "", 1ull << 40, {});
  follower.poll();  // what the log had before: not this test's
  analyzer.add_digests(read(connection));
  ASSERT_EQ(analyzer.find(id), nullptr) << "the probe statement is new to the server";

  run(7);
  analyzer.add_digests(read(connection));
  const FingerprintStats* stats = analyzer.find(id);
  ASSERT_NE(stats, nullptr) << "no digest of the probe statement";
  ASSERT_TRUE(stats->digest.has_value());
  EXPECT_EQ(stats->digest->count, 7u);
  EXPECT_EQ(executions(*stats), 7u);
  EXPECT_EQ(stats->digest->rows_sent, 0u);
  EXPECT_GT(stats->digest->total_time_s, 0.0);
  EXPECT_EQ(stats->digest->digests.size(), 1u);

  // The slow log (long_query_time=0 on the fixture) has the same 7, under the same fingerprint.
  ASSERT_TRUE(testing::eventually(10, [&] {
    for (const SlowQuery& q : follower.poll().entries) analyzer.add(q);
    const FingerprintStats* s = analyzer.find(id);
    return s && s->count >= 7;
  }));
  stats = analyzer.find(id);
  EXPECT_EQ(stats->count, 7u);
  EXPECT_EQ(stats->digest->count, 7u);
  const nlohmann::json json = fingerprint_json(*stats);
  EXPECT_EQ(json["sources"], nlohmann::json::array({"performance_schema", "slow_log"}));
  EXPECT_EQ(json["count"], 7);
  EXPECT_EQ(json["clients"].size(), 1u) << json["clients"].dump();  // root@localhost: from the slow log

  run(3);
  analyzer.add_digests(read(connection));
  EXPECT_EQ(analyzer.find(id)->digest->count, 10u);

  // TRUNCATE of the summary table (as a restart would): 2 more are 2 more, never fewer.
  const std::uint64_t resets = analyzer.digest_resets();
  testing::root_sql("TRUNCATE performance_schema.events_statements_summary_by_digest");
  run(2);
  analyzer.add_digests(read(connection));
  EXPECT_EQ(analyzer.find(id)->digest->count, 12u);
  EXPECT_GT(analyzer.digest_resets(), resets);
  analyzer.add_digests(read(connection));
  EXPECT_EQ(analyzer.find(id)->digest->count, 12u);
}

}  // namespace
}  // namespace hpcmon::dbhealth
