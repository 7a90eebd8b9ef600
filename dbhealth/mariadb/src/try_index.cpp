// try-index on a development copy (try_index.hpp): safety rules, chunked copy, measurement.
#include "hpcmon/dbhealth/try_index.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <regex>

namespace hpcmon::dbhealth {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string unquote(std::string name) {
  if (name.size() >= 2 && (name.front() == '`' || name.front() == '"') && name.back() == name.front())
    return name.substr(1, name.size() - 2);
  return name;
}

void say(const Progress& progress, const std::string& line) {
  if (progress) progress(line);
}

// Which server a connection reaches: the same datadir on the same host and port is the same server.
std::string server_identity(Connection& connection) {
  const auto row = connection.query("SELECT @@hostname, @@port, @@datadir").rows.at(0);
  return row[0].value_or("") + ":" + row[1].value_or("") + ":" + row[2].value_or("");
}

bool same_address(const Endpoint& a, const Endpoint& b) {
  if (!a.socket.empty() || !b.socket.empty()) return a.socket == b.socket;
  return a.host == b.host && a.port == b.port;
}

bool is_select(const std::string& query) {
  static const std::regex select(R"(^\s*(\(\s*)*(select|with)\b)", std::regex::icase);
  return std::regex_search(query, select);
}

// The query names the live schema explicitly (`slurm_acct_db`.t, "slurm_acct_db".t, slurm_acct_db.t).
bool names_schema(const std::string& query, const std::string& schema) {
  const std::string q = lower(query), s = lower(schema);
  for (const std::string& form : {s + ".", "`" + s + "`.", "\"" + s + "\"."}) {
    for (std::size_t at = q.find(form); at != std::string::npos; at = q.find(form, at + 1)) {
      const bool word_start = at == 0 || !(std::isalnum(static_cast<unsigned char>(q[at - 1])) || q[at - 1] == '_');
      if (word_start) return true;
    }
  }
  return false;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::vector<ExplainRow> explain(Connection& connection, const std::string& query) {
  const auto result = connection.query("EXPLAIN " + query);
  std::vector<ExplainRow> rows;
  const auto table = result.column("table"), type = result.column("type"), key = result.column("key"),
             count = result.column("rows"), extra = result.column("Extra");
  for (const auto& r : result.rows) {
    ExplainRow e;
    e.table = r[table].value_or("");
    e.type = r[type].value_or("");
    e.key = r[key].value_or("");
    e.extra = r[extra].value_or("");
    try {
      e.rows = r[count] ? std::stoll(*r[count]) : 0;
    } catch (...) {
      e.rows = 0;
    }
    rows.push_back(std::move(e));
  }
  return rows;
}

Timing measure(Connection& connection, const std::string& query, int runs) {
  Timing timing;
  timing.explain = explain(connection, query);
  connection.query(query);  // warm-up, not counted: the buffer pool holds the pages for every run
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    const auto result = connection.query(query);
    timing.runs_s.push_back(since(start));
    timing.rows_returned = result.rows.size();
  }
  timing.median_s = median(timing.runs_s);
  return timing;
}

bool marker_lists(Connection& connection, const std::string& dev_schema, const std::string& table) {
  const auto exists = connection.query(
      "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + connection.quote(dev_schema) +
      " AND TABLE_NAME = " + connection.quote(kCopyMarkerTable));
  if (exists.rows.at(0)[0].value_or("0") == "0") return false;
  const auto listed = connection.query("SELECT COUNT(*) FROM " + quote_identifier(dev_schema) + "." +
                                       quote_identifier(kCopyMarkerTable) +
                                       " WHERE table_name = " + connection.quote(table));
  return listed.rows.at(0)[0].value_or("0") != "0";
}

bool index_exists(Connection& connection, const std::string& schema, const std::string& table,
                  const std::string& index) {
  const auto result = connection.query(
      "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = " + connection.quote(schema) +
      " AND TABLE_NAME = " + connection.quote(table) + " AND INDEX_NAME = " + connection.quote(index));
  return result.rows.at(0)[0].value_or("0") != "0";
}

std::string fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

}  // namespace

