// Per-rank profile: useful time, and every MPI row split into transfer and waiting.
//
// The split is an estimate, since the record holds totals, not a trace: a row's transfer
// time is the smallest of (a) its total, (b) calls x its fastest call (what a call costs
// when it does not wait), (c) a generous network model, calls x latency + bytes / bandwidth.
// (b) is right when some calls did not wait; (c) when every call waited (a late sender that
// is late every time). Waiting is the rest. File I/O, one-sided and other calls are all
// transfer: nothing tells their waiting apart.
#include "profile.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "hpcmon/diagnosis.hpp"

namespace hpcmon::diagnosis {
namespace {

bool contains(const std::string& name, const char* part) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.find(part) != std::string::npos;
}

bool is_receive_side(const CallProfile& call) {
  return call.family == "wait" || (call.family == "point-to-point" && (contains(call.row->function, "recv") ||
                                                                       contains(call.row->function, "probe")));
}

bool is_send(const CallProfile& call) {
  return call.family == "point-to-point" && contains(call.row->function, "send") &&
         !contains(call.row->function, "recv") && !contains(call.row->function, "_init");
}

bool is_rooted_broadcast(const std::string& function) {
  return function == "MPI_Bcast" || function == "MPI_Scatter" || function == "MPI_Scatterv";
}

// Messages of a send row below `small_bytes`: bin 0 (empty) and bins k whose sizes [2^(k-1), 2^k)
// all lie below the limit.
std::uint64_t small_messages(const record::MpiFunctionRow& row, std::int64_t small_bytes) {
  std::uint64_t n = row.size_hist[0];
  for (int k = 1; k < record::kSizeBins - 1; ++k)
    if (std::ldexp(1.0, k) <= static_cast<double>(small_bytes)) n += row.size_hist[static_cast<std::size_t>(k)];
  return n;
}

double transfer_estimate(const CallProfile& call, std::int32_t world, const config::Diagnosis& t) {
  const auto& row = *call.row;
  if (call.family != "point-to-point" && call.family != "wait" && call.family != "collective") return row.total_s;
  const bool collective = call.family == "collective";
  const double hops = collective ? std::max(1.0, std::ceil(std::log2(std::max(2, world)))) : 1.0;
  const double model = static_cast<double>(row.calls) * t.network_latency_s * hops +
                       (collective ? 2.0 : 1.0) * static_cast<double>(row.bytes) / t.network_bandwidth_bytes_per_s;
  double transfer = std::min(row.total_s, model);
  if (row.min_s > 0) transfer = std::min(transfer, static_cast<double>(row.calls) * row.min_s);
  return std::max(0.0, transfer);
}

}  // namespace

const RankProfile* JobProfile::find(std::int32_t rank) const {
  // `ranks` is sorted by rank.
  const auto it = std::lower_bound(ranks.begin(), ranks.end(), rank,
                                   [](const RankProfile& r, std::int32_t wanted) { return r.rank < wanted; });
  return it != ranks.end() && it->rank == rank ? &*it : nullptr;
}

double median_without_one(const std::vector<double>& sorted, double value) {
  const std::size_t n = sorted.size();
  if (n < 2) return 0;
  const std::size_t skip = static_cast<std::size_t>(std::lower_bound(sorted.begin(), sorted.end(), value) - sorted.begin());
  auto at = [&](std::size_t k) { return sorted[k < skip ? k : k + 1]; };
  const std::size_t m = n - 1;
  return m % 2 ? at(m / 2) : 0.5 * (at(m / 2 - 1) + at(m / 2));
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

JobProfile build_profile(const record::JobRecord& rec, const config::Diagnosis& t) {
  JobProfile job;
  job.world = static_cast<std::int32_t>(rec.job.rank_count);
  std::map<std::int32_t, std::size_t> at;
  std::unordered_map<std::string, FunctionKind>& kinds = job.kinds;
  for (const auto& r : rec.ranks) {
    RankProfile p;
    p.rank = r.rank;
    p.wall_s = std::max(0.0, r.wall_s);
    p.cpu_s = std::max(0.0, r.user_cpu_s + r.sys_cpu_s);
    p.mpi_s = std::clamp(r.mpi_s, 0.0, p.wall_s);
    p.useful_s = p.wall_s - p.mpi_s;
    p.rss_hwm_bytes = r.rss_hwm_bytes;
    job.world = std::max(job.world, r.rank + 1);
    at[r.rank] = job.ranks.size();
    job.ranks.push_back(std::move(p));
  }
  for (const auto& row : rec.mpi) {
    const auto found = at.find(row.rank);
    if (found == at.end()) continue;
    RankProfile& p = job.ranks[found->second];
    CallProfile call;
    call.row = &row;
    // Classified once per function name: a 4,096-rank record repeats each name per rank.
    auto [kind, added] = kinds.try_emplace(row.function);
    if (added) {
      kind->second.family = mpi_family(row.function);
      call.family = kind->second.family;
      kind->second.receive_side = is_receive_side(call);
      kind->second.send = is_send(call);
    }
    call.family = kind->second.family;
    if (call.family == "lifecycle") continue;  // MPI_Init / MPI_Finalize are not in mpi_s
    job.has_mpi_rows = true;
    call.transfer_s = transfer_estimate(call, job.world, t);
    call.wait_s = std::max(0.0, row.total_s - call.transfer_s);
    p.transfer_s += call.transfer_s;
    if (kind->second.receive_side) {
      p.receive_wait_s += call.wait_s;
      if (call.wait_s > 0) p.receive_wait_calls += row.calls;
    }
    if (call.family == "collective") {
      (is_rooted_broadcast(row.function) ? p.rooted_wait_s : p.collective_wait_s) += call.wait_s;
      p.collective_transfer_s += call.transfer_s;
    }
    if (kind->second.send && row.calls > 0) {
      const std::uint64_t small = small_messages(row, t.small_message_bytes);
      p.small_sends += small;
      p.small_send_s += row.total_s * static_cast<double>(small) / static_cast<double>(row.calls);
    }
    if (row.function == "MPI_Barrier" || row.function == "MPI_Ibarrier") {
      p.barriers += row.calls;
      p.barrier_s += row.total_s;
    }
    if (call.family == "file-io") {
      p.io_s += row.total_s;
      p.io_bytes += row.bytes;
    }
    p.calls.push_back(call);
  }
  std::sort(job.ranks.begin(), job.ranks.end(), [](const auto& a, const auto& b) { return a.rank < b.rank; });
  return job;
}

}  // namespace hpcmon::diagnosis
