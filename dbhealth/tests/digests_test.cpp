// performance_schema digests merged with the slow log under one fingerprint identity: a capture
// of both from the same MariaDB 10.11 behind slurmdbd 22.05 (data/digest_capture.*: 3 jobs,
// `sacct -a -j`, `sacct -a --name`, `sacct -a -X -j`, every statement logged), the delta of
// successive readings, resets (TRUNCATE, restart) that never count backwards, DIGEST_TEXT cut
// at max_digest_length, and the saved analysis.
#include "hpcmon/dbhealth/patterns.hpp"
#include "hpcmon/dbhealth/fingerprint.hpp"
#include "test_data.hpp"

#include <gtest/gtest.h>

#include <sstream>

using namespace hpcmon::dbhealth;
using hpcmon::dbhealth::test::read_data;

namespace {

// DIGEST \t COUNT_STAR \t DIGEST_TEXT, as read from the server with the capture.
DigestSnapshot captured_digests() {
    DigestSnapshot snapshot;
    std::istringstream in(read_data("digest_capture.tsv"));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        DigestSample s;
        std::string count;
        std::getline(fields, s.digest, '\t');
        std::getline(fields, count, '\t');
        std::getline(fields, s.text);
        s.schema = "slurm_acct_db";
        s.count = std::stoull(count);
        s.total_s = 0.001 * static_cast<double>(s.count);
        s.first_seen = 1795842870;
        s.last_seen = 1795842890;
        snapshot.rows.push_back(s);
    }
    return snapshot;
}

DigestSample sample(std::string digest, std::string text, std::uint64_t count, double total_s,
                    std::int64_t first_seen = 1000) {
    DigestSample s;
    s.schema = "slurm_acct_db";
    s.digest = std::move(digest);
    s.text = std::move(text);
    s.count = count;
    s.total_s = total_s;
    s.min_s = count ? total_s / static_cast<double>(count) / 2 : 0;
    s.max_s = count ? total_s / static_cast<double>(count) * 2 : 0;
    s.rows_examined = count * 10;
    s.rows_sent = count;
    s.first_seen = first_seen;
    s.last_seen = first_seen + 5;
    return s;
}

const FingerprintStats& only(const Analyzer& a) {
    EXPECT_EQ(a.fingerprints().size(), 1u);
    return a.fingerprints().begin()->second;
}

}  // namespace

TEST(StatementIdentity, SlurmdbdTextAndDigestTextAreOneIdentity) {
    // As slurmdbd sends it (ANSI_QUOTES, t1.`partition`, &&, literals) and as DIGEST_TEXT shows it.
    EXPECT_EQ(statement_identity("select t1.id_assoc, t1.`partition`, t1.user from \"hpcmontest_assoc_table\" as t1 "
                                 "where t1.deleted=0 && (t1.user='root') order by lft;"),
              statement_identity("SELECT `t1` . `id_assoc` , `t1` . `partition` , `t1` . `user` FROM "
                                 "`hpcmontest_assoc_table` AS `t1` WHERE `t1` . `deleted` = ? && ( `t1` . `user` = ? ) "
                                 "ORDER BY `lft` "));
    EXPECT_EQ(statement_identity("select distinct user from x where id in (1,2,3) and n=-1"),
              statement_identity("SELECT DISTINCTROW SYSTEM_USER FROM `x` WHERE ID IN (...) AND `n` = - ?"));
    EXPECT_EQ(statement_identity("insert into t (a, b) values (1, 'x'), (2, 'y') on duplicate key update a=1"),
              statement_identity("INSERT INTO `t` ( `a` , `b` ) VALUES (...) /* , ... */ ON DUPLICATE KEY UPDATE `a` = ?"));
    EXPECT_EQ(statement_identity("insert into t (a, b, c, d) values (1, 2, unix_timestamp(), 3, 4)"),
              statement_identity("INSERT INTO `t` ( `a` , `b` , `c` , `d` ) VALUES ( ? , ? , `UNIX_TIMESTAMP` ( ) , ? ,...)"));
    EXPECT_EQ(statement_identity("show columns from \"t\""), statement_identity("SHOW FIELDS FROM `t`"));
    EXPECT_EQ(statement_identity("call get_parent_limits('assoc_table', 'root', 'c', 0);"),
              statement_identity("CALL `get_parent_limits` (...) ; "));
    // Different statements stay different.
    EXPECT_NE(statement_identity("select a from t where b=1"), statement_identity("select a from t where c=1"));
    EXPECT_NE(statement_identity("select a from t where b=1"), statement_identity("select a from t where b=1 limit 1"));
}

