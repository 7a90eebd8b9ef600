// Multiplex scaling on (value, time enabled, time running) triples in the form perf's
// read() returns them. This machine has no PMU, so nothing multiplexes here for real.
#include <gtest/gtest.h>

#include "hpcmon/sampler/multiplex.hpp"

using hpcmon::sampler::scale_multiplexed;

TEST(Multiplex, FullyRunningIsExact) {
  auto s = scale_multiplexed(123456789, 1'000'000'000, 1'000'000'000);
  EXPECT_DOUBLE_EQ(s.value, 123456789.0);
  EXPECT_FALSE(s.scaled);
  EXPECT_FALSE(s.never_ran);
}

TEST(Multiplex, HalfTimeDoublesAndFlags) {
  // 4 events sharing 2 counters: each runs half the time.
  auto s = scale_multiplexed(5'000'000, 2'000'000'000, 1'000'000'000);
  EXPECT_DOUBLE_EQ(s.value, 10'000'000.0);
  EXPECT_TRUE(s.scaled);
}

TEST(Multiplex, UnevenShares) {
  auto s = scale_multiplexed(3'000, 1'000'000, 250'000);  // ran a quarter of the time
  EXPECT_DOUBLE_EQ(s.value, 12'000.0);
  EXPECT_TRUE(s.scaled);
  auto t = scale_multiplexed(1'999'999'977, 3'000'000'017, 2'000'000'011);
  EXPECT_NEAR(t.value, 1'999'999'977.0 * 3'000'000'017.0 / 2'000'000'011.0, 1.0);
}

TEST(Multiplex, NeverRanHasNoValue) {
  auto s = scale_multiplexed(0, 1'000'000, 0);
  EXPECT_TRUE(s.never_ran);
  EXPECT_TRUE(s.scaled);
}

TEST(Multiplex, LargeCountsDoNotOverflow) {
  // raw * enabled exceeds 2^64; the result must still be raw * 4.
  auto s = scale_multiplexed(1ull << 60, 4'000'000'000ull, 1'000'000'000ull);
  EXPECT_DOUBLE_EQ(s.value, static_cast<double>(1ull << 62));
}
