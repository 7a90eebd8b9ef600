// The template for a new metric source: every hook of Source, doing the least that
// is still honest. It measures nothing but how many times it was sampled, so a test
// can check the start / sample / stop life cycle. Copy this file and null_source.cpp
// to start a real source.
#pragma once

#include "hpcmon/sampler/source.hpp"

namespace hpcmon::sampler {

class NullSource final : public Source {
 public:
  std::string_view name() const override { return "null"; }
  std::string_view measures() const override { return "nothing: counts its own samples (template source)"; }
  std::string_view quality() const override { return started_ ? "exact" : "unavailable"; }
  std::string start() override;
  void sample(std::vector<Metric>& out) override;
  void stop() override;

 private:
  bool started_ = false;
  std::uint64_t samples_ = 0;
};

}  // namespace hpcmon::sampler
