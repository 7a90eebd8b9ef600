// Merge of partial records of one step. The rules are documented in docs/job-record.md
// ("Merge"); the tests in tests/merge_test.cpp check each of them.
#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <numeric>
#include <tuple>

#include "hpcmon/store.hpp"

namespace hpcmon::store {
namespace {

using record::JobInfo;
using record::JobRecord;

void fill_if_empty(std::string& into, const std::string& from) {
  if (into.empty()) into = from;
}
template <class T>
void fill_if_zero(T& into, T from) {
  if (into == T{}) into = from;
}

JobInfo merge_job_info(const std::vector<JobRecord>& parts) {
  auto base_it = std::find_if(parts.begin(), parts.end(), [](const JobRecord& p) { return p.has_mpi; });
  JobInfo j = (base_it != parts.end() ? *base_it : parts.front()).job;
  bool any_node_part = std::any_of(parts.begin(), parts.end(), [](const JobRecord& p) { return !p.has_mpi; });
  j.start_ns = 0;
  j.end_ns = 0;
  j.exit_status_known = false;
  j.exit_status = 0;
  for (const auto& p : parts) {
    const auto& o = p.job;
    fill_if_empty(j.key.cluster, o.key.cluster);
    fill_if_empty(j.key.job, o.key.job);
    fill_if_empty(j.key.step, o.key.step);
    fill_if_empty(j.job_name, o.job_name);
    fill_if_empty(j.user, o.user);
    fill_if_empty(j.account, o.account);
    fill_if_empty(j.partition, o.partition);
    fill_if_empty(j.node_list, o.node_list);
    fill_if_empty(j.command_line, o.command_line);
    fill_if_empty(j.counter_source, o.counter_source);
    fill_if_empty(j.counter_quality, o.counter_quality);
    fill_if_empty(j.counter_note, o.counter_note);
    fill_if_zero(j.allocation.cores, o.allocation.cores);
    fill_if_zero(j.allocation.memory_bytes, o.allocation.memory_bytes);
    fill_if_zero(j.allocation.time_limit_s, o.allocation.time_limit_s);
    j.rank_count = std::max(j.rank_count, o.rank_count);
    j.node_count = std::max(j.node_count, o.node_count);
    if (o.start_ns != 0 && (j.start_ns == 0 || o.start_ns < j.start_ns)) j.start_ns = o.start_ns;
    // The node agents see the step end; rank 0 only sees MPI_Finalize.
    const bool authoritative = !any_node_part || !p.has_mpi;
    if (!authoritative) continue;
    j.end_ns = std::max(j.end_ns, o.end_ns);
    if (o.exit_status_known) {
      if (!j.exit_status_known || (j.exit_status == 0 && o.exit_status != 0)) j.exit_status = o.exit_status;
      j.exit_status_known = true;
    }
  }
  return j;
}

// Parts in the order their rows are applied: later ones overwrite earlier ones, so the part
// with the latest end time wins and, on equal end times, the later part in the input.
std::vector<std::size_t> apply_order(const std::vector<JobRecord>& parts) {
  std::vector<std::size_t> order(parts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return parts[a].job.end_ns < parts[b].job.end_ns; });
  return order;
}

// Ranks 0 .. rank_count-1 that no part holds, as "6-7, 9"; built from the gaps between the
// present ranks so that a huge rank_count costs nothing.
std::string missing_ranks(const JobRecord& merged) {
  std::vector<std::int32_t> gaps;  // pairs: first, last of each missing range
  std::int64_t next = 0;
  const std::int64_t count = std::min<std::int64_t>(merged.job.rank_count, std::int64_t{INT32_MAX} + 1);
  for (const auto& r : merged.ranks) {  // sorted by rank
    if (r.rank < next) continue;
    if (r.rank >= count) break;
    if (r.rank > next) gaps.insert(gaps.end(), {static_cast<std::int32_t>(next), r.rank - 1});
    next = static_cast<std::int64_t>(r.rank) + 1;
  }
  if (next < count) gaps.insert(gaps.end(), {static_cast<std::int32_t>(next), static_cast<std::int32_t>(count - 1)});
  if (gaps.empty()) return "";
  std::string out = gaps.size() == 2 && gaps[0] == gaps[1] ? "missing rank " : "missing ranks ";
  for (std::size_t i = 0; i < gaps.size(); i += 2) {
    if (i > 0) out += ", ";
    out += std::to_string(gaps[i]);
    if (gaps[i + 1] > gaps[i]) out += "-" + std::to_string(gaps[i + 1]);
  }
  return out;
}

std::string partial_reason(const std::vector<JobRecord>& parts, const JobRecord& merged) {
  std::vector<std::string> reasons;
  if (auto missing = missing_ranks(merged); !missing.empty()) reasons.push_back(std::move(missing));
  // Reasons other than missing ranks (table overflow, a rank that died...) stay true after a merge.
  for (const auto& p : parts) {
    const auto& why = p.job.partial_reason;
    if (!p.job.partial || why.rfind("missing rank", 0) == 0) continue;
    const std::string reason = why.empty() ? "partial part" : why;
    if (std::find(reasons.begin(), reasons.end(), reason) == reasons.end()) reasons.push_back(reason);
  }
  std::string out;
  for (const auto& r : reasons) out += (out.empty() ? "" : "; ") + r;
  return out;
}

}  // namespace

