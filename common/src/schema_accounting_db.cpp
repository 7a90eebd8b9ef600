// Schema rows of the `accounting_db` section: how the head daemon reaches Slurm's accounting
// database (its own read-only account), the slow log it follows, the development database of
// `hpcmon db try-index`, and the thresholds of the query patterns (dbhealth/,
// docs/accounting-db.md). Kept apart from schema.cpp so the section has one home.
#include "hpcmon/config_schema.hpp"
#include "field_builders.hpp"

namespace hpcmon::config {
namespace {

using detail::absolute_file;
using detail::checked;
using detail::ranged;

template <class T>
Field db_field(std::string_view key, ValueType type, T AccountingDb::*member, std::string_view doc) {
    return detail::section_field(key, type, &Config::accounting_db, member, doc);
}

std::optional<std::string> empty_or_absolute_file(std::string_view text) {
    if (text.empty()) return std::nullopt;
    return absolute_file(text);
}

std::optional<std::string> not_empty(std::string_view text) {
    if (text.empty()) return "must not be empty";
    return std::nullopt;
}

// A MariaDB identifier used unquoted in messages and USE: letters, digits, _ and $.
std::optional<std::string> plain_identifier(std::string_view text) {
    if (text.empty()) return "must not be empty";
    for (char c : text)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$'))
            return "expected letters, digits, _ or $, got \"" + std::string(text) + "\"";
    return std::nullopt;
}

std::optional<std::string> dev_is_not_live(const Config& config) {
    const auto& db = config.accounting_db;
    const bool same_server = db.dev_socket.empty() ? (db.dev_host == db.host && db.dev_port == db.port)
                                                   : db.dev_socket == db.socket;
    if (same_server && db.dev_schema == db.database)
        return "must differ from accounting_db.database on the same server (try-index never alters the "
               "live tables)";
    return std::nullopt;
}

}  // namespace

Section make_accounting_db_section() {
    using T = ValueType;
    return {"accounting_db",
            "Slurm's accounting database as the head daemon watches it (docs/accounting-db.md): "
            "connection of its own, slow log, try-index development database, pattern thresholds.",
            {db_field("enabled", T::boolean, &AccountingDb::enabled,
                      "Watch the accounting database (connections, statement digests, slow log)."),
             checked(db_field("host", T::string, &AccountingDb::host,
                              "Host of the accounting database server (may be another machine)."),
                     not_empty),
             ranged(db_field("port", T::integer, &AccountingDb::port, "TCP port of the database server."), 1,
                    65535),
             checked(db_field("socket", T::string, &AccountingDb::socket,
                              "Unix socket of the database server; set, it is used instead of host and "
                              "port."),
                     empty_or_absolute_file),
             checked(db_field("user", T::string, &AccountingDb::user,
                              "The daemon's own least-privilege account (read-only on status and "
                              "statistics); never slurmdbd's StorageUser."),
                     not_empty),
             checked(db_field("password_file", T::string, &AccountingDb::password_file,
                              "File holding that account's password (mode 0600, read by the daemon)."),
                     absolute_file),
             checked(db_field("database", T::string, &AccountingDb::database,
                              "slurmdbd's StorageLoc: the schema whose statements are analysed."),
                     plain_identifier),
             ranged(db_field("interval_s", T::number, &AccountingDb::interval_s,
                             "Seconds between two rounds of collection (status, digests, slow log)."),
                    1, 86400),
             checked(db_field("slow_log", T::string, &AccountingDb::slow_log,
                              "MariaDB's slow query log (slow_query_log_file) that the head follows; "
                              "empty: not followed."),
                     empty_or_absolute_file),
             checked(db_field("slow_log_state", T::string, &AccountingDb::slow_log_state,
                              "Where the follower keeps its position (offset, inode, hash of the first "
                              "bytes), so a restart reads nothing twice."),
                     absolute_file),
             ranged(db_field("slow_log_read_max_bytes", T::integer, &AccountingDb::slow_log_read_max_bytes,
                             "Most bytes of slow log read in one round (the rest waits for the next)."),
                    4096, 1e12),
             checked(db_field("dev_host", T::string, &AccountingDb::dev_host,
                              "try-index: host of the development database server."),
                     not_empty),
             ranged(db_field("dev_port", T::integer, &AccountingDb::dev_port,
                             "try-index: TCP port of the development database server."),
                    1, 65535),
             checked(db_field("dev_socket", T::string, &AccountingDb::dev_socket,
                              "try-index: unix socket of the development server; set, it is used "
                              "instead of dev_host and dev_port."),
                     empty_or_absolute_file),
             checked(db_field("dev_user", T::string, &AccountingDb::dev_user,
                              "try-index: account on the development server (creates indexes there)."),
                     not_empty),
             checked(db_field("dev_password_file", T::string, &AccountingDb::dev_password_file,
                              "try-index: file holding dev_user's password (mode 0600)."),
                     absolute_file),
             checked(db_field("dev_schema", T::string, &AccountingDb::dev_schema,
                              "try-index: schema of the development copy; never the live database."),
                     plain_identifier),
             ranged(db_field("max_fingerprints", T::integer, &AccountingDb::max_fingerprints,
                             "Most distinct statement fingerprints kept; past it the least seen are "
                             "folded into one \"other\" entry (bounded memory)."),
                    10, 1e7),
             ranged(db_field("top_fingerprints", T::integer, &AccountingDb::top_fingerprints,
                             "Fingerprints listed by /api/v1/db and the dashboard, by total time."),
                    1, 1000),
             ranged(db_field("slow_query_s", T::number, &AccountingDb::slow_query_s,
                             "A statement taking longer than this many seconds counts as slow."),
                    0, 86400),
             ranged(db_field("full_scan_min_rows_examined", T::integer,
                             &AccountingDb::full_scan_min_rows_examined,
                             "Full scan finding: fewest rows examined by one execution."),
                    1, 1e15),
             ranged(db_field("full_scan_examined_per_sent", T::number, &AccountingDb::full_scan_examined_per_sent,
                             "Full scan finding: rows examined per row sent above this."),
                    1, 1e12),
             ranged(db_field("n_plus_one_min_count", T::integer, &AccountingDb::n_plus_one_min_count,
                             "N+1 finding: fewest executions of one fingerprint by one client within "
                             "n_plus_one_window_s."),
                    2, 1e12),
             ranged(db_field("n_plus_one_window_s", T::number, &AccountingDb::n_plus_one_window_s,
                             "N+1 finding: the window, in seconds, of one burst."),
                    0.001, 86400),
             ranged(db_field("unbounded_rows_sent", T::integer, &AccountingDb::unbounded_rows_sent,
                             "Unbounded result finding: rows sent by one execution of a statement "
                             "without LIMIT above this."),
                    1, 1e15)},
            {{"dev_schema", dev_is_not_live}}};
}

}  // namespace hpcmon::config
