// hpcmon dbhealth: accounting-database health from what MariaDB writes (library hpcmon_dbhealth).
// What it is: the slow-log follower and parser, fingerprints of Slurm's SQL (ANSI_QUOTES
// identifiers kept), per-fingerprint latency sketches, query patterns with evidence and
// CREATE INDEX suggestions. The head daemon's collector feeds it; /api/v1/db shows it.
// Owns: the slow-log position file (accounting_db.slow_log_state) and the analysis in memory.
// Never: connect to a database (dbhealth/mariadb does, as its own target), alter a table,
// read a slow-log byte twice, or lose an entry it has ingested when the log rotates or shrinks.
// This header: one parsed slow-log entry and the parser of a byte range of the log.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hpcmon::dbhealth {

// One `# explain:` row of log_slow_verbosity=explain.
struct ExplainRow {
    std::string table;          // alias as the statement names it (t1, job, ...)
    std::string type;           // ALL, ref, eq_ref, range, index_merge ...
    std::string possible_keys;  // NULL when none
    std::string key;            // NULL when none used
    double rows = 0;            // optimizer's estimate
};

// One slow-log entry, as MariaDB 10.x writes it (docs/accounting-db.md, "Slow log").
struct SlowQuery {
    std::int64_t time = 0;       // start, epoch seconds (SET timestamp=, else # Time:)
    std::string user;            // slurm
    std::string host;            // 127.0.0.1 or a host name
    std::int64_t thread_id = 0;  // the connection: one per sacct/sreport run
    std::string schema;
    double query_time_s = 0;
    double lock_time_s = 0;
    std::int64_t rows_sent = 0;
    std::int64_t rows_examined = 0;
    std::int64_t rows_affected = 0;
    std::optional<std::int64_t> bytes_sent;  // absent when MariaDB wrote an underflowed value
    bool has_plan = false;       // the Full_scan line was present
    bool full_scan = false;
    bool full_join = false;
    bool tmp_table_on_disk = false;
    bool filesort = false;
    std::vector<ExplainRow> explain;
    std::string statement;       // the SQL, lines joined with '\n', without the final ';'
    std::uint64_t offset = 0;    // byte offset of the entry in its file

    std::string client() const { return user + "@" + host; }
};

// A skipped entry: why, and where (byte offset in the file).
struct Malformed {
    std::uint64_t offset = 0;
    std::string reason;
};

struct ParseResult {
    std::vector<SlowQuery> entries;
    std::vector<Malformed> malformed;
    std::size_t consumed = 0;  // bytes up to the end of the last complete entry (or skipped text)
};

// Parses `text`, which starts at byte `base_offset` of the log and at an entry boundary.
// A last entry that may still be being written (no final newline, or a statement without its
// final ';') is not consumed unless `at_end_of_file_is_final` (the file was rotated away).
ParseResult parse_slow_log(std::string_view text, std::uint64_t base_offset,
                           bool at_end_of_file_is_final = false);

// "# Time: 261127 20:07:02" (YYMMDD HH:MM:SS, taken as UTC) -> epoch seconds.
std::optional<std::int64_t> parse_slow_log_time(std::string_view value);

}  // namespace hpcmon::dbhealth
