#include <exception>

#include "counter_backend.hpp"

namespace hpcmon::sampler {

void FailedEvents::add(const std::string& event, const std::string& reason) {
  for (auto& [group_reason, events] : groups_)
    if (group_reason == reason) {
      events += ", " + event;
      return;
    }
  groups_.emplace_back(reason, event);
}

std::string FailedEvents::text() const {
  std::string out;
  for (const auto& [reason, events] : groups_) out += (out.empty() ? "" : "; ") + events + ": " + reason;
  return out;
}

CounterSet::CounterSet() = default;
CounterSet::CounterSet(CounterSet&& other) noexcept = default;
CounterSet& CounterSet::operator=(CounterSet&& other) noexcept = default;
CounterSet::~CounterSet() = default;

CounterSet CounterSet::open(const std::vector<std::string>& events) { return open(events, CounterOptions{}); }

CounterSet CounterSet::open_thread(const std::vector<std::string>& events, pid_t thread_id) {
  CounterOptions options;
  options.scope = CounterScope::thread;
  options.thread_id = thread_id;
  return open(events, options);
}

CounterSet CounterSet::open(const std::vector<std::string>& events, const CounterOptions& options) {
  CounterSet set;
  std::string reasons;  // why better sources dropped out, joined into one line
  auto add_reason = [&](const std::string& why) {
    if (!why.empty()) reasons += (reasons.empty() ? "" : "; ") + why;
  };
  try {
    std::string why;
    if (options.try_papi) {
      if ((set.backend_ = open_papi(events, options, why))) set.source_ = "papi";
    } else {
      why = "papi: not tried (disabled by the caller)";
    }
    add_reason(why);
    if (!set.backend_) {
      why.clear();
      if (options.try_perf_event) {
        if ((set.backend_ = open_perf(events, options, why))) {
          set.source_ = "perf_event";
          why = set.backend_->partial_reason();
        }
      } else {
        why = "perf_event: not tried (disabled by the caller)";
      }
      add_reason(why);
    }
    if (!set.backend_) {
      why.clear();
      if ((set.backend_ = open_rusage(options, why))) set.source_ = "proc";
      add_reason(why);
    }
  } catch (const std::exception& e) {
    set.backend_.reset();
    add_reason(std::string("counters: ") + e.what());
  }
  for (char& c : reasons)
    if (c == '\n' || c == '\r') c = ' ';  // PAPI reasons are free text: keep the promise of one line
  set.fallback_reason_ = set.source_ == "papi" ? std::string() : reasons;
  set.quality_ = set.backend_ ? set.backend_->quality() : "unavailable";
  if (!set.backend_) set.source_ = "none";
  return set;
}

void CounterSet::start() {
  if (!backend_) return;
  backend_->start();
  started_ = true;
}

std::vector<CounterValue> CounterSet::read() {
  std::vector<CounterValue> out;
  if (backend_ && started_) backend_->read(out);
  return out;
}

void CounterSet::stop() {
  if (backend_ && started_) backend_->stop();
}

std::vector<std::string> CounterSet::names() const { return backend_ ? backend_->names() : std::vector<std::string>{}; }

CounterSource::CounterSource(std::vector<std::string> events, CounterOptions options)
    : events_(std::move(events)), options_(options) {}

std::string_view CounterSource::quality() const { return set_ ? std::string_view(set_->quality()) : "unavailable"; }

std::string CounterSource::start() {
  set_ = std::make_unique<CounterSet>(CounterSet::open(events_, options_));
  name_ = "counters." + set_->source();
  if (set_->quality() == "unavailable") return set_->fallback_reason();
  set_->start();
  return {};
}

void CounterSource::sample(std::vector<Metric>& out) {
  if (!set_) {
    count_error();
    return;
  }
  for (const auto& v : set_->read()) {
    const bool time = v.name.ends_with("_ns") || v.name == "perf::task-clock" || v.name == "perf::cpu-clock";
    const bool bytes = v.name.ends_with("_bytes");
    out.push_back({"counter." + v.name, v.value, time ? "ns" : bytes ? "B" : "1"});
  }
}

void CounterSource::stop() {
  if (set_) set_->stop();
}

}  // namespace hpcmon::sampler
