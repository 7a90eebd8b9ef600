// PAPI source. libpapi (and libpfm's large relocated tables behind it) is loaded only when an
// event needs it: perf:: events go straight to perf_event_open, PAPI presets need a hardware
// PMU, native component events (sde:::..., component:::event) always need PAPI. libpapi is
// dlopen'ed privately (RTLD_LOCAL); SDE counters need libsde in the global scope, which is the
// program's business. PAPI may already be in use by the application: it is initialised only if
// nobody did, rocm_smi is disabled first (its probe prints noise on every unprefixed lookup),
// and PAPI_shutdown is never called.
#include <dlfcn.h>
#include <papi.h>
#include <pthread.h>
#include <unistd.h>

#include <mutex>

#include "counter_backend.hpp"

namespace hpcmon::sampler {
namespace {

// The PAPI entry points used here, resolved from the dlopen'ed libpapi.
struct PapiCalls {
  decltype(&::PAPI_strerror) strerror;
  decltype(&::PAPI_is_initialized) is_initialized;
  decltype(&::PAPI_disable_component_by_name) disable_component_by_name;
  decltype(&::PAPI_library_init) library_init;
  decltype(&::PAPI_thread_init) thread_init;
  decltype(&::PAPI_get_component_index) get_component_index;
  decltype(&::PAPI_get_component_info) get_component_info;
  decltype(&::PAPI_start) start;
  decltype(&::PAPI_stop) stop;
  decltype(&::PAPI_read) read;
  decltype(&::PAPI_cleanup_eventset) cleanup_eventset;
  decltype(&::PAPI_destroy_eventset) destroy_eventset;
  decltype(&::PAPI_create_eventset) create_eventset;
  decltype(&::PAPI_event_name_to_code) event_name_to_code;
  decltype(&::PAPI_get_event_component) get_event_component;
  decltype(&::PAPI_add_event) add_event;
  decltype(&::PAPI_multiplex_init) multiplex_init;
  decltype(&::PAPI_set_multiplex) set_multiplex;
};

PapiCalls papi{};

template <class F>
bool resolve(void* lib, const char* name, F& out, std::string& missing) {
  out = reinterpret_cast<F>(dlsym(lib, name));
  if (!out && missing.empty()) missing = name;
  return out != nullptr;
}

// Loads libpapi once; empty when `papi` is ready, else why not.
std::string load_libpapi() {
  void* lib = dlopen(HPCMON_LIBPAPI_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* error = dlerror();
    return std::string("cannot load ") + (error ? error : HPCMON_LIBPAPI_SONAME);
  }
  std::string missing;
  resolve(lib, "PAPI_strerror", papi.strerror, missing);
  resolve(lib, "PAPI_is_initialized", papi.is_initialized, missing);
  resolve(lib, "PAPI_disable_component_by_name", papi.disable_component_by_name, missing);
  resolve(lib, "PAPI_library_init", papi.library_init, missing);
  resolve(lib, "PAPI_thread_init", papi.thread_init, missing);
  resolve(lib, "PAPI_get_component_index", papi.get_component_index, missing);
  resolve(lib, "PAPI_get_component_info", papi.get_component_info, missing);
  resolve(lib, "PAPI_start", papi.start, missing);
  resolve(lib, "PAPI_stop", papi.stop, missing);
  resolve(lib, "PAPI_read", papi.read, missing);
  resolve(lib, "PAPI_cleanup_eventset", papi.cleanup_eventset, missing);
  resolve(lib, "PAPI_destroy_eventset", papi.destroy_eventset, missing);
  resolve(lib, "PAPI_create_eventset", papi.create_eventset, missing);
  resolve(lib, "PAPI_event_name_to_code", papi.event_name_to_code, missing);
  resolve(lib, "PAPI_get_event_component", papi.get_event_component, missing);
  resolve(lib, "PAPI_add_event", papi.add_event, missing);
  resolve(lib, "PAPI_multiplex_init", papi.multiplex_init, missing);
  resolve(lib, "PAPI_set_multiplex", papi.set_multiplex, missing);
  if (!missing.empty()) return std::string(HPCMON_LIBPAPI_SONAME) + " has no " + missing;
  return {};
}

std::string papi_error(int rc) {
  const char* text = papi.strerror(rc);
  return text ? text : ("PAPI error " + std::to_string(rc));
}

unsigned long papi_thread_id() { return static_cast<unsigned long>(pthread_self()); }

// Returns the reason PAPI cannot be used, empty when it is ready.
const std::string& ensure_papi() {
  static std::string reason;
  static std::once_flag once;
  std::call_once(once, [] {
    if (reason = load_libpapi(); !reason.empty()) return;
    if (papi.is_initialized() != PAPI_NOT_INITED) return;  // the application owns PAPI
    papi.disable_component_by_name("rocm_smi");
    int rc = papi.library_init(PAPI_VER_CURRENT);
    if (rc != PAPI_VER_CURRENT) {
      reason = "PAPI_library_init: " + (rc > 0 ? std::string("version mismatch") : papi_error(rc));
      return;
    }
    rc = papi.thread_init(papi_thread_id);
    if (rc != PAPI_OK) reason = "PAPI_thread_init: " + papi_error(rc);
  });
  return reason;
}

bool has_hardware_pmu() {
  return access("/sys/bus/event_source/devices/cpu", F_OK) == 0 || access("/sys/devices/cpu", F_OK) == 0;
}

// Which requested events PAPI is needed for, decided from the names alone so that libpapi is
// not loaded for nothing. Presets it cannot count here are added to `dropped`.
bool papi_needed(const std::vector<std::string>& events, FailedEvents& dropped) {
  bool needed = false;
  const bool pmu = has_hardware_pmu();
  for (const std::string& event : events) {
    if (event.starts_with("perf::")) continue;  // perf_event_open serves these directly
    if (event.find(":::") != std::string::npos) {
      needed = true;  // a native component event (sde:::, component:::event)
    } else if (pmu) {
      needed = true;  // a PAPI preset or libpfm name on a machine with counters
    } else {
      dropped.add(event, "no hardware PMU (no /sys/bus/event_source/devices/cpu)");
    }
  }
  return needed;
}
// "perf_event component disabled: <why>" when PAPI has no CPU counters, else empty.
std::string cpu_component_state() {
  int cidx = papi.get_component_index("perf_event");
  if (cidx < 0) return "no perf_event component";
  const PAPI_component_info_t* info = papi.get_component_info(cidx);
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
      if (running_) papi.stop(g.event_set, g.values.data());
      papi.cleanup_eventset(g.event_set);
      papi.destroy_eventset(&g.event_set);
    }
  }