std::optional<IndexStatement> parse_create_index(const std::string& statement) {
  static const std::regex create(
      R"(^\s*create\s+(unique\s+)?index\s+([`"]?[A-Za-z0-9_$]+[`"]?)\s+on\s+(([`"]?[A-Za-z0-9_$]+[`"]?)\s*\.\s*)?([`"]?[A-Za-z0-9_$]+[`"]?)\s*\((.+)\)\s*;?\s*$)",
      std::regex::icase);
  std::smatch m;
  if (!std::regex_match(statement, m, create)) return std::nullopt;
  IndexStatement index;
  index.unique = m[1].matched;
  index.name = unquote(m[2]);
  index.table = unquote(m[5]);
  index.columns = m[6];
  return index;
}

std::vector<CopyReport> copy_tables(Connection& connection, const std::string& live_schema,
                                    const std::string& dev_schema, const std::vector<std::string>& tables,
                                    std::int64_t chunk_rows, const Progress& progress) {
  if (lower(live_schema) == lower(dev_schema))
    throw TryIndexRefused("the copy's schema must differ from the live schema " + live_schema);
  const std::string live = quote_identifier(live_schema), dev = quote_identifier(dev_schema);
  // Consistent reads of the live tables: InnoDB takes no locks on them at READ COMMITTED.
  connection.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
  connection.execute("SET SESSION autocommit = 1");
  connection.execute("CREATE DATABASE IF NOT EXISTS " + dev);
  connection.execute("CREATE TABLE IF NOT EXISTS " + dev + "." + quote_identifier(kCopyMarkerTable) +
                     " (table_name VARCHAR(192) PRIMARY KEY, source_schema VARCHAR(64) NOT NULL,"
                     " copied_rows BIGINT NOT NULL, copied_at DATETIME NOT NULL)");
  std::vector<CopyReport> reports;
  for (const auto& table : tables) {
    const auto start = Clock::now();
    CopyReport report;
    report.table = table;
    report.from = live_schema;
    const std::string source = live + "." + quote_identifier(table), target = dev + "." + quote_identifier(table);
    connection.execute("DROP TABLE IF EXISTS " + target);
    connection.execute("CREATE TABLE " + target + " LIKE " + source);
    const auto key = connection.query(
        "SELECT s.COLUMN_NAME, c.DATA_TYPE FROM information_schema.STATISTICS s JOIN information_schema.COLUMNS c"
        " ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME"
        " WHERE s.TABLE_SCHEMA = " + connection.quote(live_schema) + " AND s.TABLE_NAME = " + connection.quote(table) +
        " AND s.INDEX_NAME = 'PRIMARY' AND s.SEQ_IN_INDEX = 1");
    const bool integer_key =
        !key.rows.empty() && lower(key.rows[0][1].value_or("")).find("int") != std::string::npos;
    if (integer_key) {
      // Keyset chunks: each INSERT ... SELECT reads at most chunk_rows rows past the last copied key.
      const std::string column = quote_identifier(*key.rows[0][0]);
      std::string last;
      while (true) {
        connection.execute("INSERT INTO " + target + " SELECT * FROM " + source +
                           (last.empty() ? "" : " WHERE " + column + " > " + last) + " ORDER BY " + column +
                           " LIMIT " + std::to_string(chunk_rows));
        const std::uint64_t copied = connection.affected_rows();
        if (copied == 0) break;
        report.rows += copied;
        ++report.chunks;
        last = connection.query("SELECT MAX(" + column + ") FROM " + target).rows.at(0)[0].value_or("0");
        if (copied < static_cast<std::uint64_t>(chunk_rows)) break;
      }
    } else {
      connection.execute("INSERT INTO " + target + " SELECT * FROM " + source);
      report.rows = connection.affected_rows();
      report.chunks = 1;
    }
    connection.execute("REPLACE INTO " + dev + "." + quote_identifier(kCopyMarkerTable) + " VALUES (" +
                       connection.quote(table) + ", " + connection.quote(live_schema) + ", " +
                       std::to_string(report.rows) + ", NOW())");
    report.seconds = since(start);
    say(progress, "copied " + std::to_string(report.rows) + " rows of " + live_schema + "." + table + " into " +
                      dev_schema + " in " + std::to_string(report.chunks) + " chunks, " + fixed(report.seconds, 2) +
                      " s");
    reports.push_back(report);
  }
  return reports;
}

