// Parameter parsers: times, durations, counts, Slurm job ids.
#include <gtest/gtest.h>

#include "hpcmon/head/params.hpp"

namespace hpcmon::head {

TEST(Params, TimesInRfc3339AndEpochSeconds) {
  EXPECT_EQ(parse_time_ns("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_time_ns("2026-11-27T21:00:00Z"), 1795813200LL * 1000000000LL);
  EXPECT_EQ(parse_time_ns("2026-11-27T22:00:00+01:00"), 1795813200LL * 1000000000LL);
  EXPECT_EQ(parse_time_ns("2026-11-27T21:00:00.25Z"), 1795813200LL * 1000000000LL + 250000000LL);
  EXPECT_EQ(parse_time_ns("1795813200"), 1795813200LL * 1000000000LL);
  EXPECT_EQ(parse_time_ns("1795813200.5"), 1795813200LL * 1000000000LL + 500000000LL);
  for (const char* bad : {"", "abc", "-5", "2026-13-01T00:00:00Z", "2026-11-27T21:00:00",
                          "2026-11-27T21:00:00Zjunk", "2026-11-27", "1e400", "12abc"})
    EXPECT_FALSE(parse_time_ns(bad)) << bad;
  EXPECT_EQ(format_time(1795813200LL * 1000000000LL + 250000000LL), "2026-11-27T21:00:00.250Z");
}

TEST(Params, DurationsAndCounts) {
  EXPECT_EQ(parse_duration_s("15"), 15.0);
  EXPECT_EQ(parse_duration_s("0.5"), 0.5);
  EXPECT_EQ(parse_duration_s("5m"), 300.0);
  EXPECT_EQ(parse_duration_s("1h"), 3600.0);
  for (const char* bad : {"", "0", "-1", "s", "abc", "nan"}) EXPECT_FALSE(parse_duration_s(bad)) << bad;
  // Above one day is refused: 1e300 s in nanoseconds would overflow int64.
  EXPECT_EQ(parse_duration_s("86400"), 86400.0);
  EXPECT_EQ(parse_duration_s("24h"), 86400.0);
  for (const char* big : {"86401", "25h", "1441m", "1e300", "1e19"}) EXPECT_FALSE(parse_duration_s(big)) << big;
  EXPECT_EQ(parse_count("25", 100), 25u);
  EXPECT_FALSE(parse_count("101", 100));
  EXPECT_FALSE(parse_count("-1", 100));
  EXPECT_FALSE(parse_count("1.5", 100));
}

TEST(Params, SlurmJobIdSyntax) {
  struct Case {
    const char* text;
    const char* job;
    const char* step;
  };
  for (const Case& c : {Case{"12", "12", ""}, Case{"12_3", "12_3", ""}, Case{"12+1", "12+1", ""},
                        Case{"12.batch", "12", "batch"}, Case{"12.0", "12", "0"},
                        Case{"12_3.extern", "12_3", "extern"}, Case{"7+1.interactive", "7+1", "interactive"},
                        Case{"local-vm-1795813200-42", "local-vm-1795813200-42", ""}}) {
    const auto id = parse_job_id(c.text);
    ASSERT_TRUE(id) << c.text;
    EXPECT_EQ(id->job, c.job);
    EXPECT_EQ(id->step, c.step);
  }
  for (const char* bad : {"", "x", "12.", "12.foo", "12_", "_3", "12+x", "12_3_4", "../etc", "12.batch.0", "local-", "local-a/b"})
    EXPECT_FALSE(parse_job_id(bad)) << bad;
}

}  // namespace hpcmon::head