  void start() override {
    stop();
    for (auto& g : groups_) {
      std::fill(g.values.begin(), g.values.end(), 0);
      papi.start(g.event_set);
    }
    running_ = true;
    start_ns_ = monotonic_ns();
  }

  void read(std::vector<CounterValue>& out) override {
    const std::size_t first = out.size();
    out.resize(first + names_.size());
    const double elapsed = static_cast<double>((running_ ? monotonic_ns() : stop_ns_) - start_ns_);
    for (auto& g : groups_) {
      if (running_ && papi.read(g.event_set, g.values.data()) != PAPI_OK) {
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
    for (auto& g : groups_) papi.stop(g.event_set, g.values.data());
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
    papi.cleanup_eventset(g.event_set);
    papi.destroy_eventset(&g.event_set);
  }
  groups.clear();
}

// Adds `event` to its component's group; empty on success, PAPI's reason otherwise.
std::string add_event(std::vector<EventGroup>& groups, const std::string& event, std::size_t slot) {
  int code = 0;
  if (int rc = papi.event_name_to_code(event.c_str(), &code); rc != PAPI_OK) return papi_error(rc);
  const int component = papi.get_event_component(code);
  EventGroup* group = nullptr;
  for (auto& g : groups)
    if (g.component == component) group = &g;
  if (!group) {
    EventGroup g;
    g.component = component;
    if (int rc = papi.create_eventset(&g.event_set); rc != PAPI_OK) return "PAPI_create_eventset: " + papi_error(rc);
    groups.push_back(std::move(g));
    group = &groups.back();
  }
  int rc = papi.add_event(group->event_set, code);
  if (rc == PAPI_ECNFLCT && !group->multiplexed) {
    // More events than counters: let PAPI time-share them and flag the values scaled.
    static std::once_flag multiplex_once;
    std::call_once(multiplex_once, [] { papi.multiplex_init(); });
    if (papi.set_multiplex(group->event_set) == PAPI_OK) {
      group->multiplexed = true;
      rc = papi.add_event(group->event_set, code);
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
  FailedEvents dropped;
  if (!papi_needed(events, dropped)) {
    if (!dropped.empty()) why_not = "papi: " + dropped.text();  // perf:: alone is no fallback
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
