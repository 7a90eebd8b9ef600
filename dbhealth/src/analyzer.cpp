// Per-fingerprint statistics of the statements seen (slow log entries, in arrival order).
#include "hpcmon/dbhealth/analyzer.hpp"

#include "hpcmon/dbhealth/fingerprint.hpp"

#include <algorithm>

namespace hpcmon::dbhealth {
namespace {

constexpr std::size_t max_clients = 16;
const std::string other_id = "(other)";

bool scanned_whole_table(const SlowQuery& q) {
    if (q.full_scan) return true;
    for (const ExplainRow& row : q.explain)
        if (row.type == "ALL") return true;
    return false;
}

}  // namespace

Analyzer::Analyzer(const config::AccountingDb& settings) : settings_(settings) {}

const FingerprintStats* Analyzer::find(const std::string& id) const {
    const auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &it->second;
}

std::vector<const FingerprintStats*> Analyzer::top(std::size_t n) const {
    std::vector<const FingerprintStats*> all;
    all.reserve(by_id_.size());
    for (const auto& [id, stats] : by_id_) all.push_back(&stats);
    std::sort(all.begin(), all.end(), [](const FingerprintStats* a, const FingerprintStats* b) {
        if (a->total_time_s != b->total_time_s) return a->total_time_s > b->total_time_s;
        return a->id < b->id;
    });
    if (all.size() > n) all.resize(n);
    return all;
}

void Analyzer::track_burst(FingerprintStats& stats, const SlowQuery& query) {
    Burst& burst = stats.open_burst;
    const bool continues = burst.count > 0 && burst.thread_id == query.thread_id && burst.client == query.client() &&
                           static_cast<double>(query.time - burst.last) <= settings_.n_plus_one_window_s;
    if (!continues) {
        if (burst.count >= static_cast<std::uint64_t>(settings_.n_plus_one_min_count)) ++stats.bursts;
        burst = Burst{query.thread_id, query.client(), query.time, query.time, 0};
    }
    ++burst.count;
    burst.last = query.time;
    if (burst.count > stats.largest_burst.count) stats.largest_burst = burst;
}

void Analyzer::add(const SlowQuery& query) {
    ++entries_;
    const std::vector<Token> tokens = tokenize_sql(query.statement);  // once: every use below reads them
    const std::string text = fingerprint(tokens);
    std::string id = fingerprint_id(text);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) {
        if (by_id_.size() >= static_cast<std::size_t>(settings_.max_fingerprints)) {
            ++other_;
            id = other_id;
            it = by_id_.find(id);
        }
        if (it == by_id_.end()) {
            FingerprintStats fresh;
            fresh.id = id;
            fresh.fingerprint = id == other_id ? "(statements beyond accounting_db.max_fingerprints)" : text;
            fresh.kind = id == other_id ? "other" : statement_kind(tokens);
            fresh.shape = statement_shape(tokens);
            fresh.first_seen = query.time;
            it = by_id_.emplace(id, std::move(fresh)).first;
        }
    }
    FingerprintStats& s = it->second;
    ++s.count;
    s.total_time_s += query.query_time_s;
    s.lock_time_s += query.lock_time_s;
    s.latency.add(query.query_time_s);
    s.rows_examined += static_cast<std::uint64_t>(query.rows_examined);
    s.rows_sent += static_cast<std::uint64_t>(query.rows_sent);
    s.max_rows_examined = std::max<std::uint64_t>(s.max_rows_examined, query.rows_examined);
    s.max_rows_sent = std::max<std::uint64_t>(s.max_rows_sent, query.rows_sent);
    s.first_seen = std::min(s.first_seen, query.time);
    s.last_seen = std::max(s.last_seen, query.time);
    if (s.example.empty() || query.query_time_s > s.example_time_s) {
        s.example = query.statement.substr(0, 4096);
        s.example_time_s = query.query_time_s;
    }
    if (query.query_time_s > settings_.slow_query_s) ++s.slow;

    const std::string client = query.client();
    if (s.clients.contains(client) || s.clients.size() < max_clients) ++s.clients[client];
    else ++s.clients["(other)"];

    if (s.id == other_id) return;
    const bool reads = s.kind == "select" || s.kind == "update" || s.kind == "delete";
    const double sent = static_cast<double>(std::max<std::int64_t>(query.rows_sent, 1));
    if (reads && s.shape.has_where && scanned_whole_table(query) &&
        query.rows_examined >= settings_.full_scan_min_rows_examined &&
        static_cast<double>(query.rows_examined) / sent >= settings_.full_scan_examined_per_sent) {
        if (s.full_scans == 0 || static_cast<std::uint64_t>(query.rows_examined) >= s.max_rows_examined)
            s.full_scan_plan = query.explain;
        ++s.full_scans;
    }
    if (has_leading_wildcard_like(tokens)) ++s.leading_wildcard;
    if (s.kind == "select" && !s.shape.has_limit && query.rows_sent >= settings_.unbounded_rows_sent) ++s.unbounded;
    if (s.kind == "select") track_burst(s, query);
}

}  // namespace hpcmon::dbhealth
