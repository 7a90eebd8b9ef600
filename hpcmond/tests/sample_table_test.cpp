// Bounded series: halving keeps the span and the newest point; late columns pad with NaN.
#include <gtest/gtest.h>

#include <cmath>

#include "hpcmon/agent/sample_table.hpp"

namespace hpcmon::agent {
namespace {

TEST(SampleTable, StaysBoundedAndKeepsFirstAndLastPoints) {
  SampleTable t(100);
  for (int i = 0; i < 10000; ++i) t.append(i, {{"x", "1", static_cast<double>(i)}});
  EXPECT_LE(t.size(), 100u);
  EXPECT_GE(t.size(), 50u);
  EXPECT_EQ(t.times().front(), 0);
  EXPECT_EQ(t.times().back(), 9999);
  EXPECT_EQ(t.column("x")->back(), 9999.0);
  for (std::size_t i = 1; i < t.size(); ++i) EXPECT_LT(t.times()[i - 1], t.times()[i]);
}

TEST(SampleTable, ColumnsAppearingLateArePadded) {
  SampleTable t;
  t.append(10, {{"a", "B", 1}});
  t.append(20, {{"a", "B", 2}, {"b", "s", 5}});
  t.append(30, {{"b", "s", 6}});
  std::vector<record::Series> out;
  t.to_series("task", "0", "proc", out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].metric, "a");
  EXPECT_EQ(out[0].unit, "B");
  EXPECT_EQ(out[0].t_ns, (std::vector<std::int64_t>{10, 20, 30}));
  EXPECT_EQ(out[0].values[1], 2.0);
  EXPECT_TRUE(std::isnan(out[0].values[2]));
  EXPECT_TRUE(std::isnan(out[1].values[0]));
  EXPECT_EQ(out[1].values[2], 6.0);
}

}  // namespace
}  // namespace hpcmon::agent
