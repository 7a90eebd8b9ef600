#include <gtest/gtest.h>

#include <cstdint>

#include "hpcmon/sampler/rates.hpp"

using hpcmon::sampler::counter_delta;
using hpcmon::sampler::RateTracker;

TEST(Rates, DeltaOfGrowingCounter) { EXPECT_EQ(counter_delta(100, 250), 150u); }

TEST(Rates, ThirtyTwoBitWrapIsUnwrapped) {
  // 2^32 - 10 -> 5 is 15 steps across the wrap.
  EXPECT_EQ(counter_delta(4294967286u, 5u, 32), 15u);
}

TEST(Rates, ResetCountsFromZero) {
  // 64-bit counters do not wrap: going down means the counter restarted.
  EXPECT_EQ(counter_delta(1'000'000, 300), 300u);
  // A 32-bit counter going far down is a reset, not a wrap of almost 2^32.
  EXPECT_EQ(counter_delta(3'000'000'000u, 2'999'000'000u, 32), 2'999'000'000u);
  EXPECT_EQ(counter_delta(2'000'000u, 7u, 32), 7u);
}

TEST(Rates, TrackerGivesPerSecondRates) {
  RateTracker t;
  EXPECT_FALSE(t.update("x", 1000, 1'000'000'000));
  auto r = t.update("x", 3000, 3'000'000'000);  // +2000 in 2 s
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(*r, 1000.0);
  auto after_reset = t.update("x", 500, 4'000'000'000);
  ASSERT_TRUE(after_reset);
  EXPECT_DOUBLE_EQ(*after_reset, 500.0);  // never negative
  EXPECT_FALSE(t.update("x", 600, 4'000'000'000));  // no time passed: no rate
  auto wrapped = t.update("w", 4294967000u, 0, 32);
  EXPECT_FALSE(wrapped);
  wrapped = t.update("w", 704u, 1'000'000'000, 32);
  ASSERT_TRUE(wrapped);
  EXPECT_DOUBLE_EQ(*wrapped, 1000.0);
  EXPECT_EQ(t.size(), 2u);
}