namespace {

// The marker table of a copy schema (both kinds of copy).
void make_marker(Connection& dev, const std::string& dev_schema) {
  const std::string dev_q = quote_identifier(dev_schema);
  dev.execute("CREATE DATABASE IF NOT EXISTS " + dev_q);
  dev.execute("CREATE TABLE IF NOT EXISTS " + dev_q + "." + quote_identifier(kCopyMarkerTable) +
              " (table_name VARCHAR(192) PRIMARY KEY, source_schema VARCHAR(64) NOT NULL,"
              " copied_rows BIGINT NOT NULL, copied_at DATETIME NOT NULL)");
}

// INSERT statements are sent when they reach this size (below max_allowed_packet's 16 MiB default).
constexpr std::size_t kInsertBytes = 4 << 20;

}  // namespace

std::vector<CopyReport> copy_tables_between(Connection& source, Connection& dev, const std::string& live_schema,
                                            const std::string& dev_schema, const std::vector<std::string>& tables,
                                            std::int64_t chunk_rows, const Progress& progress) {
  if (chunk_rows < 1) throw TryIndexRefused("chunk rows must be at least 1");
  // Reads only, each chunk its own consistent snapshot: InnoDB takes no locks at READ COMMITTED.
  source.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
  source.execute("SET SESSION autocommit = 1");
  source.execute("SET SESSION TRANSACTION READ ONLY");
  dev.execute("SET SESSION autocommit = 1");
  dev.execute("SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'");
  make_marker(dev, dev_schema);
  const std::string live = quote_identifier(live_schema), dev_q = quote_identifier(dev_schema);
  std::vector<CopyReport> reports;
  for (const auto& table : tables) {
    const auto start = Clock::now();
    CopyReport report;
    report.table = table;
    report.from = source.endpoint().describe() + " " + live_schema;
    const std::string from = live + "." + quote_identifier(table), target = dev_q + "." + quote_identifier(table);
    const auto ddl = source.query("SHOW CREATE TABLE " + from);
    if (ddl.rows.empty() || ddl.rows[0].size() < 2 || !ddl.rows[0][1])
      throw DbError(Failure::query, 0, "no definition of " + live_schema + "." + table);
    std::string create = *ddl.rows[0][1];
    const std::string head = "CREATE TABLE " + quote_identifier(table);
    if (create.compare(0, head.size(), head) != 0)
      throw DbError(Failure::query, 0, "unexpected definition of " + live_schema + "." + table);
    create = "CREATE TABLE " + target + create.substr(head.size());
    dev.execute("DROP TABLE IF EXISTS " + target);
    dev.execute(create);
    const auto key = source.query(
        "SELECT s.COLUMN_NAME, c.DATA_TYPE FROM information_schema.STATISTICS s JOIN information_schema.COLUMNS c"
        " ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME"
        " WHERE s.TABLE_SCHEMA = " + source.quote(live_schema) + " AND s.TABLE_NAME = " + source.quote(table) +
        " AND s.INDEX_NAME = 'PRIMARY' ORDER BY s.SEQ_IN_INDEX");
    const bool keyset = key.rows.size() == 1 && lower(key.rows[0][1].value_or("")).find("int") != std::string::npos;
    const std::string column = keyset ? quote_identifier(*key.rows[0][0]) : "";
    std::string last;
    while (true) {
      const auto rows = source.query("SELECT * FROM " + from + (keyset && !last.empty() ? " WHERE " + column + " > " + last : "") +
                                     (keyset ? " ORDER BY " + column + " LIMIT " + std::to_string(chunk_rows) : ""));
      if (rows.rows.empty()) break;
      std::size_t key_at = 0;
      if (keyset) key_at = rows.column(*key.rows[0][0]);
      std::string insert;
      auto flush = [&] {
        if (!insert.empty()) dev.execute(insert);
        insert.clear();
      };
      for (const auto& row : rows.rows) {
        insert += insert.empty() ? "INSERT INTO " + target + " VALUES (" : ",(";
        for (std::size_t i = 0; i < row.size(); ++i) {
          if (i) insert += ',';
          insert += row[i] ? dev.quote(*row[i]) : "NULL";
        }
        insert += ')';
        if (insert.size() >= kInsertBytes) flush();
      }
      flush();
      report.rows += rows.rows.size();
      ++report.chunks;
      if (!keyset || rows.rows.size() < static_cast<std::size_t>(chunk_rows)) break;
      last = rows.rows.back()[key_at].value_or("0");
    }
    dev.execute("REPLACE INTO " + dev_q + "." + quote_identifier(kCopyMarkerTable) + " VALUES (" + dev.quote(table) +
                ", " + dev.quote(live_schema) + ", " + std::to_string(report.rows) + ", NOW())");
    report.seconds = since(start);
    say(progress, "copied " + std::to_string(report.rows) + " rows of " + live_schema + "." + table + " from " +
                      source.endpoint().describe() + " into " + dev_schema + " on " + dev.endpoint().describe() +
                      " in " + std::to_string(report.chunks) + " chunks, " + fixed(report.seconds, 2) + " s");
    reports.push_back(report);
  }
  return reports;
}

