// Patterns on the statements of a real slurmdbd: the N+1 of `sacct` without -X (one step query
// per job: 20 jobs, a burst of 20), the full scan of `sacct --name` with its CREATE INDEX; and
// leading-wildcard LIKE, unbounded results and the bound on fingerprints on written entries.
#include "hpcmon/dbhealth/patterns.hpp"
#include "hpcmon/dbhealth/fingerprint.hpp"
#include "test_data.hpp"

#include <gtest/gtest.h>

using namespace hpcmon::dbhealth;
using hpcmon::dbhealth::test::read_data;

namespace {

// Thresholds for a 20-job test database (production defaults need far bigger tables).
hpcmon::config::AccountingDb small_site() {
    auto settings = hpcmon::config::defaults().accounting_db;
    settings.full_scan_min_rows_examined = 10;
    settings.full_scan_examined_per_sent = 10;
    settings.n_plus_one_min_count = 10;
    settings.unbounded_rows_sent = 1000;
    return settings;
}

Analyzer analyze(const std::vector<std::string>& files, const hpcmon::config::AccountingDb& settings) {
    Analyzer analyzer(settings);
    for (const auto& name : files)
        for (const SlowQuery& q : parse_slow_log(read_data(name), 0, true).entries) analyzer.add(q);
    return analyzer;
}

std::vector<Finding> of_kind(const std::vector<Finding>& all, PatternKind kind) {
    std::vector<Finding> out;
    for (const auto& f : all)
        if (f.kind == kind) out.push_back(f);
    return out;
}

SlowQuery query(std::string sql, std::int64_t time, std::int64_t thread, std::int64_t sent, std::int64_t examined) {
    SlowQuery q;
    q.statement = std::move(sql);
    q.time = time;
    q.thread_id = thread;
    q.user = "slurm";
    q.host = "127.0.0.1";
    q.rows_sent = sent;
    q.rows_examined = examined;
    q.query_time_s = 0.001;
    return q;
}

}  // namespace

TEST(Patterns, SacctWithoutXIsAnNPlusOneOfTheStepQueryOncePerJob) {
    const Analyzer analyzer = analyze({"job_write_path.log", "sacct_steps.log"}, small_site());
    const auto n_plus_one = of_kind(find_patterns(analyzer), PatternKind::n_plus_one);
    ASSERT_EQ(n_plus_one.size(), 1u);
    const Finding& f = n_plus_one[0];
    EXPECT_EQ(f.count, 20u);  // the 20 jobs of the test cluster
    EXPECT_NE(f.fingerprint.find("from \"hpcmontest_step_table\" as t1 where t1.job_db_inx = ?"), std::string::npos);
    EXPECT_EQ(f.details["thread_id"], 26);
    EXPECT_EQ(f.details["client"], "slurm@127.0.0.1");
    EXPECT_NE(f.evidence.find("20 executions by one connection (thread 26, slurm@127.0.0.1)"), std::string::npos)
        << f.evidence;
    EXPECT_NE(f.suggestion.find("sacct -X"), std::string::npos);
    const FingerprintStats* stats = analyzer.find(f.fingerprint_id);
    ASSERT_NE(stats, nullptr);
    EXPECT_EQ(stats->count, 20u);
    EXPECT_EQ(stats->rows_sent, 20u);
    EXPECT_EQ(stats->clients.at("slurm@127.0.0.1"), 20u);
}

TEST(Patterns, SacctNameIsAFullScanWithACreateIndex) {
    const Analyzer analyzer = analyze({"sacct_steps.log", "sacct_name.log"}, small_site());
    const auto scans = of_kind(find_patterns(analyzer), PatternKind::full_scan);
    ASSERT_EQ(scans.size(), 1u);
    const Finding& f = scans[0];
    EXPECT_NE(f.fingerprint.find("where (t1.job_name = ?)"), std::string::npos);
    EXPECT_EQ(f.count, 1u);
    EXPECT_NE(f.evidence.find("23 rows examined for 1 rows sent"), std::string::npos) << f.evidence;
    EXPECT_NE(f.evidence.find("t1 ALL (possible keys rollup,rollup2, key NULL"), std::string::npos) << f.evidence;
    ASSERT_TRUE(f.index);
    EXPECT_EQ(f.index->table, "hpcmontest_job_table");
    EXPECT_EQ(f.index->statement,
              "CREATE INDEX hpcmon_job_name_time_eligible ON `hpcmontest_job_table` (job_name(64), time_eligible);");
    EXPECT_NE(f.suggestion.find("hpcmon db try-index"), std::string::npos);
    // The plain `sacct -a` job query scans too, but sends what it reads: no finding.
    const nlohmann::json report = report_json(analyzer, 5);
    EXPECT_EQ(report["entries"], 29);
    EXPECT_EQ(report["suggestions"].size(), 1u);
    EXPECT_EQ(report["suggestions"][0]["statement"], f.index->statement);
    EXPECT_EQ(report["fingerprints"].size(), 5u);
}

