// `hpcmon db try-index`: applies a suggested CREATE INDEX to a DEVELOPMENT database only and
// measures the offending query before and after (EXPLAIN, median of N timed runs).
// The development database is another server (a restored backup, or a copy of the needed tables
// that this code makes there from the live server), or a copy on the live server itself. Copies
// are read in primary-key chunks under READ COMMITTED (consistent reads: slurmdbd's tables are
// never locked) and marked by a table hpcmon_try_index_copy.
// What it must never do: create, drop or alter anything in slurmdbd's live schema. On the live
// server it refuses the live schema, and any schema that is not a copy it made. (slurmdbd drops
// indexes it does not define at its next start anyway: a real index lives only in a copy.)
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hpcmon/dbhealth/mariadb.hpp"

namespace hpcmon::dbhealth {

inline constexpr const char* kCopyMarkerTable = "hpcmon_try_index_copy";

// The command refuses (nothing was changed), with a one-line reason.
class TryIndexRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct IndexStatement {
  bool unique = false;
  std::string name;
  std::string table;    // without schema or quotes
  std::string columns;  // the text between the parentheses
};
// Parses `CREATE [UNIQUE] INDEX name ON [schema.]table (columns)` (names bare, in backquotes or
// double quotes). Nothing when the text is not that statement.
std::optional<IndexStatement> parse_create_index(const std::string& statement);

struct TryIndexRequest {
  Endpoint dev;                  // the development server; its `database` is ignored
  std::string dev_schema;        // the copy or restored schema the index goes into
  std::optional<Endpoint> live;  // the live server (to recognise it); unreachable: compared by address
  std::string live_schema = "slurm_acct_db";
  std::vector<std::string> copy_tables;  // copy these from live_schema first
  // Reads the live tables when the development server is another one; default: the live
  // server's address with the development account (it needs SELECT on live_schema there).
  std::optional<Endpoint> copy_source;
  std::int64_t copy_chunk_rows = 10000;
  std::string create_index;      // the suggestion
  std::string query;             // the offending SELECT, as logged (ANSI_QUOTES like slurmdbd)
  int runs = 5;
  bool keep_index = false;       // default: dropped again after the measurement
};

struct ExplainRow {
  std::string table, type, key, extra;
  std::int64_t rows = 0;
};

struct Timing {
  std::vector<double> runs_s;
  double median_s = 0;
  std::uint64_t rows_returned = 0;
  std::vector<ExplainRow> explain;
};

struct CopyReport {
  std::string table;
  std::string from;  // the source: "schema" on the same server, "user@host:port schema" on another
  std::uint64_t rows = 0;
  std::uint64_t chunks = 0;
  double seconds = 0;
};

struct TryIndexReport {
  std::string target;          // dev endpoint and schema
  bool on_live_server = false;
  std::vector<CopyReport> copies;
  IndexStatement index;
  std::string executed_index_statement;
  double create_s = 0;
  Timing before, after;
  double gain = 0;             // before.median_s / after.median_s
  bool index_kept = false;
};

using Progress = std::function<void(const std::string&)>;

// Copies `tables` of live_schema into dev_schema on the same server through `connection`
// (chunks of chunk_rows by primary key, READ COMMITTED), and records them in the marker table.
std::vector<CopyReport> copy_tables(Connection& connection, const std::string& live_schema,
                                    const std::string& dev_schema, const std::vector<std::string>& tables,
                                    std::int64_t chunk_rows, const Progress& progress = {});

// Copies `tables` of live_schema on the live server (`source`, read in chunks of chunk_rows by
// primary key under READ COMMITTED, nothing written there) into dev_schema on ANOTHER server
// (`dev`: created from SHOW CREATE TABLE, filled by multi-row INSERTs), recorded in its marker.
std::vector<CopyReport> copy_tables_between(Connection& source, Connection& dev, const std::string& live_schema,
                                            const std::string& dev_schema, const std::vector<std::string>& tables,
                                            std::int64_t chunk_rows, const Progress& progress = {});

// The whole trial; throws TryIndexRefused before changing anything when a safety rule says no,
// DbError when a server fails.
TryIndexReport try_index(const TryIndexRequest& request, const Progress& progress = {});

nlohmann::json to_json(const TryIndexReport& report);
std::string to_text(const TryIndexReport& report);

}  // namespace hpcmon::dbhealth
