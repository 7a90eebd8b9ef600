// Schema rows of the `history` section: the head daemon's durable time-series store
// (hpcmond/history, docs/history.md) and the age of job records the head keeps.
#include <charconv>

#include "hpcmon/config_schema.hpp"
#include "field_builders.hpp"

namespace hpcmon::config {
namespace {

using detail::ranged;

template <class T>
Field history_field(std::string_view key, ValueType type, T History::*member, std::string_view doc) {
    return detail::section_field(key, type, &Config::history, member, doc);
}

// Seconds of "30s", "1m", "2h", "7d", "1w", "5y" (365 days); nothing on bad text.
std::optional<double> span_seconds(std::string_view text) {
    if (text.size() < 2) return std::nullopt;
    double unit = 0;
    switch (text.back()) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        case 'w': unit = 7 * 86400; break;
        case 'y': unit = 365 * 86400; break;
        default: return std::nullopt;
    }
    long long count = 0;
    const auto digits = text.substr(0, text.size() - 1);
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (error != std::errc() || end != digits.data() + digits.size() || count <= 0 || count > 1000000)
        return std::nullopt;
    return static_cast<double>(count) * unit;
}

// "<resolution>:<retention>" -> {resolution seconds (0 for raw), retention seconds}.
std::optional<std::pair<double, double>> tier(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const auto resolution = text.substr(0, colon);
    const auto retention = span_seconds(text.substr(colon + 1));
    if (!retention) return std::nullopt;
    if (resolution == "raw") return std::pair{0.0, *retention};
    const auto seconds = span_seconds(resolution);
    if (!seconds) return std::nullopt;
    return std::pair{*seconds, *retention};
}

std::optional<std::string> tier_text(std::string_view text) {
    if (tier(text)) return std::nullopt;
    return "expected <resolution>:<retention> such as raw:7d, 1m:90d or 1h:5y (units s, m, h, d, w, y), got \"" +
           std::string(text) + "\"";
}

std::optional<std::string> absolute_path(std::string_view text) {
    if (text.empty() || text.front() != '/') return "must be an absolute path, got \"" + std::string(text) + "\"";
    return std::nullopt;
}

std::optional<std::string> tiers_in_order(const Config& config) {
    const auto& tiers = config.history.tiers;
    if (tiers.empty()) return "needs at least the raw tier (raw:<retention>)";
    double resolution = -1, retention = 0;
    for (std::size_t i = 0; i < tiers.size(); ++i) {
        const auto t = tier(tiers[i]);
        if (!t) return std::nullopt;  // reported by the item check
        if (i == 0 && t->first != 0) return "the first tier must be raw (raw:<retention>), got \"" + tiers[i] + "\"";
        if (i > 0 && t->first <= resolution)
            return "resolutions must increase from one tier to the next, got \"" + tiers[i] + "\" after \"" +
                   tiers[i - 1] + "\"";
        if (i > 0 && t->second < retention)
            return "a coarser tier must be kept at least as long as a finer one, got \"" + tiers[i] + "\" after \"" +
                   tiers[i - 1] + "\"";
        resolution = t->first;
        retention = t->second;
    }
    return std::nullopt;
}

}  // namespace

Section make_history_section() {
    using T = ValueType;
    Field path = history_field("path", T::string, &History::path,
                               "Folder of the history store (write-ahead log and blocks), owned by the head "
                               "daemon.");
    path.check = absolute_path;
    Field tiers = history_field("tiers", T::string_list, &History::tiers,
                                "Resolutions and how long each is kept, finest first: raw samples, then "
                                "downsampled buckets (min, max, avg, count), e.g. [raw:7d, 1m:90d, 1h:5y].");
    tiers.check = tier_text;
    tiers.unique_items = true;
    Field sync = history_field("wal_sync", T::choice, &History::wal_sync,
                               "always: fdatasync of the write-ahead log before a push is answered (group "
                               "commit); periodic: every wal_sync_interval_s; none: left to the kernel.");
    sync.choices = {"always", "periodic", "none"};
    Field canonical = history_field("canonical_record_dir", T::string, &History::canonical_record_dir,
                                    "Folder of the head's merged (canonical) job records, owned by the head "
                                    "daemon, same <user>/<YYYY>/<MM>/<DD>/<key>.h5 layout as hpc.record_dir, "
                                    "whose files it never changes. Empty: canonical-records beside history.path.");
    canonical.check = [](std::string_view text) -> std::optional<std::string> {
        return text.empty() ? std::nullopt : absolute_path(text);
    };
    return {"history",
            "The head daemon's durable history of every sample (docs/history.md): folder, tiers, "
            "disk limit, write safety; and how long job records are kept.",
            {history_field("enabled", T::boolean, &History::enabled,
                           "Keep every sample on disk. false: no store; /api/v1/metrics/history serves the head's own last hour from memory."),
             path, tiers,
             ranged(history_field("max_disk_bytes", T::integer, &History::max_disk_bytes,
                                  "Most bytes the store may use; writes past it are refused and counted. 0: "
                                  "only the filesystem's space."),
                    0, 1e15),
             sync,
             ranged(history_field("wal_sync_interval_s", T::number, &History::wal_sync_interval_s,
                                  "periodic mode: seconds between two syncs (what a crash may lose)."),
                    0.001, 3600),
             ranged(history_field("block_duration_s", T::number, &History::block_duration_s,
                                  "Seconds of samples kept in memory (and in the log) before they are "
                                  "written into a compressed block."),
                    60, 86400),
             ranged(history_field("maintenance_interval_s", T::number, &History::maintenance_interval_s,
                                  "Seconds between two rounds of flushing, downsampling, merging and "
                                  "expiring blocks."),
                    1, 3600),
             ranged(history_field("record_retention_days", T::number, &History::record_retention_days,
                                  "Job records (hpc.record_dir) older than this many days are deleted by "
                                  "the head, with their index entries. 0: kept forever."),
                    0, 36500),
             canonical},
            {{"tiers", tiers_in_order}}};
}

}  // namespace hpcmon::config
