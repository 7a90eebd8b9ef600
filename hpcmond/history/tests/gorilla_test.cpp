// Gorilla chunk coding: every sample decodes back bit for bit, regular series take about
// two bits per sample, and a truncated chunk is reported as damaged.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "gorilla.hpp"

namespace hpcmon::history::gorilla {
namespace {

struct Sample {
  std::int64_t t;
  double v[4];
};

std::vector<Sample> round_trip(const std::vector<Sample>& in, int columns, std::size_t* bytes = nullptr) {
  Encoder encoder(columns);
  for (const auto& s : in) encoder.append(s.t, s.v);
  if (bytes) *bytes = encoder.bytes().size();
  Decoder decoder(encoder.bytes().data(), encoder.bytes().size(), encoder.count(), columns);
  std::vector<Sample> out;
  Sample s{};
  while (decoder.next(s.t, s.v)) out.push_back(s);
  EXPECT_FALSE(decoder.damaged());
  return out;
}

TEST(Gorilla, IrregularTimesAndAwkwardValuesRoundTripExactly) {
  std::mt19937_64 random(7);
  std::vector<Sample> in;
  std::int64_t t = 1795814205471;
  const double specials[] = {0.0, -0.0, std::numeric_limits<double>::infinity(), -1e308, 5e-324,
                             std::numeric_limits<double>::quiet_NaN(), 1.0, 1.0};
  for (int i = 0; i < 5000; ++i) {
    // Deltas from 0 to beyond 32-bit milliseconds (a series resumed after two months).
    const std::int64_t jumps[] = {0, 1, 5000, 5003, 4990, 70000, 300000, 5'000'000'000LL};
    t += jumps[random() % 8];
    Sample s{t, {}};
    for (int c = 0; c < 4; ++c)
      s.v[c] = i % 9 == 0 ? specials[random() % 8] : std::bit_cast<double>(random());
    in.push_back(s);
  }
  const auto out = round_trip(in, 4);
  ASSERT_EQ(out.size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].t, in[i].t) << i;
    for (int c = 0; c < 4; ++c)
      EXPECT_EQ(std::bit_cast<std::uint64_t>(out[i].v[c]), std::bit_cast<std::uint64_t>(in[i].v[c])) << i;
  }
}

TEST(Gorilla, RegularSeriesCostAboutTwoBitsPerSample) {
  std::vector<Sample> in;
  for (int i = 0; i < 4096; ++i) in.push_back({1795814200000 + i * 5000LL, {i < 2048 ? 25276510208.0 : 25276510209.0}});
  std::size_t bytes = 0;
  const auto out = round_trip(in, 1, &bytes);
  ASSERT_EQ(out.size(), 4096u);
  EXPECT_EQ(out[4095].t, 1795814200000 + 4095 * 5000LL);
  EXPECT_EQ(out[4095].v[0], 25276510209.0);
  EXPECT_LT(bytes, 4096u * 2 / 8 + 40);  // 1 bit of time, 1 bit of value, plus the first sample
}

TEST(Gorilla, TruncatedChunkIsDamaged) {
  Encoder encoder(1);
  for (int i = 0; i < 100; ++i) {
    const double v = i * 1.5;
    encoder.append(1000 + i * 7 + (i % 3), &v);
  }
  const auto& bytes = encoder.bytes();
  Decoder decoder(bytes.data(), bytes.size() / 2, encoder.count(), 1);
  std::int64_t t = 0;
  double v = 0;
  int decoded = 0;
  while (decoder.next(t, &v)) ++decoded;
  EXPECT_TRUE(decoder.damaged());
  EXPECT_LT(decoded, 100);
}

}  // namespace
}  // namespace hpcmon::history::gorilla
