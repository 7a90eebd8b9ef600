#include "hpcmon/agent/sample_table.hpp"

#include <limits>

namespace hpcmon::agent {

void SampleTable::append(std::int64_t t_ns, const std::vector<Reading>& row) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  if (!t_ns_.empty() && t_ns < t_ns_.back()) t_ns = t_ns_.back();  // never back in time
  t_ns_.push_back(t_ns);
  for (const auto& r : row) {
    auto [it, added] = columns_.try_emplace(r.name);
    if (added) {
      it->second.unit = r.unit;
      it->second.values.assign(t_ns_.size() - 1, nan);
    }
    if (it->second.values.size() < t_ns_.size()) it->second.values.push_back(r.value);
  }
  for (auto& [name, column] : columns_)
    if (column.values.size() < t_ns_.size()) column.values.push_back(nan);
  if (t_ns_.size() > max_points_) halve();
}

void SampleTable::halve() {
  auto keep_even = [](auto& v) {
    std::size_t j = 0;
    for (std::size_t i = 0; i < v.size(); i += 2) v[j++] = v[i];
    // the newest point stays: it is the step's final reading
    if (v.size() % 2 == 0) v[j++] = v.back();
    v.resize(j);
  };
  keep_even(t_ns_);
  for (auto& [name, column] : columns_) keep_even(column.values);
}

const std::vector<double>* SampleTable::column(const std::string& name) const {
  auto it = columns_.find(name);
  return it == columns_.end() ? nullptr : &it->second.values;
}

void SampleTable::to_series(const std::string& owner_kind, const std::string& owner, const std::string& source,
                            std::vector<record::Series>& out) const {
  for (const auto& [name, column] : columns_) {
    record::Series s;
    s.owner_kind = owner_kind;
    s.owner = owner;
    s.metric = name;
    s.unit = column.unit;
    s.source = source;
    s.t_ns = t_ns_;
    s.values = column.values;
    out.push_back(std::move(s));
  }
}

}  // namespace hpcmon::agent
