// Rules about resources: low CPU use or an idle job, memory growth, and cores or memory
// requested far above use (as Slurm's seff shows them).
#include <algorithm>
#include <charconv>
#include <cmath>

#include "rules.hpp"

namespace hpcmon::diagnosis {
namespace {

constexpr std::size_t kMinGrowthSamples = 4;  // fewer cannot tell setting up from growing

std::int32_t owner_rank(const record::Series& s) {
  std::int32_t rank = -1;
  const auto* end = s.owner.data() + s.owner.size();
  const auto [ptr, ec] = std::from_chars(s.owner.data(), end, rank);
  return ec == std::errc() && ptr == end ? rank : -1;
}

// The last value of a per-rank (or per-task) series, NaN when there is none.
double last_of(const record::JobRecord& rec, std::int32_t rank, const std::string& metric) {
  for (const auto& s : rec.series)
    if ((s.owner_kind == "rank" || s.owner_kind == "task") && s.metric == metric && owner_rank(s) == rank &&
        !s.values.empty())
      return s.values.back();
  return kUnknown;
}

void low_cpu(const RuleInput& in, Analysis& out) {
  const auto& t = in.t;
  const auto ranks = ranks_where(in.profile, [&](const RankProfile& r) {
    return r.wall_s > 0 && r.cpu_s < t.cpu_use_min * r.wall_s && r.wall_s - r.cpu_s >= t.min_finding_s;
  });
  if (ranks.empty()) return;
  const RankProfile* top = nullptr;
  for (std::int32_t rank : ranks) {
    const RankProfile* r = in.profile.find(rank);
    if (!top || r->wall_s - r->cpu_s > top->wall_s - top->cpu_s) top = r;
  }
  const double off = top->wall_s - top->cpu_s;
  const bool idle_job = ranks.size() == in.profile.ranks.size() && ranks.size() > 1;
  Finding f;
  f.rule = "low_cpu";
  f.severity = "warning";
  f.title = (idle_job ? "Idle job: every rank is" : "Low CPU use: " + ranks_text(ranks) + (ranks.size() == 1 ? " is" : " are")) +
            " off the CPU for up to " + seconds_text(off) + " of " + seconds_text(top->wall_s) +
            " (CPU use " + percent_text(top->cpu_s / top->wall_s) + ")";
  f.ranks = ranks;
  f.quantity = off;
  f.unit = "s";
  f.figures = {{"cpu_s", top->cpu_s}, {"wall_s", top->wall_s}, {"cpu_use", top->cpu_s / top->wall_s}};
  f.evidence.push_back(ranks_text({top->rank}) + " used " + seconds_text(top->cpu_s) + " of CPU in " +
                       seconds_text(top->wall_s) + " between MPI_Init and MPI_Finalize, " + seconds_text(top->mpi_s) +
                       " of it in MPI");
  const double read = last_of(in.rec, top->rank, "read_bytes"), written = last_of(in.rec, top->rank, "write_bytes");
  if (!std::isnan(read) || !std::isnan(written)) {
    f.evidence.push_back(ranks_text({top->rank}) + " read " + bytes_text(std::isnan(read) ? 0 : read) + " and wrote " +
                         bytes_text(std::isnan(written) ? 0 : written) + " from storage");
  } else {
    std::uint64_t disk = 0;
    for (const auto& node : in.rec.nodes) disk += node.disk_read_bytes + node.disk_write_bytes;
    if (!in.rec.nodes.empty())
      f.evidence.push_back("the nodes read and wrote " + bytes_text(double(disk)) + " on their disks during the step");
  }
  f.suggestion =
      "Find what the rank waits for outside MPI: sleeps or polling with sleep, blocking file I/O (then write "
      "less, asynchronously, or from more ranks), or a node shared with other work. An idle job should give its "
      "allocation back.";
  out.findings.push_back(std::move(f));
}

void memory_growth_from_series(const RuleInput& in, Analysis& out) {
  const auto& t = in.t;
  struct Growth {
    std::int32_t rank;
    double first, peak;
  };
  std::vector<Growth> grown;
  for (const auto& s : in.rec.series) {
    if ((s.owner_kind != "rank" && s.owner_kind != "task") || s.metric != "rss" || s.values.size() < kMinGrowthSamples)
      continue;
    // Setting up (arrays allocated after MPI_Init) is not growth: the base is the largest value
    // of the first quarter of the samples, compared with the largest of the last quarter.
    const std::size_t quarter = (s.values.size() + 3) / 4;
    const double first = *std::max_element(s.values.begin(), s.values.begin() + quarter);
    const double peak = *std::max_element(s.values.end() - quarter, s.values.end());
    if (peak - first >= static_cast<double>(t.memory_growth_min_bytes) && peak - first >= t.memory_growth_fraction * first)
      grown.push_back({owner_rank(s), first, peak});
  }
  if (grown.empty()) return;
  std::sort(grown.begin(), grown.end(), [](const Growth& a, const Growth& b) { return a.peak - a.first > b.peak - b.first; });
  Finding f;
  f.rule = "memory_growth";
  f.severity = "warning";
  for (const auto& g : grown) f.ranks.push_back(g.rank);
  std::sort(f.ranks.begin(), f.ranks.end());
  const Growth& top = grown.front();
  f.title = "Memory growth: " + ranks_text(f.ranks) + " grow" + (f.ranks.size() == 1 ? "s" : "") + " by up to " +
            bytes_text(top.peak - top.first) + " during the run";
  f.quantity = top.peak - top.first;
  f.unit = "B";
  f.figures = {{"first_bytes", top.first}, {"peak_bytes", top.peak}};
  for (std::size_t i = 0; i < grown.size() && i < 5; ++i)
    f.evidence.push_back(ranks_text({grown[i].rank}) + ": resident memory from " + bytes_text(grown[i].first) +
                         " in the first quarter of the run to " + bytes_text(grown[i].peak) + " in the last");
  f.suggestion =
      "Memory that keeps growing is often a leak: buffers or MPI requests never freed (MPI_Request_free, "
      "MPI_Type_free, MPI_Comm_free), caches without a bound. Check with valgrind or heaptrack on a short run.";
  out.findings.push_back(std::move(f));
}

void memory_high_water_excess(const RuleInput& in, Analysis& out) {
  const auto& t = in.t;
  struct Excess {
    std::int32_t rank;
    double hwm, others;
  };
  std::vector<Excess> high;
  std::vector<double> sorted;
  for (const auto& r : in.profile.ranks) sorted.push_back(static_cast<double>(r.rss_hwm_bytes));
  std::sort(sorted.begin(), sorted.end());
  for (const auto& r : in.profile.ranks) {
    const double hwm = static_cast<double>(r.rss_hwm_bytes), base = median_without_one(sorted, hwm);
    if (hwm - base >= static_cast<double>(t.memory_growth_min_bytes) && hwm - base >= t.memory_growth_fraction * base)
      high.push_back({r.rank, hwm, base});
  }
  if (high.empty()) return;
  std::sort(high.begin(), high.end(), [](const Excess& a, const Excess& b) { return a.hwm - a.others > b.hwm - b.others; });
  Finding f;
  f.rule = "memory_growth";
  f.severity = "warning";
  for (const auto& h : high) f.ranks.push_back(h.rank);
  std::sort(f.ranks.begin(), f.ranks.end());
  const Excess& top = high.front();
  f.title = "Memory growth on " + ranks_text(f.ranks) + ": a high-water mark " + bytes_text(top.hwm - top.others) +
            " above the other ranks'";
  f.quantity = top.hwm - top.others;
  f.unit = "B";
  f.figures = {{"hwm_bytes", top.hwm}, {"others_hwm_median_bytes", top.others}};
  for (std::size_t i = 0; i < high.size() && i < 5; ++i)
    f.evidence.push_back(ranks_text({high[i].rank}) + ": resident high-water " + bytes_text(high[i].hwm) +
                         ", the median of the other ranks " + bytes_text(high[i].others));
  f.evidence.push_back("this record has no resident-memory series: growth over time cannot be told from one large "
                       "allocation");
  f.suggestion =
      "Find what this rank keeps that the others do not: a leak (buffers, requests or datatypes never freed), a "
      "gathered copy of global data on a root rank (gather to all or distribute instead), or unbounded caches.";
  out.findings.push_back(std::move(f));
}

void cores_overrequested(const RuleInput& in, Analysis& out) {
  const Resources& r = in.resources;
  if (r.cores_requested == 0 || std::isnan(r.cpu_efficiency) || !(r.cpu_efficiency < in.t.cpu_request_use_min)) return;
  const double unused = r.cores_requested - r.cores_used;
  if (unused * r.wall_s < in.t.min_finding_s) return;
  Finding f;
  f.rule = "cores_overrequested";
  f.severity = "warning";
  f.title = "Cores requested far above use: " + count_text(r.cores_requested) + " cores allocated, " +
            percent_text(r.cpu_efficiency) + " used (on average " + decimal_text(r.cores_used) +
            " cores busy)";
  f.quantity = unused;
  f.unit = "cores";
  f.figures = {{"cores_requested", double(r.cores_requested)}, {"cores_used", r.cores_used},
               {"cpu_efficiency", r.cpu_efficiency}};
  f.evidence.push_back("CPU time " + seconds_text(r.cpu_used_s) + " of " +
                       seconds_text(r.cores_requested * r.wall_s) + " available (" + count_text(r.cores_requested) +
                       " cores x " + seconds_text(r.wall_s) + ")");
  f.suggestion = "Request the cores the job uses (--ntasks, --cpus-per-task), or use them: more ranks or threads "
                 "per rank. Idle allocated cores cost your allocation and block other jobs.";
  out.findings.push_back(std::move(f));
}

void memory_overrequested(const RuleInput& in, Analysis& out) {
  const Resources& r = in.resources;
  if (r.memory_requested_bytes == 0 || std::isnan(r.memory_efficiency) ||
      !(r.memory_efficiency < in.t.memory_request_use_min))
    return;
  const double unused = double(r.memory_requested_bytes) - double(r.memory_hwm_bytes);
  Finding f;
  f.rule = "memory_overrequested";
  f.severity = "info";
  f.title = "Memory requested far above use: " + bytes_text(double(r.memory_requested_bytes)) + " requested, high-water " +
            bytes_text(double(r.memory_hwm_bytes)) + " (" + percent_text(r.memory_efficiency) + ")";
  f.quantity = unused;
  f.unit = "B";
  f.figures = {{"memory_requested_bytes", double(r.memory_requested_bytes)},
               {"memory_hwm_bytes", double(r.memory_hwm_bytes)},
               {"memory_efficiency", r.memory_efficiency}};
  f.evidence.push_back("sum of the ranks' resident high-water marks " + bytes_text(double(r.memory_hwm_bytes)) +
                       " (an upper bound of the peak)");
  f.suggestion = "Request less memory (--mem, --mem-per-cpu) with a margin of about 20 % over the high-water: smaller "
                 "requests start sooner and leave nodes to other jobs.";
  out.findings.push_back(std::move(f));
}

}  // namespace

void resource_rules(const RuleInput& in, Analysis& out) {
  if (in.profile.ranks.empty())
    out.not_evaluated.push_back("low_cpu, memory_growth: no rank rows (no MPI part)");
  low_cpu(in, out);
  // Series of four samples or more show growth over time; shorter ones (a run of a few sampling
  // intervals) leave the high-water comparison.
  const bool rss_series = std::any_of(in.rec.series.begin(), in.rec.series.end(), [](const record::Series& s) {
    return (s.owner_kind == "rank" || s.owner_kind == "task") && s.metric == "rss" && s.values.size() >= kMinGrowthSamples;
  });
  if (rss_series) {
    memory_growth_from_series(in, out);
  } else {
    out.not_evaluated.push_back(
        "memory_growth: no resident-memory series of 4 samples or more; ranks' high-water marks compared instead");
    if (in.profile.ranks.size() > 1) memory_high_water_excess(in, out);
  }
  if (in.resources.cores_requested == 0)
    out.not_evaluated.push_back("cores_overrequested: the record has no allocation (run outside Slurm, or no node partial)");
  if (in.resources.memory_requested_bytes == 0)
    out.not_evaluated.push_back("memory_overrequested: the record has no memory request");
  cores_overrequested(in, out);
  memory_overrequested(in, out);
}

}  // namespace hpcmon::diagnosis
