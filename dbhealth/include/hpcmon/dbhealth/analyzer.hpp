// The analysis of the accounting database's statements: per fingerprint count, total and
// p50/p95/p99 latency, rows examined against rows sent, first and last seen, clients; and the
// patterns found in them (patterns.hpp). Bounded: at most max_fingerprints distinct entries,
// later ones are counted in one "(other)" entry. Not thread-safe: the owner locks.
#pragma once

#include "hpcmon/config.hpp"
#include "hpcmon/dbhealth/latency_sketch.hpp"
#include "hpcmon/dbhealth/slow_log.hpp"
#include "hpcmon/dbhealth/sql_predicates.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace hpcmon::dbhealth {

// One N+1 burst: executions of a fingerprint by one connection without a gap of more than
// n_plus_one_window_s between two of them.
struct Burst {
    std::int64_t thread_id = 0;
    std::string client;
    std::int64_t first = 0;
    std::int64_t last = 0;
    std::uint64_t count = 0;
};

struct FingerprintStats {
    std::string id;
    std::string fingerprint;
    std::string kind;        // select, insert, ...
    std::string example;     // the slowest statement seen, as written
    double example_time_s = 0;
    std::uint64_t count = 0;
    double total_time_s = 0;
    double lock_time_s = 0;
    LatencySketch latency;
    std::uint64_t rows_examined = 0;
    std::uint64_t rows_sent = 0;
    std::uint64_t max_rows_examined = 0;
    std::uint64_t max_rows_sent = 0;
    std::uint64_t slow = 0;             // executions above slow_query_s
    std::uint64_t full_scans = 0;       // executions meeting the full-scan thresholds
    std::uint64_t leading_wildcard = 0;
    std::uint64_t unbounded = 0;        // executions without LIMIT above unbounded_rows_sent
    std::vector<ExplainRow> full_scan_plan;  // the plan of the worst full scan
    std::int64_t first_seen = 0;
    std::int64_t last_seen = 0;
    std::map<std::string, std::uint64_t> clients;  // user@host -> executions (at most 16 + "(other)")
    Burst open_burst;                   // the current burst of the last connection seen
    Burst largest_burst;                // the largest closed or open burst
    std::uint64_t bursts = 0;           // bursts that reached n_plus_one_min_count
    StatementShape shape;
};

class Analyzer {
public:
    explicit Analyzer(const config::AccountingDb& settings);

    void add(const SlowQuery& query);
    std::uint64_t entries() const { return entries_; }
    std::uint64_t other_entries() const { return other_; }  // beyond max_fingerprints
    const std::unordered_map<std::string, FingerprintStats>& fingerprints() const { return by_id_; }
    const FingerprintStats* find(const std::string& id) const;
    // The top `n` by total time.
    std::vector<const FingerprintStats*> top(std::size_t n) const;
    const config::AccountingDb& settings() const { return settings_; }

private:
    void track_burst(FingerprintStats& stats, const SlowQuery& query);

    config::AccountingDb settings_;
    std::unordered_map<std::string, FingerprintStats> by_id_;
    std::uint64_t entries_ = 0;
    std::uint64_t other_ = 0;
};

}  // namespace hpcmon::dbhealth
