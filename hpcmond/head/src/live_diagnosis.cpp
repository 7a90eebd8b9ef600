// Live findings of running steps (live_diagnosis.hpp).
#include "hpcmon/head/live_diagnosis.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <type_traits>

#include "hpcmon/diagnosis.hpp"
#include "hpcmon/head/agent_store.hpp"

namespace hpcmon::head {
namespace {

using nlohmann::json;

template <class T>
T field(const json& j, const char* key, T fallback = {}) {
  if (!j.is_object() || !j.contains(key)) return fallback;
  const json& v = j[key];
  if constexpr (std::is_same_v<T, std::string>) {
    return v.is_string() ? v.get<std::string>() : fallback;
  } else {
    return v.is_number() ? v.get<T>() : fallback;
  }
}

// A non-negative integer (parsed JSON gives unsigned, built JSON may give signed).
bool non_negative(const json& v) { return v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0); }

}  // namespace

const std::vector<std::string>& live_rules() {
  // Not live: memory growth (needs the run's rss series), cores and memory requested (need
  // the whole run against the allocation).
  static const std::vector<std::string> rules = {"serialisation", "late_sender", "load_imbalance",
                                                 "collective_dominated", "small_message_storm",
                                                 "barrier_overuse", "io_bound", "low_cpu"};
  return rules;
}

record::JobRecord live_record(const std::string& cluster, const std::string& job, const std::string& step,
                              const std::vector<json>& rank_tables) {
  record::JobRecord rec;
  rec.job.key.cluster = cluster;
  rec.job.key.job = job;
  rec.job.key.step = step;
  rec.has_mpi = true;
  std::set<std::int32_t> seen;
  for (const json& table : rank_tables) {
    const auto rank = field<std::int32_t>(table, "rank", -1);
    if (rank < 0 || !seen.insert(rank).second) continue;
    record::RankRow row;
    row.rank = rank;
    row.node = field<std::string>(table, "node");
    const auto start = field<std::int64_t>(table, "start_ns"), end = field<std::int64_t>(table, "end_ns");
    const auto updated = field<std::int64_t>(table, "updated_ns");
    const std::int64_t until = end > 0 ? end : updated;
    row.wall_s = until > start && start > 0 ? static_cast<double>(until - start) * 1e-9 : 0;
    row.user_cpu_s = field<double>(table, "user_cpu_s");
    row.sys_cpu_s = field<double>(table, "sys_cpu_s");
    row.mpi_s = field<double>(table, "mpi_s");
    row.rss_hwm_bytes = field<std::uint64_t>(table, "rss_bytes");
    rec.ranks.push_back(row);
    rec.job.rank_count = std::max(rec.job.rank_count, field<std::uint32_t>(table, "world_size"));
    if (rec.job.start_ns == 0 || (start > 0 && start < rec.job.start_ns)) rec.job.start_ns = start;
    if (table.contains("functions") && table["functions"].is_array())
      for (const json& f : table["functions"]) {
        record::MpiFunctionRow m;
        m.rank = rank;
        m.function = field<std::string>(f, "name");
        if (m.function.empty()) continue;
        m.calls = field<std::uint64_t>(f, "calls");
        m.bytes = field<std::uint64_t>(f, "bytes");
        m.errors = field<std::uint64_t>(f, "errors");
        m.total_s = field<double>(f, "total_s");
        m.min_s = field<double>(f, "min_s");
        m.max_s = field<double>(f, "max_s");
        if (f.contains("size_hist") && f["size_hist"].is_array())
          for (const json& bin : f["size_hist"])
            if (bin.is_array() && bin.size() == 2 && non_negative(bin[0]) && non_negative(bin[1]) &&
                bin[0].get<std::size_t>() < m.size_hist.size())
              m.size_hist[bin[0].get<std::size_t>()] = bin[1].get<std::uint64_t>();
        rec.mpi.push_back(std::move(m));
      }
    if (table.contains("traffic") && table["traffic"].is_array())
      for (const json& t : table["traffic"]) {
        if (!t.is_array() || t.size() != 4 || !non_negative(t[0]) || !t[1].is_number_integer() || !non_negative(t[2]) ||
            !non_negative(t[3]))
          continue;
        rec.traffic.push_back({rank, t[0].get<std::uint32_t>(), t[1].get<std::int32_t>(), t[2].get<std::uint64_t>(),
                               t[3].get<std::uint64_t>()});
      }
  }
  std::sort(rec.ranks.begin(), rec.ranks.end(),
            [](const record::RankRow& a, const record::RankRow& b) { return a.rank < b.rank; });
  rec.job.rank_count = std::max<std::uint32_t>(rec.job.rank_count, static_cast<std::uint32_t>(rec.ranks.size()));
  return rec;
}

