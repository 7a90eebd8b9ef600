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
        const double ta = total_time_s(*a), tb = total_time_s(*b);
        if (ta != tb) return ta > tb;
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

std::uint64_t executions(const FingerprintStats& stats) { return stats.digest ? stats.digest->count : stats.count; }

double total_time_s(const FingerprintStats& stats) {
    return stats.digest ? stats.digest->total_time_s : stats.total_time_s;
}

// The entry of `id`, made by `fresh` when new; past max_fingerprints the "(other)" entry.
FingerprintStats& Analyzer::slot(const std::string& id, const std::function<FingerprintStats()>& fresh) {
    if (auto it = by_id_.find(id); it != by_id_.end()) return it->second;
    if (by_id_.size() >= static_cast<std::size_t>(settings_.max_fingerprints)) {
        if (auto it = by_id_.find(other_id); it != by_id_.end()) return it->second;
        FingerprintStats other;
        other.id = other_id;
        other.fingerprint = "(statements beyond accounting_db.max_fingerprints)";
        other.kind = "other";
        return by_id_.emplace(other_id, std::move(other)).first->second;
    }
    FingerprintStats stats = fresh();
    stats.id = id;
    return by_id_.emplace(id, std::move(stats)).first->second;
}

void Analyzer::add(const SlowQuery& query) {
    ++entries_;
    const std::vector<Token> tokens = tokenize_sql(query.statement);  // once: every use below reads them
    std::string identity = statement_identity(tokens);
    const std::string id = fingerprint_id(identity);
    FingerprintStats& s = slot(id, [&] {
        FingerprintStats fresh;
        fresh.first_seen = query.time;
        return fresh;
    });
    if (s.id == other_id) ++other_;
    if (s.count == 0 && s.id != other_id) {
        // New to the slow log (perhaps known from its digest): the slow log's text and shape.
        s.identity = std::move(identity);
        s.fingerprint = fingerprint(tokens);
        s.kind = statement_kind(tokens);
        s.shape = statement_shape(tokens);
        s.first_seen = query.time;
    }
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

// The fingerprint a digest counts under: the same identity as a slow-log statement; a cut
// DIGEST_TEXT (longer statements than the server's max_digest_length) is matched to the one
// slow-log fingerprint it starts, and stays its own entry when it starts none or several.
std::string Analyzer::resolve_digest(const DigestSample& sample, const DigestSnapshot& snapshot,
                                     const std::string& known) {
    const bool maybe_cut = sample.text.size() * 10 >= snapshot.max_digest_length * 7;
    if (!known.empty()) {
        const FingerprintStats* row = find(known);
        if (row && (row->count > 0 || !maybe_cut)) return known;  // settled (gone: moved with another digest)
    }
    const std::vector<Token> tokens = tokenize_sql(sample.text);
    const std::string identity = statement_identity(tokens);
    const std::string id = fingerprint_id(identity);
    if (const FingerprintStats* row = find(id); row && row->count > 0) return id;
    std::size_t matches = 0;
    std::string match;
    // The cut may fall inside the last piece (`t1` . and no column): match without it.
    const std::size_t last_space = identity.rfind(' ');
    const std::string stem = last_space == std::string::npos ? "" : identity.substr(0, last_space + 1);
    if (maybe_cut && !stem.empty()) {
        for (const auto& [other, stats] : by_id_) {
            if (stats.count == 0 || stats.identity.size() <= stem.size()) continue;
            if (stats.identity.compare(0, stem.size(), stem) == 0) {
                ++matches;
                match = other;
            }
        }
    }
    if (matches == 1) {
        FingerprintStats& target = by_id_.at(match);
        if (!target.digest) target.digest.emplace();
        target.digest->prefix_match = true;
        return match;
    }
    FingerprintStats& own = slot(id, [&] {
        FingerprintStats fresh;
        fresh.identity = identity;
        fresh.fingerprint = sample.text;
        fresh.kind = statement_kind(tokens);
        fresh.shape = statement_shape(tokens);
        fresh.first_seen = sample.first_seen;
        return fresh;
    });
    if (!own.digest) own.digest.emplace();
    own.digest->ambiguous = matches;
    return own.id;
}

void Analyzer::add_digests(const DigestSnapshot& snapshot) {
    ++digest_readings_;
    std::set<std::string> seen;
    for (const DigestSample& sample : snapshot.rows) {
        if (sample.digest.empty()) continue;  // MariaDB's overflow row: no statement to name
        const std::string key = sample.schema + "/" + sample.digest;
        seen.insert(key);
        const auto base = digest_baselines_.find(key);
        const bool continues = base != digest_baselines_.end() && sample.count >= base->second.count &&
                               sample.first_seen == base->second.first_seen;
        if (base != digest_baselines_.end() && !continues) ++digest_resets_;
        DigestBaseline zero;
        const DigestBaseline& from = continues ? base->second : zero;
        const std::string known = base != digest_baselines_.end() ? base->second.id : "";
        const std::string id = resolve_digest(sample, snapshot, known);
        FingerprintStats& row = by_id_.at(id);
        if (!row.digest) row.digest.emplace();
        DigestStats& d = *row.digest;
        // A digest that moved (its cut text now matches a slow-log fingerprint): its past moves too.
        if (!known.empty() && known != id) {
            if (auto old = by_id_.find(known); old != by_id_.end() && old->second.digest) {
                const DigestStats& o = *old->second.digest;
                d.count += o.count;
                d.total_time_s += o.total_time_s;
                d.lock_time_s += o.lock_time_s;
                d.rows_examined += o.rows_examined;
                d.rows_sent += o.rows_sent;
                d.no_index_used += o.no_index_used;
                d.latency.merge(o.latency);
                d.max_s = std::max(d.max_s, o.max_s);
                if (o.count && (d.min_s == 0 || o.min_s < d.min_s)) d.min_s = o.min_s;
                if (o.first_seen && (d.first_seen == 0 || o.first_seen < d.first_seen)) d.first_seen = o.first_seen;
                d.last_seen = std::max(d.last_seen, o.last_seen);
                if (old->second.count == 0) by_id_.erase(old);
                else old->second.digest.reset();
            }
        }
        auto minus = [](auto now, auto before) { return now > before ? now - before : decltype(now){}; };
        const std::uint64_t n = minus(sample.count, from.count);
        const double total = minus(sample.total_s, from.total_s);
        if (n > 0) {
            d.count += n;
            d.total_time_s += total;
            d.latency.add(total / static_cast<double>(n), n);
        }
        d.lock_time_s += minus(sample.lock_s, from.lock_s);
        d.rows_examined += minus(sample.rows_examined, from.rows_examined);
        d.rows_sent += minus(sample.rows_sent, from.rows_sent);
        d.no_index_used += minus(sample.no_index_used, from.no_index_used);
        d.max_s = std::max(d.max_s, sample.max_s);
        if (sample.count && (d.min_s == 0 || sample.min_s < d.min_s)) d.min_s = sample.min_s;
        if (sample.first_seen && (d.first_seen == 0 || sample.first_seen < d.first_seen)) d.first_seen = sample.first_seen;
        d.last_seen = std::max(d.last_seen, sample.last_seen);
        if (d.digests.size() < 16) d.digests.insert(sample.digest);
        if (row.count == 0) {
            row.first_seen = d.first_seen;
            row.last_seen = d.last_seen;
        }
        digest_baselines_[key] = {id,
                                  sample.count,
                                  sample.total_s,
                                  sample.lock_s,
                                  sample.rows_examined,
                                  sample.rows_sent,
                                  sample.no_index_used,
                                  sample.first_seen};
    }
    // Digests gone from the table (TRUNCATE, eviction) start from zero when they come back.
    if (snapshot.complete)
        std::erase_if(digest_baselines_, [&](const auto& entry) { return !seen.contains(entry.first); });
}

}  // namespace hpcmon::dbhealth
