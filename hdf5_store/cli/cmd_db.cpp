// `hpcmon db try-index`: measures a suggested index on a DEVELOPMENT copy of the accounting
// database (dbhealth/mariadb/try_index.hpp, docs/accounting-db.md "try-index"). Endpoints come
// from the accounting_db section of the config (--config), flags override them. It never
// alters slurmdbd's live tables: on the live server it works only in a copy it made (--copy).
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "hpcmon/config.hpp"
#include "hpcmon/dbhealth/try_index.hpp"
#include "text_escape.hpp"

namespace hpcmon::cli {
namespace {

inline constexpr int kExitDatabase = 7;  // a server could not be reached or a statement failed
inline constexpr int kExitRefused = 8;   // a safety rule refused: nothing was changed

struct EndpointFlags {
  std::string host, socket, user, password_file;
  int port = 0;
};

struct TryIndexOptions {
  std::string config_file;
  EndpointFlags live, dev;
  std::string database, dev_schema;
  std::string index, query, query_file;
  std::vector<std::string> copy;
  std::int64_t chunk_rows = 10000;
  int runs = 5;
  bool keep_index = false;
  bool json = false;
};

dbhealth::Endpoint endpoint(std::string host, std::int64_t port, std::string socket, std::string user,
                            std::string password_file, const EndpointFlags& flags) {
  dbhealth::Endpoint e;
  e.host = flags.host.empty() ? host : flags.host;
  e.port = flags.port ? flags.port : static_cast<int>(port);
  e.socket = flags.socket.empty() ? socket : flags.socket;
  if (!flags.host.empty() || flags.port) e.socket = flags.socket;  // an address given on the command line wins
  e.user = flags.user.empty() ? user : flags.user;
  e.password_file = flags.password_file.empty() ? password_file : flags.password_file;
  e.read_timeout_s = 3600;  // a full scan of a big table may take minutes
  return e;
}

int run_try_index(const TryIndexOptions& options) {
  const config::Config config = options.config_file.empty() ? config::defaults() : config::load_file(options.config_file);
  const auto& db = config.accounting_db;
  dbhealth::TryIndexRequest request;
  request.live = endpoint(db.host, db.port, db.socket, db.user, db.password_file, options.live);
  request.live_schema = options.database.empty() ? db.database : options.database;
  request.dev = endpoint(db.dev_host, db.dev_port, db.dev_socket, db.dev_user, db.dev_password_file, options.dev);
  request.dev_schema = options.dev_schema.empty() ? db.dev_schema : options.dev_schema;
  request.copy_tables = options.copy;
  request.copy_chunk_rows = options.chunk_rows;
  request.create_index = options.index;
  request.query = options.query;
  if (!options.query_file.empty()) {
    std::ifstream in(options.query_file);
    if (!in) return std::cerr << "hpcmon: cannot read " << options.query_file << "\n", kExitUnreadable;
    std::stringstream text;
    text << in.rdbuf();
    request.query = text.str();
  }
  while (!request.query.empty() && (request.query.back() == '\n' || request.query.back() == ';' ||
                                    request.query.back() == ' '))
    request.query.pop_back();
  if (request.query.empty()) return std::cerr << "hpcmon: give the query with --query or --query-file\n", kExitUsage;
  request.runs = options.runs;
  request.keep_index = options.keep_index;
  try {
    const auto report = dbhealth::try_index(request, [&](const std::string& line) {
      if (!options.json) std::cerr << "hpcmon: " << escape_terminal(line) << "\n";
    });
    if (options.json) {
      std::cout << dbhealth::to_json(report).dump(2) << "\n";  // dump() escapes control characters
    } else {
      std::istringstream text(dbhealth::to_text(report));
      for (std::string line; std::getline(text, line);) std::cout << escape_terminal(line) << "\n";
    }
    return kExitOk;
  } catch (const dbhealth::TryIndexRefused& refused) {
    std::cerr << "hpcmon: try-index refused: " << escape_terminal(refused.what()) << "\n";
    return kExitRefused;
  } catch (const dbhealth::DbError& error) {
    std::cerr << "hpcmon: " << escape_terminal(error.what()) << "\n";
    return kExitDatabase;
  }
}

void add_endpoint_flags(CLI::App* cmd, const std::string& prefix, EndpointFlags& flags, const std::string& what) {
  cmd->add_option("--" + prefix + "host", flags.host, what + " server host (default: config)");
  cmd->add_option("--" + prefix + "port", flags.port, what + " server TCP port (default: config)");
  cmd->add_option("--" + prefix + "socket", flags.socket, what + " server unix socket (default: config)");
  cmd->add_option("--" + prefix + "user", flags.user, what + " account (default: config)");
  cmd->add_option("--" + prefix + "password-file", flags.password_file,
                  what + " account's password file, mode 0600 (default: config)");
}

}  // namespace

void add_db(CLI::App& app, Action& run) {
  auto* db = app.add_subcommand("db", "accounting database tools (docs/accounting-db.md)");
  db->require_subcommand(1);
  auto options = std::make_shared<TryIndexOptions>();
  auto* cmd = db->add_subcommand(
      "try-index",
      "apply a suggested CREATE INDEX on a development copy and measure the query before and after; "
      "never on slurmdbd's live tables. Exit 7: database error, 8: refused (nothing changed)");
  cmd->add_option("--config", options->config_file, "hpcmon config whose accounting_db section names the servers");
  cmd->add_option("--index", options->index, "the suggested statement: CREATE INDEX name ON table (columns)")->required();
  auto* query = cmd->add_option("--query", options->query, "the offending SELECT, as logged");
  cmd->add_option("--query-file", options->query_file, "read the SELECT from this file")->excludes(query);
  cmd->add_option("--copy", options->copy,
                  "copy these tables of the live schema into the development schema first (on the live server, "
                  "or from it into another development server)")
      ->delimiter(',');
  cmd->add_option("--chunk-rows", options->chunk_rows, "rows per copy chunk (default 10000)")->check(CLI::Range(1, 100000000));
  cmd->add_option("--runs", options->runs, "timed runs before and after (median; default 5)")->check(CLI::Range(1, 1000));
  cmd->add_flag("--keep-index", options->keep_index, "leave the index in the copy (default: dropped again)");
  cmd->add_flag("--json", options->json, "the report as JSON");
  add_endpoint_flags(cmd, "", options->live, "live (to recognise it)");
  cmd->add_option("--database", options->database, "slurmdbd's live schema (default: config, slurm_acct_db)");
  add_endpoint_flags(cmd, "dev-", options->dev, "development");
  cmd->add_option("--dev-schema", options->dev_schema, "the development schema (default: config)");
  cmd->callback([options, &run] { run = [options] { return run_try_index(*options); }; });
}

}  // namespace hpcmon::cli
