#include "expected_table.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace hpcmon::workloads {
namespace {

[[noreturn]] void fail(const std::string& path, int line, const std::string& what) {
  throw std::runtime_error(path + ":" + std::to_string(line) + ": " + what);
}

std::uint64_t to_u64(const std::string& text, const std::string& path, int line) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    fail(path, line, "not a number: '" + text + "'");
  return value;
}

std::vector<int> parse_ranks(const std::string& text, int ranks, const std::string& path,
                             int line) {
  if (ranks <= 0) fail(path, line, "'ranks N' must come first");
  std::vector<int> out;
  if (text == "all" || text == "even" || text == "odd") {
    for (int r = 0; r < ranks; ++r)
      if (text == "all" || (text == "even") == (r % 2 == 0)) out.push_back(r);
    return out;
  }
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) {
    const auto r = static_cast<int>(to_u64(item, path, line));
    if (r >= ranks) fail(path, line, "rank " + item + " out of range");
    out.push_back(r);
  }
  return out;
}

ExpectedFunction parse_function(std::istringstream& in, const std::string& path, int line) {
  std::string calls, bytes, extra;
  if (!(in >> calls >> bytes)) fail(path, line, "fn needs RANKS FUNCTION CALLS BYTES");
  ExpectedFunction f;
  f.line = line;
  if (const auto dots = calls.find(".."); dots != std::string::npos) {
    f.calls_min = to_u64(calls.substr(0, dots), path, line);
    f.calls_max = to_u64(calls.substr(dots + 2), path, line);
  } else {
    f.calls_min = f.calls_max = to_u64(calls, path, line);
  }
  f.bytes = to_u64(bytes, path, line);
  while (in >> extra) {
    if (extra.rfind("hist=", 0) != 0) fail(path, line, "unknown field '" + extra + "'");
    f.has_hist = true;
    std::stringstream bins(extra.substr(5));
    for (std::string bin; std::getline(bins, bin, ',');) {
      const auto colon = bin.find(':');
      if (colon == std::string::npos) fail(path, line, "hist entries are BIN:COUNT");
      const auto index = static_cast<int>(to_u64(bin.substr(0, colon), path, line));
      if (index >= record::kSizeBins) fail(path, line, "hist bin out of range");
      f.hist[index] = to_u64(bin.substr(colon + 1), path, line);
    }
  }
  return f;
}

// Polling calls are counted, not timed; MPI_Finalize counts time 0 (the tool works inside it).
bool untimed(const std::string& function) {
  static const std::set<std::string> names = {
      "MPI_Test", "MPI_Testany", "MPI_Testall", "MPI_Testsome", "MPI_Iprobe", "MPI_Improbe",
      "MPI_Request_get_status", "MPI_Test_cancelled", "MPI_Finalize"};
  return names.contains(function);
}

// What holds for every row whatever the program did (docs/byte-accounting.md).
std::vector<std::string> check_row_invariants(const record::MpiFunctionRow& row) {
  std::vector<std::string> errors;
  std::uint64_t binned = 0;
  for (auto n : row.size_hist) binned += n;
  if (binned != row.calls)
    errors.push_back("size_hist sums to " + std::to_string(binned) + ", calls " + std::to_string(row.calls));
  const std::string times = "min " + std::to_string(row.min_s) + " max " + std::to_string(row.max_s) +
                            " total " + std::to_string(row.total_s);
  if (untimed(row.function)) {
    if (row.total_s != 0 || row.min_s != 0 || row.max_s != 0) errors.push_back("untimed call has times " + times);
  } else if (row.calls > 0 &&
             !(row.min_s > 0 && row.min_s <= row.max_s && row.max_s <= row.total_s * (1 + 1e-9) &&
               row.total_s <= row.max_s * static_cast<double>(row.calls) * (1 + 1e-9) &&
               row.total_s >= row.min_s * static_cast<double>(row.calls) * (1 - 1e-9))) {
    errors.push_back("inconsistent times " + times + " for " + std::to_string(row.calls) + " calls");
  }
  return errors;
}

// mpi_s of each rank is the sum of its timed calls (MPI_Init excluded) and, unless several
// threads were inside MPI at once, fits in wall_s.
std::vector<std::string> check_rank_times(const record::JobRecord& rec, bool concurrent_threads) {
  std::vector<std::string> errors;
  std::map<int, double> timed;
  for (const auto& row : rec.mpi)
    if (row.function != "MPI_Init" && row.function != "MPI_Init_thread") timed[row.rank] += row.total_s;
  for (const auto& r : rec.ranks) {
    const std::string at = "rank " + std::to_string(r.rank) + ": ";
    if (std::abs(r.mpi_s - timed[r.rank]) > 1e-9 + 1e-6 * r.mpi_s)
      errors.push_back(at + "mpi_s " + std::to_string(r.mpi_s) + " but its calls sum to " +
                       std::to_string(timed[r.rank]));
    if (!(r.wall_s > 0 && (concurrent_threads || r.mpi_s <= r.wall_s)))
      errors.push_back(at + "mpi_s " + std::to_string(r.mpi_s) + " wall_s " + std::to_string(r.wall_s));
  }
  return errors;
}

}  // namespace

