// Live tables of a step's ranks (live_ranks.hpp).
#include "hpcmon/agent/live_ranks.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "hpcmon/safe_dirs.hpp"

namespace hpcmon::agent {
namespace {

bool is_live_name(const std::string& n) {
  return n.size() > 9 && n.compare(0, 4, "mpi-") == 0 && n.compare(n.size() - 5, 5, ".live") == 0;
}

// Names in an open directory, listed through a duplicate of its descriptor.
std::vector<std::string> live_names(int dir_fd) {
  std::vector<std::string> out;
  const int listing = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = listing >= 0 ? ::fdopendir(listing) : nullptr;
  if (!d) {
    if (listing >= 0) ::close(listing);
    return out;
  }
  while (dirent* e = ::readdir(d))
    if (is_live_name(e->d_name)) out.emplace_back(e->d_name);
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

LiveRead read_step_live_tables(const std::string& run_dir, uid_t uid, const std::string& job_key,
                               const std::string& step) {
  LiveRead out;
  const std::size_t slash = run_dir.find_last_of('/');
  if (run_dir.empty() || run_dir[0] != '/' || slash == std::string::npos || slash + 1 >= run_dir.size()) {
    out.error = run_dir + ": not an absolute folder path";
    return out;
  }
  std::string why;
  safe::Fd parent = safe::open_trusted_dir(slash == 0 ? "/" : run_dir.substr(0, slash), false, &why);
  if (!parent.ok()) {
    out.error = why;
    return out;
  }
  const std::string name = run_dir.substr(slash + 1);
  safe::Fd dir(::openat(parent.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  if (!dir.ok() || ::fstat(dir.get(), &st) != 0) {
    out.error = run_dir + ": " + std::strerror(errno);
    return out;
  }
  if (st.st_uid != uid) {
    out.error = run_dir + ": owned by uid " + std::to_string(st.st_uid) + ", not the job's " + std::to_string(uid);
    return out;
  }
  std::map<int, live::Snapshot> by_rank;
  live::ReadOptions options;
  options.expected_owner = uid;
  for (const std::string& file : live_names(dir.get())) {
    try {
      live::Snapshot s = live::read_live_table_at(dir.get(), file, options);
      if (s.job_key != job_key || s.step != step || s.rank < 0) continue;
      auto it = by_rank.find(s.rank);
      if (it == by_rank.end() || s.start_ns >= it->second.start_ns) by_rank[s.rank] = std::move(s);
    } catch (const std::exception& e) {
      if (out.errors++ == 0) out.error = e.what();
    }
  }
  for (auto& [rank, s] : by_rank) out.ranks.push_back(std::move(s));
  return out;
}

std::size_t add_killed_ranks(record::JobRecord& rec, const std::vector<live::Snapshot>& ranks, std::int64_t dead_by_ns) {
  std::size_t added = 0;
  for (const live::Snapshot& s : ranks) {
    if (s.state == live::State::finalized) continue;
    ++added;
    rec.job.rank_count = std::max<std::uint32_t>(rec.job.rank_count, static_cast<std::uint32_t>(s.world_size));
    record::RankRow row;
    row.rank = s.rank;
    row.node = s.node;
    row.pid = s.pid;
    const std::int64_t end_ns = s.end_ns ? s.end_ns : s.updated_ns;
    row.wall_s = end_ns > s.start_ns ? static_cast<double>(end_ns - s.start_ns) * 1e-9 : 0;
    row.mpi_s = s.mpi_s;
    if (!s.series.empty()) {
      row.user_cpu_s = s.series.back().user_cpu_s;
      row.sys_cpu_s = s.series.back().sys_cpu_s;
      for (const auto& p : s.series) row.rss_hwm_bytes = std::max(row.rss_hwm_bytes, p.rss_bytes);
    }
    row.counters.assign(rec.counter_names.size(), 0.0);
    rec.ranks.push_back(row);
    rec.mpi_table_overflows += s.overflows;
    for (const auto& f : s.functions) {
      record::MpiFunctionRow m;
      m.rank = s.rank;
      m.function = f.name;
      m.calls = f.calls;
      m.bytes = f.bytes;
      m.errors = f.errors;
      m.total_s = f.total_s;
      m.min_s = f.min_s;
      m.max_s = f.max_s;
      for (std::size_t b = 0; b < f.size_hist.size() && b < m.size_hist.size(); ++b) m.size_hist[b] = f.size_hist[b];
      rec.mpi.push_back(m);
    }
    for (const auto& t : s.traffic) rec.traffic.push_back({s.rank, t.world, t.peer, t.messages, t.bytes});
    if (s.series.empty()) continue;
    // The tables count every call up to the kill; the sampler's last point may be an interval
    // older. A dead process calls nothing more: its totals hold at the time it was known dead.
    std::vector<live::SamplePoint> points = s.series;
    if (dead_by_ns > points.back().t_ns && s.total_calls > points.back().mpi_calls) {
      live::SamplePoint last = points.back();
      last.t_ns = dead_by_ns;
      last.mpi_calls = s.total_calls;
      last.mpi_s = s.mpi_s;
      points.push_back(last);
    }
    const std::string owner = std::to_string(s.rank);
    auto add = [&](const std::string& metric, const char* unit, auto value) {
      record::Series series;
      series.owner_kind = "rank";
      series.owner = owner;
      series.metric = metric;
      series.unit = unit;
      series.source = "live";
      for (const auto& p : points) {
        series.t_ns.push_back(p.t_ns);
        series.values.push_back(value(p));
      }
      rec.series.push_back(std::move(series));
    };
    add("rss", "B", [](const live::SamplePoint& p) { return static_cast<double>(p.rss_bytes); });
    add("mpi_calls", "1", [](const live::SamplePoint& p) { return static_cast<double>(p.mpi_calls); });
    add("mpi_time", "s", [](const live::SamplePoint& p) { return p.mpi_s; });
    add("cpu_user", "s", [](const live::SamplePoint& p) { return p.user_cpu_s; });
    add("cpu_sys", "s", [](const live::SamplePoint& p) { return p.sys_cpu_s; });
    for (std::size_t c = 0; c < s.counter_names.size(); ++c)
      add(s.counter_names[c], "1", [c](const live::SamplePoint& p) { return c < p.counters.size() ? p.counters[c] : 0.0; });
  }
  return added;
}

nlohmann::json live_rank_tables(const std::vector<live::Snapshot>& ranks, std::size_t max_ranks) {
  using nlohmann::json;
  json out = json::array();
  for (const auto& s : ranks) {
    if (out.size() >= max_ranks) break;
    json functions = json::array();
    for (const auto& f : s.functions) {
      json hist = json::array();
      for (std::size_t b = 0; b < f.size_hist.size(); ++b)
        if (f.size_hist[b]) hist.push_back({b, f.size_hist[b]});
      functions.push_back({{"name", f.name}, {"calls", f.calls}, {"bytes", f.bytes}, {"errors", f.errors},
                           {"total_s", f.total_s}, {"min_s", f.min_s}, {"max_s", f.max_s}, {"size_hist", hist}});
    }
    json traffic = json::array();
    for (const auto& t : s.traffic) traffic.push_back({t.world, t.peer, t.messages, t.bytes});
    json row = {{"rank", s.rank}, {"node", s.node}, {"state", live::state_name(s.state)},
                {"world_size", s.world_size}, {"start_ns", s.start_ns}, {"updated_ns", s.updated_ns},
                {"end_ns", s.end_ns}, {"mpi_s", s.mpi_s}, {"functions", functions}, {"traffic", traffic}};
    if (!s.series.empty()) {
      row["user_cpu_s"] = s.series.back().user_cpu_s;
      row["sys_cpu_s"] = s.series.back().sys_cpu_s;
      row["rss_bytes"] = s.series.back().rss_bytes;
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace hpcmon::agent
