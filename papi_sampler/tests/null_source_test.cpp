#include <gtest/gtest.h>

#include "hpcmon/sampler/null_source.hpp"

using namespace hpcmon::sampler;

TEST(NullSource, LifeCycle) {
  NullSource source;
  Source& s = source;  // used only through the interface every source shares
  EXPECT_EQ(s.name(), "null");
  EXPECT_FALSE(s.measures().empty());
  EXPECT_EQ(s.quality(), "unavailable");
  std::vector<Metric> out;
  s.sample(out);  // before start: nothing, one counted error
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(s.errors(), 1u);
  EXPECT_EQ(s.start(), "");
  EXPECT_EQ(s.quality(), "exact");
  s.sample(out);
  s.sample(out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].name, "null.samples");
  EXPECT_EQ(out[1].value, 2.0);
  EXPECT_EQ(out[1].unit, "1");
  s.stop();
  s.sample(out);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(s.errors(), 2u);
}
