// Interval rates of the scheduler's cumulative counters, reset-proof (scheduler_stats.hpp).
#include <algorithm>

#include "hpcmon/head/scheduler_stats.hpp"

namespace hpcmon::head {
namespace {

// The increase of a counter in one interval: after a reset the new value is all of it.
std::uint64_t increase(std::uint64_t now, std::uint64_t before, bool reset) {
  if (reset || now < before) return now;
  return now - before;
}

bool any_fell(const std::map<std::uint32_t, RpcCounter>& now, const std::map<std::uint32_t, RpcCounter>& before) {
  for (const auto& [id, counter] : before) {
    auto it = now.find(id);
    // A type that vanished fell to zero (its slot is gone after a reset).
    if (it == now.end()) {
      if (counter.count > 0) return true;
      continue;
    }
    if (it->second.count < counter.count || it->second.time_us < counter.time_us) return true;
  }
  return false;
}

}  // namespace

RateTracker::RateTracker(std::string daemon, std::function<std::string(std::uint32_t)> type_name,
                         std::function<std::string(std::uint32_t)> user_name)
    : daemon_(std::move(daemon)), type_name_(std::move(type_name)), user_name_(std::move(user_name)) {}

std::vector<RpcFigures> RateTracker::figures(const std::map<std::uint32_t, RpcCounter>& now,
                                             const std::map<std::uint32_t, RpcCounter>* before,
                                             std::map<std::uint32_t, Accumulated>& accumulated, bool reset,
                                             double interval_s,
                                             const std::function<std::string(std::uint32_t)>& name) {
  std::vector<RpcFigures> out;
  std::uint64_t calls_in_interval = 0;
  // Every id seen since hpcmond started stays listed (its total never disappears), with a
  // zero count after a reset emptied its slot.
  std::map<std::uint32_t, RpcCounter> listed = now;
  for (const auto& [id, total] : accumulated) listed.emplace(id, RpcCounter{});
  for (const auto& [id, counter] : listed) {
    RpcFigures f;
    f.id = id;
    f.name = name(id);
    f.count = counter.count;
    f.time_us = counter.time_us;
    f.mean_latency_s = counter.count ? static_cast<double>(counter.time_us) / counter.count / 1e6 : 0;
    RpcCounter previous;
    if (before)
      if (auto it = before->find(id); it != before->end()) previous = it->second;
    // The first read: everything since "Data since" is the daemon's history, not an interval.
    const std::uint64_t calls = increase(counter.count, previous.count, reset || !before);
    const std::uint64_t time = increase(counter.time_us, previous.time_us, reset || !before);
    Accumulated& total = accumulated[id];
    total.count += calls;
    total.time_us += time;
    f.total = total.count;
    f.total_time_s = static_cast<double>(total.time_us) / 1e6;
    if (before) {
      f.interval_count = calls;
      f.rate_per_s = interval_s > 0 ? static_cast<double>(calls) / interval_s : 0;
      if (calls) f.interval_latency_s = static_cast<double>(time) / calls / 1e6;
      calls_in_interval += calls;
    }
    out.push_back(std::move(f));
  }
  for (auto& f : out)
    f.share = calls_in_interval ? static_cast<double>(f.interval_count) / calls_in_interval : 0;
  std::stable_sort(out.begin(), out.end(), [](const RpcFigures& a, const RpcFigures& b) { return a.count > b.count; });
  return out;
}

DaemonView RateTracker::update(const DaemonReading& reading) {
  DaemonView view;
  view.daemon = daemon_;
  view.t_ns = reading.t_ns;
  view.since_s = reading.since_s;
  view.gauges = reading.gauges;
  const DaemonReading* before = previous_ ? &*previous_ : nullptr;
  if (before) {
    bool reset = reading.since_s != before->since_s || any_fell(reading.types, before->types) ||
                 any_fell(reading.users, before->users);
    for (const auto& [name, value] : before->counters)
      if (auto it = reading.counters.find(name); it != reading.counters.end() && it->second < value) reset = true;
    view.reset = reset;
    if (reset) ++resets_;
    // After a reset the new counts cover the time since the daemon's new "Data since" when
    // that is later than the previous read.
    std::int64_t from_ns = before->t_ns;
    if (reset && reading.since_s * 1000000000LL > from_ns && reading.since_s * 1000000000LL < reading.t_ns)
      from_ns = reading.since_s * 1000000000LL;
    view.interval_s = std::max(1e-3, static_cast<double>(reading.t_ns - from_ns) / 1e9);
  }
  view.resets = resets_;
  view.types = figures(reading.types, before ? &before->types : nullptr, type_totals_, view.reset, view.interval_s,
                       type_name_);
  view.users = figures(reading.users, before ? &before->users : nullptr, user_totals_, view.reset, view.interval_s,
                       user_name_);
  for (const auto& [name, value] : reading.counters) {
    std::uint64_t previous = 0;
    if (before)
      if (auto it = before->counters.find(name); it != before->counters.end()) previous = it->second;
    const std::uint64_t delta = increase(value, previous, view.reset || !before);
    CounterFigures& c = view.counters[name];
    c.value = value;
    c.total = (counter_totals_[name] += delta);
    c.rate_per_s = before ? static_cast<double>(delta) / view.interval_s : 0;
  }
  previous_ = reading;
  return view;
}

}  // namespace hpcmon::head
