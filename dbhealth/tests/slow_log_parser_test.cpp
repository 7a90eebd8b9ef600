// The parser on slow-log text of a real slurmdbd: every entry with its numbers, banners
// skipped, half-written entries left for later, malformed entries skipped with their offset.
#include "hpcmon/dbhealth/slow_log.hpp"
#include "test_data.hpp"

#include <gtest/gtest.h>

using namespace hpcmon::dbhealth;
using hpcmon::dbhealth::test::count_of;
using hpcmon::dbhealth::test::read_data;

TEST(SlowLogParser, ReadsEveryEntryOfRealLogs) {
    for (const char* name : {"slurmdbd_start.log", "job_write_path.log", "sacct_steps.log", "sacct_name.log"}) {
        const std::string text = read_data(name);
        ASSERT_FALSE(text.empty()) << name;
        const ParseResult result = parse_slow_log(text, 0);
        EXPECT_EQ(result.entries.size(), count_of(text, "# User@Host: ")) << name;
        EXPECT_TRUE(result.malformed.empty()) << name << ": " << (result.malformed.empty() ? "" : result.malformed[0].reason);
        EXPECT_EQ(result.consumed, text.size()) << name;
    }
}

TEST(SlowLogParser, TakesTheNumbersPlanAndStatementOfAnEntry) {
    const ParseResult result = parse_slow_log(read_data("sacct_name.log"), 1000);
    ASSERT_EQ(result.entries.size(), 5u);
    const SlowQuery& job = result.entries[2];
    EXPECT_EQ(job.user, "slurm");
    EXPECT_EQ(job.host, "127.0.0.1");
    EXPECT_EQ(job.client(), "slurm@127.0.0.1");
    EXPECT_EQ(job.thread_id, 27);
    EXPECT_EQ(job.schema, "slurm_acct_db");
    EXPECT_EQ(job.time, 1795831772);
    EXPECT_DOUBLE_EQ(job.query_time_s, 0.000966);
    EXPECT_DOUBLE_EQ(job.lock_time_s, 0.000177);
    EXPECT_EQ(job.rows_sent, 1);
    EXPECT_EQ(job.rows_examined, 23);
    EXPECT_EQ(job.bytes_sent, 4551);
    EXPECT_TRUE(job.has_plan);
    EXPECT_TRUE(job.full_scan);
    EXPECT_TRUE(job.tmp_table_on_disk);
    EXPECT_TRUE(job.filesort);
    ASSERT_EQ(job.explain.size(), 3u);
    EXPECT_EQ(job.explain[0].table, "t1");
    EXPECT_EQ(job.explain[0].type, "ALL");
    EXPECT_EQ(job.explain[0].possible_keys, "rollup,rollup2");
    EXPECT_EQ(job.explain[0].key, "NULL");
    EXPECT_EQ(job.explain[1].type, "eq_ref");
    EXPECT_EQ(job.statement.rfind("select t1.account, t1.admin_comment", 0), 0u);
    EXPECT_NE(job.statement.find("from \"hpcmontest_job_table\" as t1"), std::string::npos);
    EXPECT_NE(job.statement.find("(t1.job_name='x')"), std::string::npos);
    EXPECT_NE(job.statement.back(), ';');
    EXPECT_EQ(result.entries[0].statement, "SET autocommit=0");
    EXPECT_FALSE(result.entries[0].has_plan);  // no Full_scan line on a SET
    EXPECT_EQ(result.entries[0].offset, 1000u);
    EXPECT_EQ(result.entries[4].statement, "ROLLBACK");
}

TEST(SlowLogParser, SkipsTheServerBannerAndTakesTimeLines) {
    const std::string text = read_data("slurmdbd_start.log");
    const ParseResult result = parse_slow_log(text, 0);
    ASSERT_FALSE(result.entries.empty());
    // "# Time: 261128  2:09:05" before the first entry, which has no SET timestamp line.
    EXPECT_EQ(result.entries[0].user, "root");
    EXPECT_EQ(result.entries[0].host, "localhost");
    EXPECT_EQ(result.entries[0].time, *parse_slow_log_time("261128  2:09:05"));
    EXPECT_EQ(*parse_slow_log_time("261128 02:09:05"), 1795831745);
    EXPECT_FALSE(parse_slow_log_time("261328 02:09:05"));
    EXPECT_EQ(result.entries[0].offset, text.find("# Time: "));
}

TEST(SlowLogParser, LeavesAHalfWrittenEntryForLater) {
    const std::string text = read_data("sacct_name.log");
    const std::size_t third = text.find("# User@Host: ", text.find("# User@Host: ", text.find("# User@Host: ") + 1) + 1);
    for (std::size_t cut : {third + 5, third + 300, text.size() - 1, text.size() - 3}) {
        const ParseResult first = parse_slow_log(std::string_view(text).substr(0, cut), 0);
        const std::size_t complete = first.entries.size();
        EXPECT_LE(first.consumed, cut);
        EXPECT_TRUE(first.malformed.empty());
        const ParseResult rest = parse_slow_log(std::string_view(text).substr(first.consumed), first.consumed);
        EXPECT_EQ(complete + rest.entries.size(), 5u) << "cut at " << cut;
        EXPECT_TRUE(rest.malformed.empty());
    }
    // The statement's last line without its ';' yet waits too.
    const std::string no_end = text.substr(0, text.rfind("ROLLBACK;") + 5) + "\n";
    EXPECT_EQ(parse_slow_log(no_end, 0).entries.size(), 4u);
}

TEST(SlowLogParser, SkipsMalformedEntriesWithTheirOffsetAndKeepsTheOthers) {
    std::string text = read_data("sacct_name.log");
    const std::size_t second = text.find("# User@Host: ", 1);
    const std::size_t bad_line = text.find("Query_time: ", second);
    text.replace(bad_line, std::string("Query_time: 0.000016").size(), "Query_time: 0.0x0016");
    const std::string cut_entry = "# User@Host: slurm[slurm] @  [127.0.0.1]\n# Thread_id: 27  Schema: slurm_acct_db\n# Query_ti";
    const std::size_t cut_at = text.size();
    text += cut_entry + "\n" + read_data("sacct_name.log");
    text = "this line is not part of any entry\n" + text;
    const ParseResult result = parse_slow_log(text, 0, true);
    EXPECT_EQ(result.entries.size(), 9u);
    ASSERT_EQ(result.malformed.size(), 3u);
    EXPECT_EQ(result.malformed[0].offset, 0u);
    EXPECT_EQ(result.malformed[0].reason, "text outside an entry: \"this line is not part of any entry\"");
    EXPECT_EQ(result.malformed[1].offset, second + 35);
    EXPECT_EQ(result.malformed[1].reason, "Query_time is not a number: \"0.0x0016\"");
    EXPECT_EQ(result.malformed[2].offset, cut_at + 35);
    EXPECT_EQ(result.malformed[2].reason, "no statement after the header lines");
    EXPECT_EQ(result.consumed, text.size());
}

TEST(SlowLogParser, RejectsAnUnderflowedByteCountButKeepsTheEntry) {
    std::string text = read_data("sacct_name.log");
    const std::size_t at = text.find("Bytes_sent: 30");
    text.replace(at, 14, "Bytes_sent: 18446744073709551475");
    const ParseResult result = parse_slow_log(text, 0);
    ASSERT_EQ(result.entries.size(), 5u);
    EXPECT_FALSE(result.entries[0].bytes_sent.has_value());
    EXPECT_EQ(result.entries[1].bytes_sent, 11);
}
