// hpcmon dbhealth: the accounting database's health from what MariaDB writes (hpcmon_dbhealth).
// What it is: slow-log follower and parser, fingerprints of Slurm's SQL, latency sketches,
// query patterns with evidence, CREATE INDEX suggestions (docs/accounting-db.md).
// Owns: the slow-log position file and the analysis in memory.
// Never: connect to a database (dbhealth/mariadb, its own target, does), alter a table, read a
// slow-log byte twice, or drop what it has ingested when the log rotates or shrinks.
// Talks to: the head daemon (hpcmond/head: db_slowlog_collector, /api/v1/db).
#pragma once

#include "hpcmon/dbhealth/analyzer.hpp"
#include "hpcmon/dbhealth/fingerprint.hpp"
#include "hpcmon/dbhealth/latency_sketch.hpp"
#include "hpcmon/dbhealth/patterns.hpp"
#include "hpcmon/dbhealth/slow_log.hpp"
#include "hpcmon/dbhealth/slow_log_follower.hpp"
#include "hpcmon/dbhealth/sql_predicates.hpp"