void LiveDiagnosis::evaluate(std::int64_t now_ns) {
  // A step's tables may come from several nodes: gathered by (cluster, job, step).
  std::map<std::string, std::vector<json>> tables;
  std::map<std::string, std::array<std::string, 3>> names;
  for (const json& entry : agents_.live_mpi()) {
    const std::string cluster = field<std::string>(entry, "cluster"), job = field<std::string>(entry, "job"),
                      step = field<std::string>(entry, "step");
    if (job.empty() || !entry.contains("rank_tables") || !entry["rank_tables"].is_array()) continue;
    const std::string key = cluster + "/" + job + "/" + step;
    names[key] = {cluster, job, step};
    for (const json& table : entry["rank_tables"])
      if (field<std::string>(table, "state") != "initializing") tables[key].push_back(table);
  }
  std::map<std::string, StepResult> results;
  for (const auto& [key, name] : names) {
    StepResult result{name[0], name[1], name[2], tables[key].size(), now_ns, json::array()};
    if (!tables[key].empty()) {
      try {
        const record::JobRecord rec = live_record(name[0], name[1], name[2], tables[key]);
        const json analysis = diagnosis::to_json(diagnosis::analyze(rec, thresholds_));
        for (const json& finding : analysis["findings"])
          if (std::find(live_rules().begin(), live_rules().end(), finding.value("rule", "")) != live_rules().end())
            result.findings.push_back(finding);
      } catch (const std::exception&) {
        // A malformed push cannot stop the others: this step has no findings this round.
      }
    }
    results[key] = std::move(result);
  }
  std::lock_guard lock(mutex_);
  steps_ = std::move(results);
  ++evaluations_;
}

namespace {

json step_json(const std::string& cluster, const std::string& step, std::size_t ranks, std::int64_t evaluated,
               const json& findings) {
  return {{"cluster", cluster}, {"step", step}, {"ranks", ranks}, {"evaluated_ns", evaluated}, {"findings", findings}};
}

}  // namespace

json LiveDiagnosis::for_job(const std::string& job) const {
  std::lock_guard lock(mutex_);
  json steps = json::array();
  std::int64_t evaluated = 0;
  for (const auto& [key, result] : steps_)
    if (result.job == job) {
      steps.push_back(step_json(result.cluster, result.step, result.ranks, result.evaluated_ns, result.findings));
      evaluated = std::max(evaluated, result.evaluated_ns);
    }
  if (steps.empty()) return nullptr;
  return {{"live", true}, {"evaluated_ns", evaluated}, {"rules", live_rules()}, {"steps", steps}};
}

json LiveDiagnosis::all() const {
  std::lock_guard lock(mutex_);
  json out = json::array();
  for (const auto& [key, result] : steps_) {
    json step = step_json(result.cluster, result.step, result.ranks, result.evaluated_ns, result.findings);
    step["job"] = result.job;
    step["live"] = true;
    out.push_back(std::move(step));
  }
  return out;
}

std::vector<LiveFinding> LiveDiagnosis::findings() const {
  std::lock_guard lock(mutex_);
  std::vector<LiveFinding> out;
  for (const auto& [key, result] : steps_)
    for (const json& finding : result.findings)
      out.push_back({result.cluster, result.job, result.step, finding.value("rule", "")});
  return out;
}

std::uint64_t LiveDiagnosis::evaluations() const {
  std::lock_guard lock(mutex_);
  return evaluations_;
}

}  // namespace hpcmon::head
