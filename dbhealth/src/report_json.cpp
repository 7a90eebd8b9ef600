// The analysis as JSON for /api/v1/db and the dashboard.
#include "hpcmon/dbhealth/patterns.hpp"

#include <algorithm>

namespace hpcmon::dbhealth {

nlohmann::json fingerprint_json(const FingerprintStats& s) {
    nlohmann::json clients = nlohmann::json::object();
    for (const auto& [client, count] : s.clients) clients[client] = count;
    nlohmann::json sources = nlohmann::json::array();
    if (s.digest) sources.push_back("performance_schema");
    if (s.count > 0) sources.push_back("slow_log");
    const std::uint64_t count = executions(s);
    const double total = total_time_s(s);
    // Quantiles: each execution's latency from the slow log when it has the statement, else
    // performance_schema's per-reading means (an estimate within its min and max).
    const bool exact = s.count > 0;
    const LatencySketch& latency = exact ? s.latency : s.digest->latency;
    auto quantile = [&](double q) {
        double v = latency.quantile(q);
        if (!exact) v = std::clamp(v, s.digest->min_s, std::max(s.digest->min_s, s.digest->max_s));
        return v;
    };
    nlohmann::json out = {{"id", s.id},
            {"fingerprint", s.fingerprint},
            {"kind", s.kind},
            {"example", s.example},
            {"sources", sources},
            {"count", count},
            {"total_time_s", total},
            {"mean_time_s", count ? total / static_cast<double>(count) : 0.0},
            {"p50_s", quantile(0.50)},
            {"p95_s", quantile(0.95)},
            {"p99_s", quantile(0.99)},
            {"latency_source", exact ? "slow_log" : "performance_schema"},
            {"max_s", s.digest ? std::max(s.digest->max_s, s.latency.max()) : s.latency.max()},
            {"lock_time_s", s.digest ? s.digest->lock_time_s : s.lock_time_s},
            {"rows_examined", s.digest ? s.digest->rows_examined : s.rows_examined},
            {"rows_sent", s.digest ? s.digest->rows_sent : s.rows_sent},
            {"slow", s.slow},
            {"first_seen", s.first_seen},
            {"last_seen", s.last_seen},
            {"clients", clients},
            {"tables", [&] {
                 nlohmann::json t = nlohmann::json::array();
                 for (const TableRef& ref : s.shape.tables) t.push_back(ref.name);
                 return t;
             }()}};
    if (s.digest) {
        const DigestStats& d = *s.digest;
        out["first_seen"] = s.count ? std::min(s.first_seen, d.first_seen ? d.first_seen : s.first_seen) : d.first_seen;
        out["last_seen"] = std::max(s.last_seen, d.last_seen);
        out["performance_schema"] = {{"count", d.count},
                                     {"total_time_s", d.total_time_s},
                                     {"min_s", d.min_s},
                                     {"max_s", d.max_s},
                                     {"lock_time_s", d.lock_time_s},
                                     {"rows_examined", d.rows_examined},
                                     {"rows_sent", d.rows_sent},
                                     {"no_index_used", d.no_index_used},
                                     {"first_seen", d.first_seen},
                                     {"last_seen", d.last_seen},
                                     {"digests", d.digests},
                                     {"prefix_match", d.prefix_match},
                                     {"ambiguous_prefix_of", d.ambiguous}};
    } else {
        out["performance_schema"] = nullptr;
    }
    if (s.count > 0)
        out["slow_log"] = {{"count", s.count},
                           {"total_time_s", s.total_time_s},
                           {"p50_s", s.latency.quantile(0.50)},
                           {"p95_s", s.latency.quantile(0.95)},
                           {"p99_s", s.latency.quantile(0.99)},
                           {"max_s", s.latency.max()},
                           {"rows_examined", s.rows_examined},
                           {"rows_sent", s.rows_sent}};
    else
        out["slow_log"] = nullptr;
    return out;
}

nlohmann::json finding_json(const Finding& f) {
    nlohmann::json out = {{"pattern", pattern_name(f.kind)},
                          {"fingerprint_id", f.fingerprint_id},
                          {"fingerprint", f.fingerprint},
                          {"count", f.count},
                          {"evidence", f.evidence},
                          {"suggestion", f.suggestion},
                          {"details", f.details}};
    if (f.index)
        out["index"] = {{"table", f.index->table}, {"columns", f.index->columns}, {"statement", f.index->statement}};
    return out;
}

nlohmann::json report_json(const Analyzer& analyzer, std::size_t top) {
    nlohmann::json fingerprints = nlohmann::json::array();
    for (const FingerprintStats* s : analyzer.top(top)) fingerprints.push_back(fingerprint_json(*s));
    nlohmann::json findings = nlohmann::json::array();
    nlohmann::json suggestions = nlohmann::json::array();
    for (const Finding& f : find_patterns(analyzer)) {
        findings.push_back(finding_json(f));
        if (f.index)
            suggestions.push_back({{"fingerprint_id", f.fingerprint_id}, {"table", f.index->table},
                                   {"columns", f.index->columns}, {"statement", f.index->statement},
                                   {"reason", f.evidence}});
    }
    return {{"entries", analyzer.entries()},
            {"digest_readings", analyzer.digest_readings()},
            {"digest_resets", analyzer.digest_resets()},
            {"distinct_fingerprints", analyzer.fingerprints().size()},
            {"other_entries", analyzer.other_entries()},
            {"latency_relative_accuracy", LatencySketch::relative_accuracy},
            {"fingerprints", fingerprints},
            {"findings", findings},
            {"suggestions", suggestions}};
}

}  // namespace hpcmon::dbhealth
