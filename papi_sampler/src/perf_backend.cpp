// Linux perf_event source: counting mode, one descriptor per event and thread, read with
// time enabled / running so multiplexed hardware events are scaled and flagged.
// Process scope opens every existing thread with `inherit`, so threads and children
// created later add to the same counters.
#include <dirent.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "counter_backend.hpp"
#include "hpcmon/sampler/multiplex.hpp"

namespace hpcmon::sampler {
namespace {

struct PerfEvent {
  const char* name;  // perf(1)'s name, used as "perf::<name>"
  std::uint32_t type;
  std::uint64_t config;
};

constexpr PerfEvent kSoftwareEvents[] = {
    {"task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK},
    {"context-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
    {"cpu-migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS},
    {"page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS},
    {"minor-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN},
    {"major-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ},
};
constexpr PerfEvent kOtherEvents[] = {
    {"cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK},
    {"alignment-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_ALIGNMENT_FAULTS},
    {"emulation-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_EMULATION_FAULTS},
    {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    {"cache-references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES},
    {"cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
    {"branches", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
    {"branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES},
    {"ref-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES},
};
// PAPI presets that have a generic perf_event equivalent.
constexpr std::pair<const char*, const char*> kPresetAliases[] = {
    {"PAPI_TOT_CYC", "cycles"},         {"PAPI_TOT_INS", "instructions"}, {"PAPI_BR_INS", "branches"},
    {"PAPI_BR_MSP", "branch-misses"},   {"PAPI_REF_CYC", "ref-cycles"},   {"PAPI_L3_TCM", "cache-misses"},
    {"PAPI_L3_TCA", "cache-references"}};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

// "task-clock", "perf::TASK-CLOCK", "PAPI_TOT_INS" -> the perf event, if there is one.
std::optional<PerfEvent> find_event(const std::string& requested) {
  std::string name = requested;
  for (auto [preset, perf_name] : kPresetAliases)
    if (name == preset) name = perf_name;
  if (name.rfind("perf::", 0) == 0) name = name.substr(6);
  name = lower(name);
  if (name == "cs") name = "context-switches";
  if (name == "migrations") name = "cpu-migrations";
  if (name == "faults") name = "page-faults";
  for (const auto& e : kSoftwareEvents)
    if (name == e.name) return e;
  for (const auto& e : kOtherEvents)
    if (name == e.name) return e;
  return std::nullopt;
}

int perf_event_open(perf_event_attr& attr, pid_t tid, bool inherit, bool user_only) {
  attr.disabled = 1;
  attr.inherit = inherit ? 1 : 0;
  attr.exclude_kernel = user_only ? 1 : 0;
  attr.exclude_hv = user_only ? 1 : 0;
  return static_cast<int>(syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC));
}

std::vector<pid_t> threads_of_self() {
  std::vector<pid_t> tids;
  if (DIR* dir = opendir("/proc/self/task")) {
    while (dirent* entry = readdir(dir))
      if (entry->d_name[0] != '.') tids.push_back(static_cast<pid_t>(std::atoi(entry->d_name)));
    closedir(dir);
  }
  return tids;
}

class PerfBackend final : public CounterBackend {
 public:
  struct Counter {
    std::string name;  // "perf::task-clock"
    bool hardware;
    std::vector<int> fds;  // one per thread
  };

  PerfBackend(std::vector<Counter> counters, std::string partial)
      : counters_(std::move(counters)), partial_(std::move(partial)) {}

  ~PerfBackend() override {
    for (auto& c : counters_)
      for (int fd : c.fds) close(fd);
  }

  void start() override {
    for (auto& c : counters_)
      for (int fd : c.fds) {
        ioctl(fd, PERF_EVENT_IOC_RESET, 0);
        ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
      }
    stopped_.clear();
  }

  void read(std::vector<CounterValue>& out) override {
    if (!stopped_.empty()) {
      out.insert(out.end(), stopped_.begin(), stopped_.end());
      return;
    }
    for (const auto& c : counters_) {
      CounterValue v{c.name, 0, "perf_event", false, 0, 0};
      bool any = false;
      for (int fd : c.fds) {
        std::uint64_t triple[3];  // value, time enabled, time running (read_format order)
        if (::read(fd, triple, sizeof triple) != static_cast<ssize_t>(sizeof triple)) continue;
        ScaledCount s = scale_multiplexed(triple[0], triple[1], triple[2]);
        if (s.never_ran) {
          v.scaled = true;
          continue;
        }
        any = true;
        v.value += s.value;
        v.scaled = v.scaled || s.scaled;
        v.time_enabled_ns += static_cast<double>(triple[1]);
        v.time_running_ns += static_cast<double>(triple[2]);
      }
      if (any) out.push_back(std::move(v));  // a counter that never ran has no value to give
    }
  }

  void stop() override {
    for (auto& c : counters_)
      for (int fd : c.fds) ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
    stopped_.clear();
    read(stopped_);
  }

  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    for (const auto& c : counters_) out.push_back(c.name);
    return out;
  }

  std::string quality() const override {
    for (const auto& c : counters_)
      if (c.hardware) return "exact";
    return "software";
  }

  std::string partial_reason() const override { return partial_; }

 private:
  std::vector<Counter> counters_;
  std::string partial_;
  std::vector<CounterValue> stopped_;
};

}  // namespace

std::unique_ptr<CounterBackend> open_perf(const std::vector<std::string>& events, const CounterOptions& options,
                                          std::string& why_not) {
  const bool process = options.scope == CounterScope::process;
  std::vector<pid_t> tids;
  if (process) tids = threads_of_self();
  else tids.push_back(options.thread_id != 0 ? options.thread_id : static_cast<pid_t>(syscall(SYS_gettid)));

  bool user_only = false;  // set when perf_event_paranoid forbids kernel counting
  std::string last_error;
  auto open_counter = [&](const PerfEvent& e) -> std::optional<PerfBackend::Counter> {
    PerfBackend::Counter c{std::string("perf::") + e.name, e.type == PERF_TYPE_HARDWARE, {}};
    for (pid_t tid : tids) {
      perf_event_attr attr{};
      attr.size = sizeof attr;
      attr.type = e.type;
      attr.config = e.config;
      attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
      int fd = perf_event_open(attr, tid, process, user_only);
      if (fd < 0 && (errno == EACCES || errno == EPERM) && !user_only) {
        user_only = true;
        fd = perf_event_open(attr, tid, process, user_only);
      }
      if (fd < 0 && errno == ESRCH && process) continue;  // that thread ended meanwhile
      if (fd < 0) {
        last_error = std::strerror(errno);
        for (int open_fd : c.fds) close(open_fd);
        return std::nullopt;
      }
      c.fds.push_back(fd);
    }
    if (c.fds.empty()) return std::nullopt;
    return c;
  };

  std::vector<PerfBackend::Counter> counters;
  FailedEvents missing;
  for (const auto& requested : events) {
    auto event = find_event(requested);
    if (!event) {
      missing.add(requested, "no perf_event equivalent");
      continue;
    }
    if (auto c = open_counter(*event)) counters.push_back(std::move(*c));
    else missing.add(requested, last_error);
  }
  std::string partial;
  if (counters.empty()) {
    for (const auto& e : kSoftwareEvents)
      if (auto c = open_counter(e)) counters.push_back(std::move(*c));
    if (counters.empty()) {
      why_not = "perf_event: perf_event_open: " + (last_error.empty() ? std::string("failed") : last_error);
      return nullptr;
    }
    partial = "perf_event: using its software events";
    if (!missing.empty()) partial = "perf_event: " + missing.text() + " -> using its software events";
  } else if (!missing.empty()) {
    partial = "perf_event: " + missing.text();
  }
  if (user_only) partial += std::string(partial.empty() ? "" : "; ") + "perf_event: user space only (perf_event_paranoid)";
  return std::make_unique<PerfBackend>(std::move(counters), std::move(partial));
}

}  // namespace hpcmon::sampler