TryIndexReport try_index(const TryIndexRequest& request, const Progress& progress) {
  TryIndexReport report;
  const auto index = parse_create_index(request.create_index);
  if (!index) throw TryIndexRefused("not a CREATE INDEX statement: " + request.create_index);
  if (!is_select(request.query)) throw TryIndexRefused("the query to measure must be a SELECT");
  if (request.runs < 1) throw TryIndexRefused("runs must be at least 1");
  report.index = *index;
  Endpoint dev_endpoint = request.dev;
  dev_endpoint.database.clear();
  Connection dev = Connection::open(dev_endpoint);
  report.target = dev_endpoint.describe() + " schema " + request.dev_schema;

  // Is the development server the live one?
  bool on_live = false;
  if (request.live) {
    try {
      Connection live = Connection::open(*request.live);
      on_live = server_identity(live) == server_identity(dev);
    } catch (const DbError&) {
      on_live = same_address(*request.live, request.dev);  // live unreachable: judged by address
    }
  }
  report.on_live_server = on_live;
  if (on_live && lower(request.dev_schema) == lower(request.live_schema))
    throw TryIndexRefused("refusing to touch the live accounting database " + request.live_schema + " on " +
                          request.dev.describe() + ": give a development schema (a copy: --copy TABLE)");
  if (on_live && names_schema(request.query, request.live_schema))
    throw TryIndexRefused("the query names the live schema " + request.live_schema +
                          " explicitly; give it unqualified so that it runs on the copy");
  if (!request.copy_tables.empty()) {
    if (on_live) {
      report.copies = copy_tables(dev, request.live_schema, request.dev_schema, request.copy_tables,
                                  request.copy_chunk_rows, progress);
    } else {
      if (!request.live && !request.copy_source)
        throw TryIndexRefused("--copy needs the live server to copy from (accounting_db host/port or --host/--port)");
      Endpoint source_endpoint = request.copy_source ? *request.copy_source : *request.live;
      if (!request.copy_source) {  // the live address, the development account
        source_endpoint.user = request.dev.user;
        source_endpoint.password_file = request.dev.password_file;
      }
      source_endpoint.database.clear();
      Connection source = Connection::open(source_endpoint);
      if (server_identity(source) == server_identity(dev))
        throw TryIndexRefused("the copy source and the development server are the same server");
      report.copies = copy_tables_between(source, dev, request.live_schema, request.dev_schema, request.copy_tables,
                                          request.copy_chunk_rows, progress);
    }
  }
  if (on_live && !marker_lists(dev, request.dev_schema, index->table))
    throw TryIndexRefused("schema " + request.dev_schema + " on the live server has no copy of " + index->table +
                          " made by hpcmon db try-index (run with --copy " + index->table + ")");
  if (index_exists(dev, request.dev_schema, index->table, index->name))
    throw TryIndexRefused("index " + index->name + " already exists on " + request.dev_schema + "." + index->table);

  dev.execute("USE " + quote_identifier(request.dev_schema));
  dev.execute("SET SESSION sql_mode = 'ANSI_QUOTES,NO_ENGINE_SUBSTITUTION'");  // as slurmdbd writes its SQL
  say(progress, "measuring before: " + std::to_string(request.runs) + " runs");
  report.before = measure(dev, request.query, request.runs);

  // Built from the parsed parts, always qualified with the development schema.
  report.executed_index_statement = std::string("CREATE ") + (index->unique ? "UNIQUE " : "") + "INDEX " +
                                    quote_identifier(index->name) + " ON " + quote_identifier(request.dev_schema) +
                                    "." + quote_identifier(index->table) + " (" + index->columns + ")";
  const auto start = Clock::now();
  dev.execute(report.executed_index_statement);
  report.create_s = since(start);
  say(progress, "index created in " + fixed(report.create_s, 2) + " s; measuring after");
  try {
    report.after = measure(dev, request.query, request.runs);
  } catch (...) {
    if (!request.keep_index)
      dev.execute("DROP INDEX " + quote_identifier(index->name) + " ON " + quote_identifier(request.dev_schema) +
                  "." + quote_identifier(index->table));
    throw;
  }
  if (!request.keep_index)
    dev.execute("DROP INDEX " + quote_identifier(index->name) + " ON " + quote_identifier(request.dev_schema) + "." +
                quote_identifier(index->table));
  report.index_kept = request.keep_index;
  report.gain = report.after.median_s > 0 ? report.before.median_s / report.after.median_s : 0;
  return report;
}

