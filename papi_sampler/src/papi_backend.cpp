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

class PapiBackend final : public CounterBackend {
 public:
  PapiBackend(int event_set, std::vector<std::string> names, bool multiplexed)
      : event_set_(event_set), names_(std::move(names)), multiplexed_(multiplexed), values_(names_.size(), 0) {}

  ~PapiBackend() override {
    if (running_) PAPI_stop(event_set_, values_.data());
    PAPI_cleanup_eventset(event_set_);
    PAPI_destroy_eventset(&event_set_);
  }

  void start() override {
    if (running_) PAPI_stop(event_set_, values_.data());
    std::fill(values_.begin(), values_.end(), 0);
    running_ = PAPI_start(event_set_) == PAPI_OK;
    start_ns_ = monotonic_ns();
    stop_ns_ = 0;
  }

  void read(std::vector<CounterValue>& out) override {
    if (running_ && PAPI_read(event_set_, values_.data()) != PAPI_OK) return;
    const double elapsed = static_cast<double>((running_ ? monotonic_ns() : stop_ns_) - start_ns_);
    for (std::size_t i = 0; i < names_.size(); ++i)
      out.push_back({names_[i], static_cast<double>(values_[i]), "papi", multiplexed_, elapsed,
                     multiplexed_ ? 0.0 : elapsed});
  }

  void stop() override {
    if (!running_) return;
    PAPI_stop(event_set_, values_.data());
    running_ = false;
    stop_ns_ = monotonic_ns();
  }

  std::vector<std::string> names() const override { return names_; }
  std::string quality() const override { return multiplexed_ ? "scaled" : "exact"; }

 private:
  int event_set_;
  std::vector<std::string> names_;
  bool multiplexed_;
  std::vector<long long> values_;
  bool running_ = false;
  std::int64_t start_ns_ = 0, stop_ns_ = 0;
};

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
  int event_set = PAPI_NULL;
  if (int rc = PAPI_create_eventset(&event_set); rc != PAPI_OK) {
    why_not = "papi: PAPI_create_eventset: " + papi_error(rc);
    return nullptr;
  }
  bool multiplexed = false;
  FailedEvents missing;
  for (const auto& event : events) {
    int rc = PAPI_add_named_event(event_set, event.c_str());
    if (rc == PAPI_ECNFLCT && !multiplexed) {
      // More events than counters: let PAPI time-share them and flag the values scaled.
      static std::once_flag multiplex_once;
      std::call_once(multiplex_once, [] { PAPI_multiplex_init(); });
      if (PAPI_set_multiplex(event_set) == PAPI_OK) {
        multiplexed = true;
        rc = PAPI_add_named_event(event_set, event.c_str());
      }
    }
    if (rc != PAPI_OK) missing.add(event, papi_error(rc));
  }
  if (!missing.empty()) {
    PAPI_cleanup_eventset(event_set);
    PAPI_destroy_eventset(&event_set);
    why_not = "papi: " + missing.text();
    if (std::string state = cpu_component_state(); !state.empty()) why_not += " (" + state + ")";
    return nullptr;
  }
  return std::make_unique<PapiBackend>(event_set, events, multiplexed);
}

}  // namespace hpcmon::sampler