TEST(Digests, EveryCapturedDigestIsTheSlowLogsFingerprintWithTheSameCount) {
    Analyzer analyzer(hpcmon::config::defaults().accounting_db);
    for (const SlowQuery& q : parse_slow_log(read_data("digest_capture.log"), 0, true).entries) analyzer.add(q);
    const DigestSnapshot snapshot = captured_digests();
    ASSERT_EQ(snapshot.rows.size(), 13u);
    analyzer.add_digests(snapshot);
    std::size_t merged = 0;
    std::uint64_t digest_executions = 0;
    for (const auto& [id, s] : analyzer.fingerprints()) {
        if (!s.digest) continue;
        // The log saw every execution (long_query_time=0): both sources count the same.
        EXPECT_GT(s.count, 0u) << "digest without its slow-log fingerprint: " << s.fingerprint;
        EXPECT_EQ(s.digest->count, s.count) << s.fingerprint;
        EXPECT_EQ(executions(s), s.digest->count);
        ++merged;
        digest_executions += s.digest->count;
    }
    EXPECT_EQ(digest_executions, 57u);  // the COUNT_STAR column's sum
    // The job SELECT of three sacct calls: three digests, and the step query once per job.
    std::size_t step_rows = 0;
    for (const auto& [id, s] : analyzer.fingerprints())
        if (s.digest && s.fingerprint.find("\"hpcmontest_step_table\" as t1 where t1.job_db_inx = ?") != std::string::npos) {
            ++step_rows;
            EXPECT_EQ(s.digest->count, 3u);
        }
    EXPECT_EQ(step_rows, 1u);
    EXPECT_GE(merged, 11u);
    const nlohmann::json report = report_json(analyzer, 50);
    bool both = false;
    for (const auto& f : report["fingerprints"])
        if (f["sources"] == nlohmann::json::array({"performance_schema", "slow_log"})) both = true;
    EXPECT_TRUE(both);
}

TEST(Digests, DeltasBetweenReadingsAndResetsNeverCountBackwards) {
    Analyzer a(hpcmon::config::defaults().accounting_db);
    const std::string text = "SELECT `x` FROM `t` WHERE `id` = ?";
    a.add_digests({{sample("d1", text, 10, 1.0)}});
    EXPECT_EQ(only(a).digest->count, 10u);  // a first reading counts what the server counted
    a.add_digests({{sample("d1", text, 15, 1.5)}});
    EXPECT_EQ(only(a).digest->count, 15u);
    EXPECT_NEAR(only(a).digest->total_time_s, 1.5, 1e-9);
    a.add_digests({{sample("d1", text, 15, 1.5)}});
    EXPECT_EQ(only(a).digest->count, 15u);  // nothing new
    // TRUNCATE of the summary table, then 3 executions: count went down, 3 are new.
    a.add_digests({{sample("d1", text, 3, 0.3, 2000)}});
    EXPECT_EQ(only(a).digest->count, 18u);
    EXPECT_EQ(a.digest_resets(), 1u);
    // A server restart between two readings with MORE executions since: FIRST_SEEN moved.
    a.add_digests({{sample("d1", text, 40, 4.0, 3000)}});
    EXPECT_EQ(only(a).digest->count, 58u);
    EXPECT_EQ(a.digest_resets(), 2u);
    // The row gone (TRUNCATE seen empty), then back: counted from zero.
    a.add_digests({});
    a.add_digests({{sample("d1", text, 2, 0.2, 4000)}});
    EXPECT_EQ(only(a).digest->count, 60u);
    EXPECT_EQ(only(a).digest->rows_examined, 600u);
    EXPECT_GT(only(a).digest->latency.quantile(0.5), 0.0);
    // An incomplete reading (LIMIT reached) keeps the baselines of rows it did not see.
    DigestSnapshot partial;
    partial.complete = false;
    a.add_digests(partial);
    a.add_digests({{sample("d1", text, 2, 0.2, 4000)}});
    EXPECT_EQ(only(a).digest->count, 60u);
}

TEST(Digests, TwoDigestsOfOneStatementAddUp) {
    Analyzer a(hpcmon::config::defaults().accounting_db);
    a.add_digests({{sample("d1", "CALL `get_parent_limits` (...) ; ", 7, 0.7),
                    sample("d2", "CALL `get_parent_limits` (...) ; ", 5, 0.5)}});
    EXPECT_EQ(only(a).digest->count, 12u);
    EXPECT_EQ(only(a).digest->digests.size(), 2u);
}

TEST(Digests, ACutDigestTextJoinsTheOneSlowLogFingerprintItStarts) {
    auto settings = hpcmon::config::defaults().accounting_db;
    Analyzer a(settings);
    SlowQuery q;
    q.time = 1000;
    q.user = "slurm";
    q.host = "127.0.0.1";
    q.thread_id = 5;
    q.query_time_s = 0.01;
    q.statement = "select t1.aaaa, t1.bbbb, t1.cccc, t1.dddd from \"tbl\" as t1 where t1.id=4";
    a.add(q);
    // The server keeps 40 characters: the text stops inside `t1` . `cccc`.
    DigestSnapshot cut;
    cut.max_digest_length = 48;
    cut.rows = {sample("d1", "SELECT `t1` . `aaaa` , `t1` . `bbbb` , `t1` .", 4, 0.04)};
    a.add_digests(cut);
    ASSERT_EQ(a.fingerprints().size(), 1u);
    EXPECT_EQ(only(a).count, 1u);
    EXPECT_EQ(only(a).digest->count, 4u);
    EXPECT_TRUE(only(a).digest->prefix_match);
    // A second statement with the same start: a new cut digest is ambiguous and stays apart.
    q.statement = "select t1.aaaa, t1.bbbb, t1.cccc, t1.eeee from \"tbl\" as t1 where t1.id=4";
    a.add(q);
    cut.rows.push_back(sample("d2", "SELECT `t1` . `aaaa` , `t1` . `bbbb` , `t1` . `cc", 2, 0.02));
    a.add_digests(cut);
    EXPECT_EQ(a.fingerprints().size(), 3u);
    std::size_t ambiguous = 0;
    for (const auto& [id, s] : a.fingerprints())
        if (s.digest && s.count == 0) {
            EXPECT_EQ(s.digest->ambiguous, 2u);
            EXPECT_EQ(s.digest->count, 2u);
            ++ambiguous;
        }
    EXPECT_EQ(ambiguous, 1u);
}