namespace {

nlohmann::json to_json(const Timing& t) {
  nlohmann::json explain = nlohmann::json::array();
  for (const auto& e : t.explain)
    explain.push_back({{"table", e.table}, {"type", e.type}, {"key", e.key}, {"rows", e.rows}, {"extra", e.extra}});
  return {{"median_s", t.median_s}, {"runs_s", t.runs_s}, {"rows_returned", t.rows_returned}, {"explain", explain}};
}

std::string explain_text(const Timing& t) {
  std::string out;
  for (const auto& e : t.explain)
    out += "\n    " + e.table + ": " + e.type + ", key " + (e.key.empty() ? "none" : e.key) + ", ~" +
           std::to_string(e.rows) + " rows" + (e.extra.empty() ? "" : " (" + e.extra + ")");
  return out;
}

}  // namespace

nlohmann::json to_json(const TryIndexReport& r) {
  nlohmann::json copies = nlohmann::json::array();
  for (const auto& c : r.copies)
    copies.push_back({{"table", c.table},
                      {"from", c.from},
                      {"rows", c.rows},
                      {"chunks", c.chunks},
                      {"seconds", c.seconds},
                      {"rows_per_s", c.seconds > 0 ? static_cast<double>(c.rows) / c.seconds : 0.0}});
  return {{"target", r.target},
          {"on_live_server", r.on_live_server},
          {"copies", copies},
          {"index", {{"name", r.index.name}, {"table", r.index.table}, {"columns", r.index.columns},
                     {"unique", r.index.unique}}},
          {"executed", r.executed_index_statement},
          {"create_s", r.create_s},
          {"before", to_json(r.before)},
          {"after", to_json(r.after)},
          {"gain", r.gain},
          {"index_kept", r.index_kept}};
}

std::string to_text(const TryIndexReport& r) {
  std::string out = "try-index on " + r.target + (r.on_live_server ? " (a copy on the live server)" : "") + "\n";
  for (const auto& c : r.copies)
    out += "  copied " + c.table + " from " + c.from + ": " + std::to_string(c.rows) + " rows in " + fixed(c.seconds, 2) + " s (" +
           fixed(c.seconds > 0 ? static_cast<double>(c.rows) / c.seconds : 0, 0) + " rows/s)\n";
  out += "  index: " + r.executed_index_statement + " (" + fixed(r.create_s, 2) + " s)\n";
  out += "  before: median " + fixed(r.before.median_s * 1000, 2) + " ms of " + std::to_string(r.before.runs_s.size()) +
         " runs, " + std::to_string(r.before.rows_returned) + " rows" + explain_text(r.before) + "\n";
  out += "  after:  median " + fixed(r.after.median_s * 1000, 2) + " ms of " + std::to_string(r.after.runs_s.size()) +
         " runs, " + std::to_string(r.after.rows_returned) + " rows" + explain_text(r.after) + "\n";
  out += "  gain: " + fixed(r.gain, 1) + "x" + (r.index_kept ? " (index kept in the copy)" : " (index dropped again)") +
         "\n";
  out += "  note: slurmdbd drops indexes it does not define at its next start; propose the index upstream or keep it "
         "for a reporting replica.\n";
  return out;
}

}  // namespace hpcmon::dbhealth