TEST(Patterns, DefaultThresholdsReportNothingOnATinyDatabase) {
    const Analyzer analyzer = analyze({"sacct_steps.log", "sacct_name.log"}, hpcmon::config::defaults().accounting_db);
    const auto findings = find_patterns(analyzer);
    EXPECT_TRUE(of_kind(findings, PatternKind::full_scan).empty());
    ASSERT_EQ(of_kind(findings, PatternKind::n_plus_one).size(), 1u);  // 20 >= 10: still an N+1
}

TEST(Patterns, BurstsAreCutByConnectionAndByTheWindow) {
    auto settings = small_site();
    settings.n_plus_one_min_count = 3;
    settings.n_plus_one_window_s = 5;
    Analyzer analyzer(settings);
    const std::string sql = "select a from \"c_step_table\" as t1 where t1.job_db_inx=";
    for (int i = 0; i < 4; ++i) analyzer.add(query(sql + std::to_string(i), 100 + i, 7, 1, 1));
    for (int i = 0; i < 2; ++i) analyzer.add(query(sql + std::to_string(i), 104, 8, 1, 1));  // other connection
    for (int i = 0; i < 3; ++i) analyzer.add(query(sql + std::to_string(i), 200 + i, 7, 1, 1));  // after a gap
    const auto n_plus_one = of_kind(find_patterns(analyzer), PatternKind::n_plus_one);
    ASSERT_EQ(n_plus_one.size(), 1u);
    EXPECT_EQ(n_plus_one[0].count, 4u);
    EXPECT_EQ(n_plus_one[0].details["bursts"], 2);
    EXPECT_EQ(analyzer.find(n_plus_one[0].fingerprint_id)->count, 9u);
}

TEST(Patterns, LeadingWildcardAndUnboundedResults) {
    Analyzer analyzer(small_site());
    analyzer.add(query("select * from \"c_job_table\" where job_name like '%sim'", 1, 1, 2, 5000));
    analyzer.add(query("select * from \"c_job_table\" where time_end > 0", 1, 1, 50000, 50000));
    analyzer.add(query("select * from \"c_job_table\" where time_end > 0 limit 100000", 1, 1, 50000, 50000));
    const auto findings = find_patterns(analyzer);
    const auto like = of_kind(findings, PatternKind::leading_wildcard_like);
    ASSERT_EQ(like.size(), 1u);
    EXPECT_NE(like[0].suggestion.find("cannot use an index"), std::string::npos);
    const auto unbounded = of_kind(findings, PatternKind::unbounded_result);
    ASSERT_EQ(unbounded.size(), 1u);
    EXPECT_EQ(unbounded[0].fingerprint, "select * from \"c_job_table\" where time_end > ?");
}

TEST(Patterns, IndexSuggestionUsesEqualitiesThenOneRangeAndSkipsOredColumns) {
    Analyzer analyzer(small_site());
    SlowQuery failed = query("select t1.id_job from \"c_job_table\" as t1 where ((t1.state='5' && (t1.time_end && "
                             "(t1.time_end between 1767225600 and 1767225601)))) order by id_job",
                             1, 1, 3, 50000);
    failed.full_scan = true;
    analyzer.add(failed);
    SlowQuery ored = query("select t1.id_job from \"c_job_table\" as t1 where (t1.account='a' || t1.partition='b')", 1, 1,
                           3, 50000);
    ored.full_scan = true;
    analyzer.add(ored);
    const auto scans = of_kind(find_patterns(analyzer), PatternKind::full_scan);
    ASSERT_EQ(scans.size(), 2u);
    for (const auto& f : scans) {
        if (f.fingerprint.find("state") != std::string::npos) {
            ASSERT_TRUE(f.index);
            EXPECT_EQ(f.index->statement, "CREATE INDEX hpcmon_state_time_end ON `c_job_table` (state, time_end);");
        } else {
            EXPECT_FALSE(f.index);
            EXPECT_NE(f.suggestion.find("ORed"), std::string::npos);
        }
    }
}

TEST(Patterns, FingerprintsAreBounded) {
    auto settings = small_site();
    settings.max_fingerprints = 10;
    Analyzer analyzer(settings);
    for (int i = 0; i < 25; ++i) analyzer.add(query("select c" + std::to_string(i) + " from t", i, 1, 1, 1));
    EXPECT_EQ(analyzer.fingerprints().size(), 11u);  // 10 + "(other)"
    EXPECT_EQ(analyzer.other_entries(), 15u);
    EXPECT_EQ(analyzer.find("(other)")->count, 15u);
    EXPECT_EQ(analyzer.entries(), 25u);
}
