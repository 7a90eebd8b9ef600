// The latency sketch against exact quantiles: within its stated relative accuracy, bounded.
#include "hpcmon/dbhealth/latency_sketch.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using hpcmon::dbhealth::LatencySketch;

TEST(LatencySketch, QuantilesWithinTheStatedAccuracy) {
    std::mt19937_64 random(42);
    std::lognormal_distribution<double> latency(std::log(2e-3), 1.5);  // 0.1 ms .. seconds
    LatencySketch sketch;
    std::vector<double> values;
    for (int i = 0; i < 20000; ++i) {
        const double v = latency(random);
        values.push_back(v);
        sketch.add(v);
    }
    std::sort(values.begin(), values.end());
    for (double q : {0.5, 0.95, 0.99}) {
        const double exact = values[static_cast<std::size_t>(std::floor(q * (values.size() - 1)))];
        EXPECT_NEAR(sketch.quantile(q), exact, exact * LatencySketch::relative_accuracy * 1.0001) << q;
    }
    EXPECT_EQ(sketch.count(), 20000u);
    EXPECT_DOUBLE_EQ(sketch.max(), values.back());
    EXPECT_LT(sketch.buckets(), 1200u);  // bounded by the value range, not the count
}

TEST(LatencySketch, SmallCountsAndTinyValues) {
    LatencySketch sketch;
    EXPECT_EQ(sketch.quantile(0.5), 0.0);
    sketch.add(0.0);
    sketch.add(1e-9);
    sketch.add(0.25);
    EXPECT_EQ(sketch.quantile(0.5), 0.0);
    EXPECT_NEAR(sketch.quantile(1.0), 0.25, 0.25 * 0.01);
    EXPECT_EQ(sketch.buckets(), 2u);
}
