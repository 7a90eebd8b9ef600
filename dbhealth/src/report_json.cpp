// The analysis as JSON for /api/v1/db and the dashboard.
#include "hpcmon/dbhealth/patterns.hpp"

namespace hpcmon::dbhealth {

nlohmann::json fingerprint_json(const FingerprintStats& s) {
    nlohmann::json clients = nlohmann::json::object();
    for (const auto& [client, count] : s.clients) clients[client] = count;
    return {{"id", s.id},
            {"fingerprint", s.fingerprint},
            {"kind", s.kind},
            {"example", s.example},
            {"count", s.count},
            {"total_time_s", s.total_time_s},
            {"mean_time_s", s.count ? s.total_time_s / static_cast<double>(s.count) : 0.0},
            {"p50_s", s.latency.quantile(0.50)},
            {"p95_s", s.latency.quantile(0.95)},
            {"p99_s", s.latency.quantile(0.99)},
            {"max_s", s.latency.max()},
            {"lock_time_s", s.lock_time_s},
            {"rows_examined", s.rows_examined},
            {"rows_sent", s.rows_sent},
            {"slow", s.slow},
            {"first_seen", s.first_seen},
            {"last_seen", s.last_seen},
            {"clients", clients},
            {"tables", [&] {
                 nlohmann::json t = nlohmann::json::array();
                 for (const TableRef& ref : s.shape.tables) t.push_back(ref.name);
                 return t;
             }()}};
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
            {"distinct_fingerprints", analyzer.fingerprints().size()},
            {"other_entries", analyzer.other_entries()},
            {"latency_relative_accuracy", LatencySketch::relative_accuracy},
            {"fingerprints", fingerprints},
            {"findings", findings},
            {"suggestions", suggestions}};
}

}  // namespace hpcmon::dbhealth