ExpectedTable parse_expected_table(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error(path + ": cannot open");
  ExpectedTable table;
  int line_no = 0;
  for (std::string line; std::getline(file, line);) {
    ++line_no;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream in(line);
    std::string word;
    if (!(in >> word)) continue;
    if (word == "ranks") {
      std::string n;
      in >> n;
      table.ranks = static_cast<int>(to_u64(n, path, line_no));
    } else if (word == "threads") {
      table.concurrent_threads = true;
    } else if (word == "other-calls") {
      table.other_calls = true;
    } else if (word == "fn") {
      std::string ranks, function;
      if (!(in >> ranks >> function)) fail(path, line_no, "fn needs RANKS FUNCTION CALLS BYTES");
      const ExpectedFunction f = parse_function(in, path, line_no);
      for (int r : parse_ranks(ranks, table.ranks, path, line_no))
        if (!table.functions.emplace(std::pair{r, function}, f).second)
          fail(path, line_no, function + " of rank " + std::to_string(r) + " given twice");
    } else if (word == "tr") {
      std::string src, dst, messages, bytes;
      if (!(in >> src >> dst >> messages >> bytes)) fail(path, line_no, "tr needs SRC DST MESSAGES BYTES");
      const auto s = static_cast<int>(to_u64(src, path, line_no));
      const auto d = static_cast<int>(to_u64(dst, path, line_no));
      const ExpectedTraffic t{to_u64(messages, path, line_no), to_u64(bytes, path, line_no), line_no};
      if (!table.traffic.emplace(std::pair{s, d}, t).second)
        fail(path, line_no, "traffic " + src + " -> " + dst + " given twice");
    } else {
      fail(path, line_no, "unknown statement '" + word + "'");
    }
  }
  if (table.ranks <= 0) throw std::runtime_error(path + ": no 'ranks N' line");
  return table;
}

std::vector<std::string> compare_with_record(const ExpectedTable& table,
                                             const record::JobRecord& rec) {
  std::vector<std::string> errors;
  auto where = [](int rank, const std::string& function) {
    return "rank " + std::to_string(rank) + " " + function + ": ";
  };

  std::map<std::pair<int, std::string>, const record::MpiFunctionRow*> rows;
  for (const auto& row : rec.mpi) {
    if (!rows.emplace(std::pair{row.rank, row.function}, &row).second)
      errors.push_back(where(row.rank, row.function) + "two rows in the record");
  }

  for (const auto& [key, want] : table.functions) {
    const auto& [rank, function] = key;
    const std::string at = where(rank, function) + "(table line " + std::to_string(want.line) + ") ";
    const auto found = rows.find(key);
    if (found == rows.end()) {
      if (want.calls_min > 0) errors.push_back(at + "no row in the record");
      continue;
    }
    const record::MpiFunctionRow& got = *found->second;
    if (got.calls < want.calls_min || got.calls > want.calls_max) {
      errors.push_back(at + "calls " + std::to_string(got.calls) + ", expected " +
                       std::to_string(want.calls_min) +
                       (want.calls_max != want.calls_min ? ".." + std::to_string(want.calls_max) : ""));
    }
    if (got.bytes != want.bytes)
      errors.push_back(at + "bytes " + std::to_string(got.bytes) + ", expected " + std::to_string(want.bytes));
    if (got.errors != 0) errors.push_back(at + std::to_string(got.errors) + " error returns");
    if (want.has_hist) {
      for (int bin = 0; bin < record::kSizeBins; ++bin) {
        const auto it = want.hist.find(bin);
        const std::uint64_t expected = it == want.hist.end() ? 0 : it->second;
        if (got.size_hist[static_cast<std::size_t>(bin)] != expected)
          errors.push_back(at + "size_hist[" + std::to_string(bin) + "] " +
                           std::to_string(got.size_hist[static_cast<std::size_t>(bin)]) +
                           ", expected " + std::to_string(expected));
      }
    }
  }
  for (const auto& [key, row] : rows) {
    if (row->calls > 0 && !table.functions.contains(key) && (!table.other_calls || row->bytes != 0))
      errors.push_back(where(key.first, key.second) + std::to_string(row->calls) + " calls, " +
                       std::to_string(row->bytes) + " bytes, not in the table");
    for (auto& e : check_row_invariants(*row)) errors.push_back(where(key.first, key.second) + e);
  }
  for (auto& e : check_rank_times(rec, table.concurrent_threads)) errors.push_back(std::move(e));

  std::set<std::pair<int, int>> seen;
  for (const auto& t : rec.traffic) {
    const std::string at = "traffic " + std::to_string(t.src) + " -> " + std::to_string(t.dst) + ": ";
    if (t.dst_world != 0) {
      errors.push_back(at + "dst_world " + std::to_string(t.dst_world) + ", expected 0");
      continue;
    }
    if (t.messages == 0 && t.bytes == 0) continue;  // dense storage keeps empty cells
    if (!seen.insert({t.src, t.dst}).second) errors.push_back(at + "two rows in the record");
    const auto want = table.traffic.find({t.src, t.dst});
    if (want == table.traffic.end()) {
      errors.push_back(at + std::to_string(t.messages) + " messages " + std::to_string(t.bytes) +
                       " bytes, not in the table");
      continue;
    }
    if (t.messages != want->second.messages || t.bytes != want->second.bytes)
      errors.push_back(at + std::to_string(t.messages) + " messages " + std::to_string(t.bytes) +
                       " bytes, expected " + std::to_string(want->second.messages) + " messages " +
                       std::to_string(want->second.bytes) + " bytes (table line " +
                       std::to_string(want->second.line) + ")");
  }
  for (const auto& [key, want] : table.traffic)
    if (!seen.contains(key) && (want.messages > 0 || want.bytes > 0))
      errors.push_back("traffic " + std::to_string(key.first) + " -> " + std::to_string(key.second) +
                       ": missing from the record (table line " + std::to_string(want.line) + ")");
  return errors;
}

}  // namespace hpcmon::workloads