record::JobRecord merge(const std::vector<record::JobRecord>& parts) {
  JobRecord out;
  if (parts.empty()) return out;
  out.job = merge_job_info(parts);

  for (const auto& p : parts)
    for (const auto& name : p.counter_names)
      if (std::find(out.counter_names.begin(), out.counter_names.end(), name) == out.counter_names.end())
        out.counter_names.push_back(name);

  std::map<std::int32_t, record::RankRow> ranks;
  std::map<std::string, record::NodeRow> nodes;
  std::map<std::pair<std::int32_t, std::string>, record::MpiFunctionRow> mpi;
  std::map<std::tuple<std::int32_t, std::uint32_t, std::int32_t>, record::TrafficRow> traffic;
  std::map<std::tuple<std::string, std::string, std::string>, record::Series> series;
  for (std::size_t i : apply_order(parts)) {
    const auto& p = parts[i];
    out.has_mpi = out.has_mpi || p.has_mpi;
    out.mpi_table_overflows = std::max(out.mpi_table_overflows, p.mpi_table_overflows);
    for (auto r : p.ranks) {
      // Counters follow the merged name list; a counter this part lacks is NaN.
      std::vector<double> counters(out.counter_names.size(), std::nan(""));
      for (std::size_t c = 0; c < p.counter_names.size() && c < r.counters.size(); ++c) {
        auto at = std::find(out.counter_names.begin(), out.counter_names.end(), p.counter_names[c]);
        counters[static_cast<std::size_t>(at - out.counter_names.begin())] = r.counters[c];
      }
      r.counters = std::move(counters);
      ranks[r.rank] = std::move(r);
    }
    for (const auto& n : p.nodes) nodes[n.node] = n;
    for (const auto& m : p.mpi) mpi[{m.rank, m.function}] = m;
    for (const auto& t : p.traffic) traffic[{t.src, t.dst_world, t.dst}] = t;
    for (const auto& s : p.series) series[{s.owner_kind, s.owner, s.metric}] = s;
  }
  for (auto& [k, v] : ranks) out.ranks.push_back(std::move(v));
  for (auto& [k, v] : nodes) out.nodes.push_back(std::move(v));
  for (auto& [k, v] : mpi) out.mpi.push_back(std::move(v));
  for (auto& [k, v] : traffic) out.traffic.push_back(v);
  for (auto& [k, v] : series) out.series.push_back(std::move(v));
  out.job.node_count = std::max<std::uint32_t>(out.job.node_count, static_cast<std::uint32_t>(out.nodes.size()));

  out.job.partial_reason = partial_reason(parts, out);
  out.job.partial = !out.job.partial_reason.empty();
  return out;
}

}  // namespace hpcmon::store
