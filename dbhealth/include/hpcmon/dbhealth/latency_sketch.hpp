// A bounded latency sketch: log-bucketed counts (relative accuracy 1 %: every quantile is
// within 1 % of a value that was recorded at that rank), sparse, so a fingerprint that always
// takes about the same time costs a few buckets. Values below 1 microsecond share one bucket.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace hpcmon::dbhealth {

class LatencySketch {
public:
    static constexpr double relative_accuracy = 0.01;

    void add(double seconds);
    // `count` values of about `seconds` each (a performance_schema interval's mean).
    void add(double seconds, std::uint64_t count);
    void merge(const LatencySketch& other);
    double quantile(double q) const;  // 0 when empty
    std::uint64_t count() const { return count_; }
    double max() const { return max_; }
    std::size_t buckets() const { return buckets_.size(); }
    // The sparse buckets (index, count) and their restoration, for the saved state.
    const std::vector<std::pair<int, std::uint64_t>>& bucket_counts() const { return buckets_; }
    static LatencySketch restore(std::vector<std::pair<int, std::uint64_t>> buckets, double max);

private:
    std::vector<std::pair<int, std::uint64_t>> buckets_;  // sorted by index
    std::uint64_t count_ = 0;
    double max_ = 0;
};

}  // namespace hpcmon::dbhealth