TEST(Digests, ADigestSeenBeforeItsSlowLogStatementMovesToIt) {
    Analyzer a(hpcmon::config::defaults().accounting_db);
    DigestSnapshot cut;
    cut.max_digest_length = 48;
    cut.rows = {sample("d1", "SELECT `t1` . `aaaa` , `t1` . `bbbb` , `t1` .", 4, 0.04)};
    a.add_digests(cut);
    ASSERT_EQ(a.fingerprints().size(), 1u);
    EXPECT_EQ(only(a).count, 0u);  // digest only, for now
    SlowQuery q;
    q.time = 1000;
    q.user = "slurm";
    q.host = "127.0.0.1";
    q.statement = "select t1.aaaa, t1.bbbb, t1.cccc from \"tbl\" as t1 where t1.id=4";
    a.add(q);
    cut.rows = {sample("d1", "SELECT `t1` . `aaaa` , `t1` . `bbbb` , `t1` .", 6, 0.06)};
    a.add_digests(cut);
    ASSERT_EQ(a.fingerprints().size(), 1u);
    EXPECT_EQ(only(a).count, 1u);
    EXPECT_EQ(only(a).digest->count, 6u);  // 4 moved with it, 2 new
}

TEST(Digests, TwoCutDigestsOfOneStatementBothMoveToIt) {
    Analyzer a(hpcmon::config::defaults().accounting_db);
    DigestSnapshot cut;
    cut.max_digest_length = 48;
    const std::string text = "SELECT `t1` . `aaaa` , `t1` . `bbbb` , `t1` .";
    cut.rows = {sample("d1", text, 4, 0.04), sample("d2", text, 3, 0.03)};
    a.add_digests(cut);
    ASSERT_EQ(a.fingerprints().size(), 1u);
    SlowQuery q;
    q.time = 1000;
    q.statement = "select t1.aaaa, t1.bbbb, t1.cccc from \"tbl\" as t1 where t1.id=4";
    a.add(q);
    cut.rows = {sample("d1", text, 5, 0.05), sample("d2", text, 4, 0.04)};
    a.add_digests(cut);  // the first digest moves the shared entry; the second finds it gone
    ASSERT_EQ(a.fingerprints().size(), 1u);
    EXPECT_EQ(only(a).count, 1u);
    EXPECT_EQ(only(a).digest->count, 9u);
}

TEST(Digests, SavedAnalysisRestoresCountsSketchesAndBaselines) {
    auto settings = hpcmon::config::defaults().accounting_db;
    Analyzer a(settings);
    for (const SlowQuery& q : parse_slow_log(read_data("digest_capture.log"), 0, true).entries) a.add(q);
    a.add_digests(captured_digests());
    const std::string text = nlohmann::json(a.save()).dump();
    Analyzer b(settings);
    b.load(nlohmann::json::parse(text));
    EXPECT_EQ(b.entries(), a.entries());
    ASSERT_EQ(b.fingerprints().size(), a.fingerprints().size());
    for (const auto& [id, s] : a.fingerprints()) {
        const FingerprintStats* r = b.find(id);
        ASSERT_NE(r, nullptr);
        EXPECT_EQ(r->count, s.count);
        EXPECT_EQ(r->latency.quantile(0.95), s.latency.quantile(0.95));
        EXPECT_EQ(r->clients, s.clients);
        EXPECT_EQ(r->largest_burst.count, s.largest_burst.count);
        EXPECT_EQ(r->shape.tables.size(), s.shape.tables.size());
        EXPECT_EQ(r->digest.has_value(), s.digest.has_value());
        if (s.digest) {
            EXPECT_EQ(r->digest->count, s.digest->count);
        }
    }
    // The same reading again after the restore adds nothing (its baselines came back).
    b.add_digests(captured_digests());
    for (const auto& [id, s] : a.fingerprints())
        if (s.digest) {
            EXPECT_EQ(b.find(id)->digest->count, s.digest->count);
        }
    EXPECT_EQ(report_json(b, 20)["findings"], report_json(a, 20)["findings"]);
    // A malformed state changes nothing.
    EXPECT_ANY_THROW(b.load(nlohmann::json{{"format", "hpcmon-dbhealth-analysis-1"}, {"fingerprints", 3}}));
    EXPECT_EQ(b.fingerprints().size(), a.fingerprints().size());
}
