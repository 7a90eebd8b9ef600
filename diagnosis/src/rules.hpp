// The rules, grouped by what they look at, and the few text helpers their findings share.
// Internal to the diagnosis library; docs/diagnosis.md describes each rule.
#pragma once

#include <string>
#include <vector>

#include "hpcmon/diagnosis.hpp"
#include "profile.hpp"

namespace hpcmon::diagnosis {

struct RuleInput {
  const record::JobRecord& rec;
  const JobProfile& profile;
  const config::Diagnosis& t;
  const PopMetrics& pop;
  const Resources& resources;
};

// load_imbalance, serialisation, late_sender.
void waiting_rules(const RuleInput& in, Analysis& out);
// collective_dominated, small_message_storm, barrier_overuse, io_bound.
void communication_rules(const RuleInput& in, Analysis& out);
// low_cpu, memory_growth, cores_overrequested, memory_overrequested.
void resource_rules(const RuleInput& in, Analysis& out);

std::string seconds_text(double s);      // "0.412 s"
std::string bytes_text(double bytes);    // "12.0 MiB"
std::string percent_text(double f);      // "41.2 %"
std::string count_text(double n);        // "120000"
std::string decimal_text(double v);      // "1.95"
std::string ranks_text(std::vector<std::int32_t> ranks);  // "rank 3", "ranks 0-2, 5"

// The rows of `ranks` (in the profile) whose figure passes `keep`, sorted by rank.
template <class Keep>
std::vector<std::int32_t> ranks_where(const JobProfile& profile, Keep keep) {
  std::vector<std::int32_t> out;
  for (const auto& r : profile.ranks)
    if (keep(r)) out.push_back(r.rank);
  return out;
}

}  // namespace hpcmon::diagnosis
