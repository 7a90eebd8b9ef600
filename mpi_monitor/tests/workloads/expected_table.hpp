// Expected-traffic tables of the known-traffic MPI workloads (<workload>.expected).
//
// What it is: the parser of the hand-derived tables that sit next to each workload program,
// and the comparison of a table with a record read back from disk. It owns the table syntax
// (below); it never computes expectations itself: every number comes from the table file.
//
// Syntax, one statement per line, '#' starts a comment:
//   ranks N                          the workload runs with N ranks
//   fn RANKS FUNCTION CALLS BYTES [hist=BIN:COUNT,...]
//                                    RANKS: all | even | odd | comma list (0,2)
//                                    CALLS: N, or A..B when the count depends on timing
//                                    hist: the non-empty bins of the 40-bin size histogram
//   tr SRC DST MESSAGES BYTES        messages and bytes sent by world rank SRC to world rank DST
//   threads                          several threads are inside MPI at once (mpi_s may exceed wall_s)
//   other-calls                      rows not listed are allowed if they count 0 bytes (for
//                                    runtimes such as mpi4py that make calls of their own)
// Every (rank, function) with calls in the record must have an fn line and every traffic
// entry a tr line: the tables are exact, not lower bounds. Whatever the table says, every
// row must also satisfy the record's invariants: sum(size_hist) == calls, polling calls and
// MPI_Finalize untimed, min <= max <= total, and each rank's mpi_s = the sum of its timed calls.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "hpcmon/record.hpp"

namespace hpcmon::workloads {

struct ExpectedFunction {
  std::uint64_t calls_min = 0, calls_max = 0;
  std::uint64_t bytes = 0;
  bool has_hist = false;
  std::map<int, std::uint64_t> hist;  // bin -> count; bins not listed must be 0
  int line = 0;                       // where it was written, for messages
};

struct ExpectedTraffic {
  std::uint64_t messages = 0, bytes = 0;
  int line = 0;
};

struct ExpectedTable {
  int ranks = 0;
  bool concurrent_threads = false;
  bool other_calls = false;
  std::map<std::pair<int, std::string>, ExpectedFunction> functions;  // (rank, function)
  std::map<std::pair<int, int>, ExpectedTraffic> traffic;             // (src, dst)
};

// Parses a table file; throws std::runtime_error naming the file and line on any error.
ExpectedTable parse_expected_table(const std::string& path);

// Compares a record's MPI part with the table; returns one line per mismatch (empty = equal).
std::vector<std::string> compare_with_record(const ExpectedTable& table,
                                             const record::JobRecord& rec);

}  // namespace hpcmon::workloads
