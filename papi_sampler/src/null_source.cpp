#include "hpcmon/sampler/null_source.hpp"

namespace hpcmon::sampler {

std::string NullSource::start() {
  // A real source opens its files or handles here and returns the reason if it cannot.
  started_ = true;
  samples_ = 0;
  return {};
}

void NullSource::sample(std::vector<Metric>& out) {
  if (!started_) {
    count_error();  // sampling a stopped source is a caller bug: count it, do not print
    return;
  }
  ++samples_;
  out.push_back({"null.samples", static_cast<double>(samples_), "1"});
}

void NullSource::stop() { started_ = false; }

}  // namespace hpcmon::sampler
