// Log-bucketed latency sketch (as DDSketch): bucket i holds values in (g^(i-1), g^i] with
// g = (1+a)/(1-a); a quantile is answered with 2 g^i / (g+1), within a relative error a.
#include "hpcmon/dbhealth/latency_sketch.hpp"

#include <algorithm>
#include <cmath>

namespace hpcmon::dbhealth {
namespace {

constexpr double gamma_ = (1 + LatencySketch::relative_accuracy) / (1 - LatencySketch::relative_accuracy);
const double log_gamma = std::log(gamma_);
constexpr double smallest = 1e-6;  // below: one bucket (index min_index)
const int min_index = static_cast<int>(std::ceil(std::log(smallest) / log_gamma)) - 1;

int index_of(double seconds) {
    if (!(seconds > smallest)) return min_index;
    return static_cast<int>(std::ceil(std::log(seconds) / log_gamma));
}

double value_of(int index) {
    if (index == min_index) return 0;
    return 2 * std::pow(gamma_, index) / (gamma_ + 1);
}

}  // namespace

void LatencySketch::add(double seconds) { add(seconds, 1); }

void LatencySketch::add(double seconds, std::uint64_t count) {
    if (count == 0) return;
    const int index = index_of(seconds);
    auto it = std::lower_bound(buckets_.begin(), buckets_.end(), index,
                               [](const auto& bucket, int i) { return bucket.first < i; });
    if (it != buckets_.end() && it->first == index) it->second += count;
    else buckets_.insert(it, {index, count});
    count_ += count;
    max_ = std::max(max_, seconds);
}

void LatencySketch::merge(const LatencySketch& other) {
    for (const auto& [index, count] : other.buckets_) {
        auto it = std::lower_bound(buckets_.begin(), buckets_.end(), index,
                                   [](const auto& bucket, int i) { return bucket.first < i; });
        if (it != buckets_.end() && it->first == index) it->second += count;
        else buckets_.insert(it, {index, count});
    }
    count_ += other.count_;
    max_ = std::max(max_, other.max_);
}

LatencySketch LatencySketch::restore(std::vector<std::pair<int, std::uint64_t>> buckets, double max) {
    LatencySketch sketch;
    std::sort(buckets.begin(), buckets.end());
    for (const auto& [index, count] : buckets) {
        if (count == 0) continue;
        if (!sketch.buckets_.empty() && sketch.buckets_.back().first == index) sketch.buckets_.back().second += count;
        else sketch.buckets_.emplace_back(index, count);
        sketch.count_ += count;
    }
    sketch.max_ = max;
    return sketch;
}

double LatencySketch::quantile(double q) const {
    if (count_ == 0) return 0;
    q = std::clamp(q, 0.0, 1.0);
    // The rank of the value at q (nearest rank, 0-based), as a sorted list of the values.
    const auto rank = static_cast<std::uint64_t>(std::floor(q * static_cast<double>(count_ - 1)));
    std::uint64_t seen = 0;
    for (const auto& [index, count] : buckets_) {
        seen += count;
        if (seen > rank) return std::min(value_of(index), max_);
    }
    return max_;
}

}  // namespace hpcmon::dbhealth
