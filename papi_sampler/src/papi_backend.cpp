// PAPI source. PAPI may already be in use by the application: it is initialised only if
// nobody did, rocm_smi is disabled first (its probe prints noise on every unprefixed
// lookup), and PAPI_shutdown is never called.
#include <papi.h>
#include <pthread.h>

#include <mutex>

#include "counter_backend.hpp"

namespace hpcmon::sampler {
namespace {

std::string papi_error(int rc) {
  const char* text = PAPI_strerror(rc);
  return text ? text : ("PAPI error " + std::to_string(rc));
}

unsigned long papi_thread_id() { return static_cast<unsigned long>(pthread_self()); }

// Returns the reason PAPI cannot be used, empty when it is ready.
const std::string& ensure_papi() {
  static std::string reason;
  static std::once_flag once;
  std::call_once(once, [] {
    if (PAPI_is_initialized() != PAPI_NOT_INITED) return;  // the application owns PAPI
    PAPI_disable_component_by_name("rocm_smi");
    int rc = PAPI_library_init(PAPI_VER_CURRENT);
    if (rc != PAPI_VER_CURRENT) {
      reason = "PAPI_library_init: " + (rc > 0 ? std::string("version mismatch") : papi_error(rc));
      return;
    }
    rc = PAPI_thread_init(papi_thread_id);
    if (rc != PAPI_OK) reason = "PAPI_thread_init: " + papi_error(rc);
  });
  return reason;
}

// "perf_event component disabled: <why>" when PAPI has no CPU counters, else empty.
std::string cpu_component_state() {
  int cidx = PAPI_get_component_index("perf_event");
  if (cidx < 0) return "no perf_event component";
  const PAPI_component_info_t* info = PAPI_get_component_info(cidx);
  if (!info) return {};
  if (info->disabled) return std::string("perf_event component disabled: ") + info->disabled_reason;
  if (info->num_cntrs == 0) return "perf_event component has no counters";
  return {};
}

// A PAPI event set holds events of one component only, so a request that mixes
// components (CPU presets and SDE counters) gets one event set per component.
struct EventGroup {
  int component = -1;
  int event_set = PAPI_NULL;
  bool multiplexed = false;
  std::vector<std::size_t> slots;  // positions of its events in the requested order
  std::vector<long long> values;
};

class PapiBackend final : public CounterBackend {
 public:
  PapiBackend(std::vector<EventGroup> groups, std::vector<std::string> names)
      : groups_(std::move(groups)), names_(std::move(names)) {}

  ~PapiBackend() override {
    for (auto& g : groups_) {
      if (running_) PAPI_stop(g.event_set, g.values.data());
      PAPI_cleanup_eventset(g.event_set);
      PAPI_destroy_eventset(&g.event_set);
    }
  }

  void start() override {
    stop();
    for (auto& g : groups_) {
      std::fill(g.values.begin(), g.values.end(), 0);
      PAPI_start(g.event_set);
    }
    running_ = true;
    start_ns_ = monotonic_ns();
  }

  void read(std::vector<CounterValue>& out) override {
    const std::size_t first = out.size();
    out.resize(first + names_.size());
    const double elapsed = static_cast<double>((running_ ? monotonic_ns() : stop_ns_) - start_ns_);
    for (auto& g : groups_) {
      if (running_ && PAPI_read(g.event_set, g.values.data()) != PAPI_OK) {
        out.resize(first);  // no half sets: a value missing is better than a stale one
        return;
      }
      for (std::size_t i = 0; i < g.slots.size(); ++i)
        out[first + g.slots[i]] = {names_[g.slots[i]], static_cast<double>(g.values[i]), "papi", g.multiplexed,
                                   elapsed, g.multiplexed ? 0.0 : elapsed};
    }
  }

  void stop() override {
    if (!running_) return;
    for (auto& g : groups_) PAPI_stop(g.event_set, g.values.data());
    running_ = false;
    stop_ns_ = monotonic_ns();
  }

  std::vector<std::string> names() const override { return names_; }
  std::string quality() const override {
    for (const auto& g : groups_)
      if (g.multiplexed) return "scaled";
    return "exact";
  }

 private:
  std::vector<EventGroup> groups_;
  std::vector<std::string> names_;
  bool running_ = false;
  std::int64_t start_ns_ = 0, stop_ns_ = 0;
};

void destroy(std::vector<EventGroup>& groups) {
  for (auto& g : groups) {
    PAPI_cleanup_eventset(g.event_set);
    PAPI_destroy_eventset(&g.event_set);
  }
  groups.clear();
}

// Adds `event` to its component's group; empty on success, PAPI's reason otherwise.
std::string add_event(std::vector<EventGroup>& groups, const std::string& event, std::size_t slot) {
  int code = 0;
  if (int rc = PAPI_event_name_to_code(event.c_str(), &code); rc != PAPI_OK) return papi_error(rc);
  const int component = PAPI_get_event_component(code);
  EventGroup* group = nullptr;
  for (auto& g : groups)
    if (g.component == component) group = &g;
  if (!group) {
    EventGroup g;
    g.component = component;
    if (int rc = PAPI_create_eventset(&g.event_set); rc != PAPI_OK) return "PAPI_create_eventset: " + papi_error(rc);
    groups.push_back(std::move(g));
    group = &groups.back();
  }
  int rc = PAPI_add_event(group->event_set, code);
  if (rc == PAPI_ECNFLCT && !group->multiplexed) {
    // More events than counters: let PAPI time-share them and flag the values scaled.
    static std::once_flag multiplex_once;
    std::call_once(multiplex_once, [] { PAPI_multiplex_init(); });
    if (PAPI_set_multiplex(group->event_set) == PAPI_OK) {
      group->multiplexed = true;
      rc = PAPI_add_event(group->event_set, code);
    }
  }
  if (rc != PAPI_OK) return papi_error(rc);
  group->slots.push_back(slot);
  group->values.push_back(0);
  return {};
}

}  // namespace

std::unique_ptr<CounterBackend> open_papi(const std::vector<std::string>& events, const CounterOptions& options,
                                          std::string& why_not) {
  if (events.empty()) {
    why_not = "papi: no events requested";
    return nullptr;
  }
  if (options.scope == CounterScope::thread && options.thread_id != 0) {
    why_not = "papi: counts only the calling thread, not thread " + std::to_string(options.thread_id);
    return nullptr;
  }
  if (const std::string& reason = ensure_papi(); !reason.empty()) {
    why_not = "papi: " + reason;
    return nullptr;
  }
  std::vector<EventGroup> groups;
  FailedEvents missing;
  for (std::size_t slot = 0; slot < events.size(); ++slot)
    if (std::string error = add_event(groups, events[slot], slot); !error.empty()) missing.add(events[slot], error);
  if (!missing.empty()) {
    destroy(groups);
    why_not = "papi: " + missing.text();
    if (std::string state = cpu_component_state(); !state.empty()) why_not += " (" + state + ")";
    return nullptr;
  }
  return std::make_unique<PapiBackend>(std::move(groups), events);
}

}  // namespace hpcmon::sampler
