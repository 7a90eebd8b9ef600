// The analysis of the accounting database's statements: per fingerprint count, total and
// p50/p95/p99 latency, rows examined against rows sent, first and last seen, clients; and the
// patterns found in them (patterns.hpp). Two sources under one fingerprint identity
// (statement_identity): performance_schema's statement digests, preferred for counts, times and
// rows (every execution, no threshold), and the slow log, which adds what digests lack
// (clients, each execution's latency, N+1 bursts, plans). Bounded: at most max_fingerprints
// distinct entries, later ones are counted in one "(other)" entry. Not thread-safe: the owner
// locks.
#pragma once

#include "hpcmon/config.hpp"
#include "hpcmon/dbhealth/latency_sketch.hpp"
#include "hpcmon/dbhealth/slow_log.hpp"
#include "hpcmon/dbhealth/sql_predicates.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
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

// One row of performance_schema.events_statements_summary_by_digest as read: cumulative since
// the server started or the table was truncated. Seconds; epochs in seconds.
struct DigestSample {
    std::string schema;
    std::string digest;  // MariaDB's hash; empty for the overflow row (skipped)
    std::string text;    // DIGEST_TEXT
    std::uint64_t count = 0;
    double total_s = 0, min_s = 0, max_s = 0, lock_s = 0;
    std::uint64_t rows_examined = 0, rows_sent = 0, no_index_used = 0;
    std::int64_t first_seen = 0, last_seen = 0;
};

struct DigestSnapshot {
    std::vector<DigestSample> rows;
    bool complete = true;  // every row of the schema was read (none cut off by a LIMIT)
    std::size_t max_digest_length = 1024;  // the server's: longer statements are cut in DIGEST_TEXT
};

// The performance_schema side of a fingerprint: sums of the deltas between readings.
struct DigestStats {
    std::uint64_t count = 0;
    double total_time_s = 0, lock_time_s = 0, min_s = 0, max_s = 0;
    std::uint64_t rows_examined = 0, rows_sent = 0, no_index_used = 0;
    LatencySketch latency;  // each reading's mean, weighted by its executions (an estimate)
    std::int64_t first_seen = 0, last_seen = 0;
    std::set<std::string> digests;    // MariaDB digest hashes folded in (at most 16 kept)
    bool prefix_match = false;        // DIGEST_TEXT was cut and matched one slow-log fingerprint's start
    std::size_t ambiguous = 0;        // DIGEST_TEXT was cut and starts that many slow-log fingerprints
};

// What the last reading of a digest said, to take the next one's delta.
struct DigestBaseline {
    std::string id;  // the fingerprint it was counted under
    std::uint64_t count = 0;
    double total_s = 0, lock_s = 0;
    std::uint64_t rows_examined = 0, rows_sent = 0, no_index_used = 0;
    std::int64_t first_seen = 0;
};

struct FingerprintStats {
    std::string id;
    std::string identity;    // statement_identity: how digests find it
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
    // Above: the slow log's (count 0: not in it). Here: performance_schema's, when it has it.
    std::optional<DigestStats> digest;
};

// The preferred source's figures: performance_schema's when it has the fingerprint.
std::uint64_t executions(const FingerprintStats& stats);
double total_time_s(const FingerprintStats& stats);

class Analyzer {
public:
    explicit Analyzer(const config::AccountingDb& settings);

    void add(const SlowQuery& query);
    // A reading of the digest table: each digest's delta since the previous reading is added to
    // its fingerprint. A digest whose count went down or whose FIRST_SEEN changed was reset
    // (TRUNCATE, server restart): its whole new count is the delta, never a negative one.
    void add_digests(const DigestSnapshot& snapshot);
    std::uint64_t digest_readings() const { return digest_readings_; }
    std::uint64_t digest_resets() const { return digest_resets_; }
    std::uint64_t entries() const { return entries_; }
    std::uint64_t other_entries() const { return other_; }  // beyond max_fingerprints
    const std::unordered_map<std::string, FingerprintStats>& fingerprints() const { return by_id_; }
    const FingerprintStats* find(const std::string& id) const;
    // The top `n` by total time.
    std::vector<const FingerprintStats*> top(std::size_t n) const;
    const config::AccountingDb& settings() const { return settings_; }

    // The whole analysis and the digest baselines as JSON, and back (analyzer_state.cpp): the
    // head saves it beside the slow log's position so a restart neither loses nor recounts.
    nlohmann::json save() const;
    void load(const nlohmann::json& state);  // throws std::exception on a malformed state

private:
    void track_burst(FingerprintStats& stats, const SlowQuery& query);
    FingerprintStats& slot(const std::string& id, const std::function<FingerprintStats()>& fresh);
    std::string resolve_digest(const DigestSample& sample, const DigestSnapshot& snapshot, const std::string& known);

    config::AccountingDb settings_;
    std::unordered_map<std::string, FingerprintStats> by_id_;
    std::uint64_t entries_ = 0;
    std::uint64_t other_ = 0;
    std::map<std::string, DigestBaseline> digest_baselines_;  // by schema/digest
    std::uint64_t digest_readings_ = 0;
    std::uint64_t digest_resets_ = 0;
};

}  // namespace hpcmon::dbhealth
