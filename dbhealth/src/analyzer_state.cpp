// The analysis as a saved state and back (Analyzer::save/load): every fingerprint with its
// sketches, bursts and digest side, and the digest baselines, so a restarted head continues the
// counts instead of starting them again or counting the same executions twice.
#include "hpcmon/dbhealth/analyzer.hpp"

#include "hpcmon/dbhealth/fingerprint.hpp"

namespace hpcmon::dbhealth {
namespace {

constexpr const char* kFormat = "hpcmon-dbhealth-analysis-1";

nlohmann::json sketch_json(const LatencySketch& sketch) {
    nlohmann::json buckets = nlohmann::json::array();
    for (const auto& [index, count] : sketch.bucket_counts()) buckets.push_back({index, count});
    return {{"buckets", buckets}, {"max", sketch.max()}};
}

LatencySketch sketch_of(const nlohmann::json& j) {
    std::vector<std::pair<int, std::uint64_t>> buckets;
    for (const auto& b : j.at("buckets")) buckets.emplace_back(b.at(0).get<int>(), b.at(1).get<std::uint64_t>());
    return LatencySketch::restore(std::move(buckets), j.at("max").get<double>());
}

nlohmann::json burst_json(const Burst& b) {
    return {b.thread_id, b.client, b.first, b.last, b.count};
}

Burst burst_of(const nlohmann::json& j) {
    return {j.at(0).get<std::int64_t>(), j.at(1).get<std::string>(), j.at(2).get<std::int64_t>(),
            j.at(3).get<std::int64_t>(), j.at(4).get<std::uint64_t>()};
}

nlohmann::json stats_json(const FingerprintStats& s) {
    nlohmann::json plan = nlohmann::json::array();
    for (const ExplainRow& r : s.full_scan_plan) plan.push_back({r.table, r.type, r.possible_keys, r.key, r.rows});
    nlohmann::json out = {{"id", s.id}, {"identity", s.identity}, {"fingerprint", s.fingerprint}, {"kind", s.kind},
                          {"example", s.example}, {"example_time_s", s.example_time_s}, {"count", s.count},
                          {"total_time_s", s.total_time_s}, {"lock_time_s", s.lock_time_s},
                          {"latency", sketch_json(s.latency)}, {"rows_examined", s.rows_examined},
                          {"rows_sent", s.rows_sent}, {"max_rows_examined", s.max_rows_examined},
                          {"max_rows_sent", s.max_rows_sent}, {"slow", s.slow}, {"full_scans", s.full_scans},
                          {"leading_wildcard", s.leading_wildcard}, {"unbounded", s.unbounded},
                          {"full_scan_plan", plan}, {"first_seen", s.first_seen}, {"last_seen", s.last_seen},
                          {"clients", s.clients}, {"open_burst", burst_json(s.open_burst)},
                          {"largest_burst", burst_json(s.largest_burst)}, {"bursts", s.bursts}};
    if (s.digest) {
        const DigestStats& d = *s.digest;
        out["digest"] = {{"count", d.count}, {"total_time_s", d.total_time_s}, {"lock_time_s", d.lock_time_s},
                         {"min_s", d.min_s}, {"max_s", d.max_s}, {"rows_examined", d.rows_examined},
                         {"rows_sent", d.rows_sent}, {"no_index_used", d.no_index_used},
                         {"latency", sketch_json(d.latency)}, {"first_seen", d.first_seen},
                         {"last_seen", d.last_seen}, {"digests", d.digests}, {"prefix_match", d.prefix_match},
                         {"ambiguous", d.ambiguous}};
    }
    return out;
}

FingerprintStats stats_of(const nlohmann::json& j) {
    FingerprintStats s;
    s.id = j.at("id").get<std::string>();
    s.identity = j.at("identity").get<std::string>();
    s.fingerprint = j.at("fingerprint").get<std::string>();
    s.kind = j.at("kind").get<std::string>();
    s.example = j.at("example").get<std::string>();
    s.example_time_s = j.at("example_time_s").get<double>();
    s.count = j.at("count").get<std::uint64_t>();
    s.total_time_s = j.at("total_time_s").get<double>();
    s.lock_time_s = j.at("lock_time_s").get<double>();
    s.latency = sketch_of(j.at("latency"));
    s.rows_examined = j.at("rows_examined").get<std::uint64_t>();
    s.rows_sent = j.at("rows_sent").get<std::uint64_t>();
    s.max_rows_examined = j.at("max_rows_examined").get<std::uint64_t>();
    s.max_rows_sent = j.at("max_rows_sent").get<std::uint64_t>();
    s.slow = j.at("slow").get<std::uint64_t>();
    s.full_scans = j.at("full_scans").get<std::uint64_t>();
    s.leading_wildcard = j.at("leading_wildcard").get<std::uint64_t>();
    s.unbounded = j.at("unbounded").get<std::uint64_t>();
    for (const auto& r : j.at("full_scan_plan"))
        s.full_scan_plan.push_back({r.at(0).get<std::string>(), r.at(1).get<std::string>(), r.at(2).get<std::string>(),
                                    r.at(3).get<std::string>(), r.at(4).get<double>()});
    s.first_seen = j.at("first_seen").get<std::int64_t>();
    s.last_seen = j.at("last_seen").get<std::int64_t>();
    s.clients = j.at("clients").get<std::map<std::string, std::uint64_t>>();
    s.open_burst = burst_of(j.at("open_burst"));
    s.largest_burst = burst_of(j.at("largest_burst"));
    s.bursts = j.at("bursts").get<std::uint64_t>();
    // The shape is the fingerprint's: literals do not change it.
    s.shape = statement_shape(tokenize_sql(s.fingerprint));
    if (j.contains("digest")) {
        const auto& d = j.at("digest");
        DigestStats out;
        out.count = d.at("count").get<std::uint64_t>();
        out.total_time_s = d.at("total_time_s").get<double>();
        out.lock_time_s = d.at("lock_time_s").get<double>();
        out.min_s = d.at("min_s").get<double>();
        out.max_s = d.at("max_s").get<double>();
        out.rows_examined = d.at("rows_examined").get<std::uint64_t>();
        out.rows_sent = d.at("rows_sent").get<std::uint64_t>();
        out.no_index_used = d.at("no_index_used").get<std::uint64_t>();
        out.latency = sketch_of(d.at("latency"));
        out.first_seen = d.at("first_seen").get<std::int64_t>();
        out.last_seen = d.at("last_seen").get<std::int64_t>();
        out.digests = d.at("digests").get<std::set<std::string>>();
        out.prefix_match = d.at("prefix_match").get<bool>();
        out.ambiguous = d.at("ambiguous").get<std::size_t>();
        s.digest = std::move(out);
    }
    return s;
}

}  // namespace

nlohmann::json Analyzer::save() const {
    nlohmann::json fingerprints = nlohmann::json::array();
    for (const auto& [id, stats] : by_id_) fingerprints.push_back(stats_json(stats));
    nlohmann::json baselines = nlohmann::json::object();
    for (const auto& [key, b] : digest_baselines_)
        baselines[key] = {b.id, b.count, b.total_s, b.lock_s, b.rows_examined, b.rows_sent, b.no_index_used, b.first_seen};
    return {{"format", kFormat},           {"entries", entries_},
            {"other_entries", other_},     {"digest_readings", digest_readings_},
            {"digest_resets", digest_resets_}, {"fingerprints", fingerprints},
            {"digest_baselines", baselines}};
}

void Analyzer::load(const nlohmann::json& state) {
    if (state.at("format").get<std::string>() != kFormat) throw std::runtime_error("unknown format");
    std::unordered_map<std::string, FingerprintStats> by_id;
    for (const auto& j : state.at("fingerprints")) {
        FingerprintStats s = stats_of(j);
        by_id.emplace(s.id, std::move(s));
    }
    std::map<std::string, DigestBaseline> baselines;
    for (const auto& [key, b] : state.at("digest_baselines").items())
        baselines[key] = {b.at(0).get<std::string>(), b.at(1).get<std::uint64_t>(), b.at(2).get<double>(),
                          b.at(3).get<double>(), b.at(4).get<std::uint64_t>(), b.at(5).get<std::uint64_t>(),
                          b.at(6).get<std::uint64_t>(), b.at(7).get<std::int64_t>()};
    // Only now, when all of it parsed: a malformed state changes nothing.
    by_id_ = std::move(by_id);
    digest_baselines_ = std::move(baselines);
    entries_ = state.at("entries").get<std::uint64_t>();
    other_ = state.at("other_entries").get<std::uint64_t>();
    digest_readings_ = state.at("digest_readings").get<std::uint64_t>();
    digest_resets_ = state.at("digest_resets").get<std::uint64_t>();
}

}  // namespace hpcmon::dbhealth
