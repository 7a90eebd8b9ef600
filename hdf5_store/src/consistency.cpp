// Consistency checks behind `hpcmon validate` (docs/job-record.md, "Validation").
#include <set>
#include <tuple>

#include "hpcmon/store.hpp"

namespace hpcmon::store {

std::vector<std::string> check_consistency(const record::JobRecord& rec) {
  std::vector<std::string> problems;
  const auto& j = rec.job;
  if (j.end_ns != 0 && j.end_ns < j.start_ns) problems.push_back("end_ns is before start_ns");
  std::set<std::int32_t> ranks;
  for (const auto& r : rec.ranks) {
    if (!ranks.insert(r.rank).second) problems.push_back("rank " + std::to_string(r.rank) + " appears twice");
    if (r.rank < 0 || (j.rank_count > 0 && r.rank >= static_cast<std::int64_t>(j.rank_count)))
      problems.push_back("rank " + std::to_string(r.rank) + " is outside 0.." + std::to_string(j.rank_count));
    if (r.counters.size() != rec.counter_names.size())
      problems.push_back("rank " + std::to_string(r.rank) + " has a different number of counters than names");
  }
  if (!j.partial && rec.has_mpi && ranks.size() < j.rank_count)
    problems.push_back("ranks are missing but the record is not marked partial");
  std::set<std::pair<std::int32_t, std::string>> calls;
  for (const auto& m : rec.mpi) {
    if (!calls.insert({m.rank, m.function}).second)
      problems.push_back("MPI row (" + std::to_string(m.rank) + ", " + m.function + ") appears twice");
    if (!ranks.empty() && !ranks.count(m.rank))
      problems.push_back("MPI row names rank " + std::to_string(m.rank) + ", which has no rank row");
    if (m.calls > 0 && m.min_s > m.max_s) problems.push_back("MPI row " + m.function + " has min_s > max_s");
  }
  std::set<std::tuple<std::int32_t, std::uint32_t, std::int32_t>> links;
  for (const auto& t : rec.traffic) {
    if (!links.insert({t.src, t.dst_world, t.dst}).second)
      problems.push_back("traffic " + std::to_string(t.src) + "->" + std::to_string(t.dst) + " appears twice");
    if (j.rank_count > 0 && (t.src < 0 || t.src >= static_cast<std::int64_t>(j.rank_count)))
      problems.push_back("traffic from rank " + std::to_string(t.src) + " outside the job");
  }
  std::set<std::string> nodes;
  for (const auto& n : rec.nodes)
    if (!nodes.insert(n.node).second) problems.push_back("node " + n.node + " appears twice");
  std::set<std::tuple<std::string, std::string, std::string>> series;
  for (const auto& s : rec.series) {
    if (!series.insert({s.owner_kind, s.owner, s.metric}).second)
      problems.push_back("series " + s.owner_kind + " " + s.owner + " " + s.metric + " appears twice");
    if (s.t_ns.size() != s.values.size())
      problems.push_back("series " + s.owner + " " + s.metric + " has different numbers of times and values");
    for (std::size_t i = 1; i < s.t_ns.size(); ++i)
      if (s.t_ns[i] < s.t_ns[i - 1]) {
        problems.push_back("series " + s.owner + " " + s.metric + " goes back in time");
        break;
      }
  }
  return problems;
}

}  // namespace hpcmon::store
