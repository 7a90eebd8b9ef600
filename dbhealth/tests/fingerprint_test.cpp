// Fingerprints of real slurmdbd statements: quoted table names and alias.column kept (where
// pt-fingerprint, the usual tool, turns t1.account into t?ount and the table into ?), literals,
// IN lists and VALUES rows folded, comments and whitespace normalised.
#include "hpcmon/dbhealth/fingerprint.hpp"
#include "hpcmon/dbhealth/slow_log.hpp"
#include "hpcmon/dbhealth/sql_predicates.hpp"
#include "test_data.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <set>

using namespace hpcmon::dbhealth;
using hpcmon::dbhealth::test::read_data;

namespace {

std::vector<SlowQuery> entries(const char* name) { return parse_slow_log(read_data(name), 0, true).entries; }

const SlowQuery& first_containing(const std::vector<SlowQuery>& all, const std::string& part) {
    for (const auto& e : all)
        if (e.statement.find(part) != std::string::npos) return e;
    throw std::runtime_error("no statement with " + part);
}

// pt-fingerprint's output for one statement (percona-toolkit), or "" when it is not installed.
std::string pt_fingerprint(const std::string& sql) {
    const std::string path = testing::TempDir() + "/hpcmon_dbhealth_pt_query.sql";
    {
        FILE* out = std::fopen(path.c_str(), "w");
        std::fputs((sql + ";\n").c_str(), out);
        std::fclose(out);
    }
    FILE* pipe = popen(("pt-fingerprint " + path + " 2>/dev/null").c_str(), "r");
    if (!pipe) return "";
    std::string text;
    std::array<char, 4096> buffer{};
    while (std::fgets(buffer.data(), buffer.size(), pipe)) text += buffer.data();
    pclose(pipe);
    return text;
}

}  // namespace

TEST(Fingerprint, KeepsSlurmsQuotedTablesAndAliasedColumns) {
    const auto all = entries("sacct_name.log");
    const SlowQuery& job = first_containing(all, "hpcmontest_job_table");
    const std::string fp = fingerprint(job.statement);
    EXPECT_EQ(fp.rfind("select t1.account, t1.admin_comment, t1.array_max_tasks,", 0), 0u) << fp;
    EXPECT_NE(fp.find("from \"hpcmontest_job_table\" as t1 left join \"hpcmontest_assoc_table\" as t2"),
              std::string::npos) << fp;
    EXPECT_NE(fp.find("where (t1.job_name = ?)"), std::string::npos) << fp;
    EXPECT_EQ(fp.find("'x'"), std::string::npos);
    EXPECT_EQ(fp.find("t?"), std::string::npos);
    // The same statement for another name and time window has the same fingerprint.
    std::string other = job.statement;
    other.replace(other.find("job_name='x'"), 12, "job_name='sim_42'");
    other.replace(other.find("1795831773"), 10, "1795900000");
    EXPECT_EQ(fingerprint(other), fp);
    EXPECT_EQ(fingerprint_id(fingerprint(other)), fingerprint_id(fp));
    EXPECT_EQ(fingerprint_id(fp).size(), 16u);
}

TEST(Fingerprint, PtFingerprintManglesWhatOursKeeps) {
    const auto all = entries("sacct_name.log");
    const std::string sql = first_containing(all, "hpcmontest_job_table").statement;
    const std::string theirs = pt_fingerprint(sql);
    if (theirs.empty()) GTEST_SKIP() << "pt-fingerprint (percona-toolkit) is not installed";
    // pt-fingerprint reads t1.account as a number followed by "ount", and the quoted table as a string.
    EXPECT_NE(theirs.find("select t?ount, t?min_comment,"), std::string::npos) << theirs;
    EXPECT_EQ(theirs.find("hpcmontest_job_table"), std::string::npos) << theirs;
    const std::string ours = fingerprint(sql);
    EXPECT_NE(ours.find("select t1.account, t1.admin_comment,"), std::string::npos);
    EXPECT_NE(ours.find("\"hpcmontest_job_table\""), std::string::npos);
}

TEST(Fingerprint, FoldsTheStepQueryOfEveryJobIntoOne) {
    const auto all = entries("sacct_steps.log");
    std::set<std::string> step_fingerprints;
    std::size_t steps = 0;
    for (const auto& e : all)
        if (e.statement.find("\"hpcmontest_step_table\"") != std::string::npos) {
            ++steps;
            step_fingerprints.insert(fingerprint(e.statement));
        }
    EXPECT_EQ(steps, 20u);
    ASSERT_EQ(step_fingerprints.size(), 1u);
    EXPECT_NE(step_fingerprints.begin()->find("from \"hpcmontest_step_table\" as t1 where t1.job_db_inx = ?"),
              std::string::npos) << *step_fingerprints.begin();
}

TEST(Fingerprint, FoldsLiteralsListsAndValuesAndDropsComments) {
    EXPECT_EQ(fingerprint("SELECT  a,\n b FROM `t` WHERE x IN (1, 2, 3) AND y='it''s' -- note\n LIMIT 10;"),
              "select a, b from `t` where x in (?+) and y = ? limit ?");
    EXPECT_EQ(fingerprint("select * from t where (a, b) in ((8, 5), (9, 1)) /* hint */ # tail"),
              "select * from t where (a, b) in (?+)");
    EXPECT_EQ(fingerprint("insert into \"c_job_table\" (a, b) values (1, 'x'), (2, 'y'), (3, 'z') "
                          "on duplicate key update a=-5, b=0x1F"),
              "insert into \"c_job_table\" (a, b) values (?+) on duplicate key update a = ?, b = ?");
    EXPECT_EQ(fingerprint("select 1e5, -2.5, 'a\\'b', \"ident\" from t1"), "select ?, ?, ?, \"ident\" from t1");
    EXPECT_EQ(fingerprint("call get_parent_limits('assoc_table', 'root', 'testcluster', 0)"),
              "call get_parent_limits (?, ?, ?, ?)");
    EXPECT_EQ(statement_kind("  (SELECT 1)"), "select");
    EXPECT_EQ(statement_kind("COMMIT"), "commit");
    EXPECT_TRUE(has_leading_wildcard_like("select * from t where name like '%abc'"));
    EXPECT_TRUE(has_leading_wildcard_like("select * from t where name LIKE '_bc%'"));
    EXPECT_FALSE(has_leading_wildcard_like("select * from t where name like 'abc%'"));
}

TEST(StatementShape, FindsTablesAliasesAndLiteralComparisons) {
    const auto all = entries("sacct_name.log");
    const SlowQuery& job = first_containing(all, "hpcmontest_job_table");
    const StatementShape shape = statement_shape(tokenize_sql(job.statement));
    ASSERT_EQ(shape.tables.size(), 3u);
    EXPECT_EQ(shape.tables[0].name, "hpcmontest_job_table");
    EXPECT_EQ(shape.tables[0].alias, "t1");
    EXPECT_EQ(shape.tables[2].name, "hpcmontest_resv_table");
    EXPECT_TRUE(shape.has_where);
    EXPECT_FALSE(shape.has_limit);
    bool job_name = false, time_end_under_or = false;
    for (const auto& p : shape.predicates) {
        if (p.table == "hpcmontest_job_table" && p.column == "job_name") job_name = p.equality && !p.under_or;
        if (p.table == "hpcmontest_job_table" && p.column == "time_end" && p.under_or) time_end_under_or = true;
    }
    EXPECT_TRUE(job_name);
    EXPECT_TRUE(time_end_under_or);
}
