// try-index on a development copy of the fixture's real job table, grown past 100,000 rows:
// measured before/after, EXPLAIN from a full scan to the index, and slurmdbd's live table
// untouched (its index list compared before and after); every safety refusal changes nothing.
#include <gtest/gtest.h>

#include <cstdlib>

#include "hpcmon/dbhealth/try_index.hpp"
#include "test_db.hpp"

namespace hpcmon::dbhealth {
namespace {

using testing::accounting_env;

const std::string kLive = "slurm_acct_db";
const std::string kCopy = "hpcmon_dev_test_copy";
const std::string kQuery = "select t1.job_db_inx, t1.id_job from \"" + std::string() + "%TABLE%\" as t1 where t1.job_name='sim_42'";

std::string job_table() { return accounting_env().at("HPCMON_SLURM_CLUSTER") + "_job_table"; }

std::string query() {
  std::string q = kQuery;
  q.replace(q.find("%TABLE%"), 7, job_table());
  return q;
}

Endpoint dev_endpoint() {
  Endpoint e = testing::monitor_endpoint();
  e.user = accounting_env().at("HPCMON_DB_DEV_USER");
  e.password_file = accounting_env().at("HPCMON_DB_DEV_PASSWORD_FILE");
  e.read_timeout_s = 120;
  return e;
}

std::string live_indexes() {
  return testing::root_sql(
      "SELECT INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA='" + kLive +
      "' AND TABLE_NAME='" + job_table() + "' ORDER BY INDEX_NAME, SEQ_IN_INDEX");
}

// At least one real job in the live table: run one through the fixture's Slurm.
void ensure_a_live_job() {
  auto rows = [] { return std::stoll(testing::root_sql("SELECT COUNT(*) FROM " + kLive + ".`" + job_table() + "`")); };
  if (rows() > 0) return;
  const std::string conf = std::string(std::getenv("HPCMON_ACCOUNTING_DIR")) + "/etc/slurm.conf";
  ASSERT_EQ(std::system(("SLURM_CONF=" + conf + " timeout 60 srun -n1 true").c_str()), 0);
  ASSERT_TRUE(testing::eventually(30, [&] { return rows() > 0; }));
}

// Doubles the copy's rows (INSERT ... SELECT of itself, id_job shifted to stay unique) until it
// holds `at_least`, then spreads job names over 3,000 values.
std::uint64_t grow_copy(Connection& dev, std::uint64_t at_least) {
  const std::string table = quote_identifier(kCopy) + "." + quote_identifier(job_table());
  const auto columns = dev.query("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='" + kCopy +
                                 "' AND TABLE_NAME='" + job_table() + "' AND COLUMN_NAME <> 'job_db_inx' ORDER BY ORDINAL_POSITION");
  std::string into, select;
  for (const auto& row : columns.rows) {
    const std::string c = quote_identifier(*row[0]);
    into += (into.empty() ? "" : ", ") + c;
    select += std::string(select.empty() ? "" : ", ") + (*row[0] == "id_job" ? "id_job + @shift" : c);
  }
  auto count = [&] { return std::stoull(*dev.query("SELECT COUNT(*) FROM " + table).rows.at(0)[0]); };
  while (count() < at_least) {
    dev.execute("SET @shift = (SELECT MAX(id_job) FROM " + table + ")");
    dev.execute("INSERT INTO " + table + " (" + into + ") SELECT " + select + " FROM " + table);
  }
  dev.execute("UPDATE " + table + " SET job_name = CONCAT('sim_', job_db_inx % 3000)");
  return count();
}

class TryIndex : public ::testing::Test {
 protected:
  void SetUp() override {
    ensure_a_live_job();
    live_before_ = live_indexes();
    ASSERT_NE(live_before_.find("rollup"), std::string::npos);
  }
  void TearDown() override {
    EXPECT_EQ(live_indexes(), live_before_) << "slurmdbd's live job table changed";
    testing::root_sql("DROP DATABASE IF EXISTS " + kCopy);
  }
  TryIndexRequest request() {
    TryIndexRequest r;
    r.dev = dev_endpoint();
    r.dev_schema = kCopy;
    r.live = testing::monitor_endpoint();
    r.live_schema = kLive;
    r.create_index = "CREATE INDEX try_job_name ON " + job_table() + " (job_name(64))";
    r.query = query();
    r.runs = 5;
    return r;
  }
  std::string live_before_;
};

TEST_F(TryIndex, CopyOfAHundredThousandJobsShowsTheMeasuredGain) {
  Connection dev = Connection::open(dev_endpoint());
  const auto copies = copy_tables(dev, kLive, kCopy, {job_table()}, 1000);
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(copies[0].rows, std::stoull(testing::root_sql("SELECT COUNT(*) FROM " + kLive + ".`" + job_table() + "`")));
  const std::uint64_t rows = grow_copy(dev, 100000);
  ASSERT_GE(rows, 100000u);

  const TryIndexReport report = try_index(request());
  EXPECT_TRUE(report.on_live_server);
  ASSERT_EQ(report.before.explain.size(), 1u);
  ASSERT_EQ(report.after.explain.size(), 1u);
  EXPECT_EQ(report.before.explain[0].type, "ALL");  // a full scan
  EXPECT_EQ(report.before.explain[0].key, "");
  EXPECT_GE(report.before.explain[0].rows, 50000);
  EXPECT_EQ(report.after.explain[0].type, "ref");
  EXPECT_EQ(report.after.explain[0].key, "try_job_name");
  EXPECT_EQ(report.before.runs_s.size(), 5u);
  EXPECT_EQ(report.after.runs_s.size(), 5u);
  EXPECT_GT(report.before.rows_returned, 0u);
  EXPECT_EQ(report.before.rows_returned, report.after.rows_returned);
  EXPECT_GT(report.gain, 2.0) << to_text(report);
  EXPECT_FALSE(report.index_kept);
  EXPECT_EQ(testing::root_sql("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA='" + kCopy +
                              "' AND INDEX_NAME='try_job_name'"),
            "0\n");
  std::printf("%s", to_text(report).c_str());
}

TEST_F(TryIndex, RefusesTheLiveSchemaOnTheLiveServer) {
  auto r = request();
  r.dev_schema = kLive;
  EXPECT_THROW(try_index(r), TryIndexRefused);
}

TEST_F(TryIndex, RefusesASchemaOnTheLiveServerThatIsNotItsCopy) {
  testing::root_sql("CREATE DATABASE " + kCopy + "; CREATE TABLE " + kCopy + ".`" + job_table() + "` LIKE " + kLive +
                    ".`" + job_table() + "`;");
  try {
    try_index(request());
    FAIL() << "ran on a schema it did not copy";
  } catch (const TryIndexRefused& refused) {
    EXPECT_NE(std::string(refused.what()).find("--copy"), std::string::npos) << refused.what();
  }
  EXPECT_EQ(testing::root_sql("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA='" + kCopy +
                              "' AND INDEX_NAME='try_job_name'"),
            "0\n");
}

TEST_F(TryIndex, RefusesAQueryNamingTheLiveSchemaAndNonSelects) {
  Connection dev = Connection::open(dev_endpoint());
  copy_tables(dev, kLive, kCopy, {job_table()}, 1000);
  auto r = request();
  r.query = "select count(*) from " + kLive + ".\"" + job_table() + "\"";
  EXPECT_THROW(try_index(r), TryIndexRefused);
  r.query = "delete from \"" + job_table() + "\"";
  EXPECT_THROW(try_index(r), TryIndexRefused);
  r = request();
  r.create_index = "ALTER TABLE " + job_table() + " ADD INDEX x (job_name(8))";
  EXPECT_THROW(try_index(r), TryIndexRefused);
}

TEST(ParseCreateIndex, ReadsNameTableAndColumns) {
  const auto plain = parse_create_index("CREATE INDEX j ON t (a, b(8))");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->name, "j");
  EXPECT_EQ(plain->table, "t");
  EXPECT_EQ(plain->columns, "a, b(8)");
  EXPECT_FALSE(plain->unique);
  const auto quoted = parse_create_index("create unique index `k` on \"slurm_acct_db\".\"c_job_table\" (state, time_end);");
  ASSERT_TRUE(quoted);
  EXPECT_TRUE(quoted->unique);
  EXPECT_EQ(quoted->table, "c_job_table");
  EXPECT_EQ(quoted->columns, "state, time_end");
  EXPECT_FALSE(parse_create_index("DROP INDEX j ON t"));
}

}  // namespace
}  // namespace hpcmon::dbhealth
