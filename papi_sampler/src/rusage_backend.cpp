// Last-resort counter source: getrusage for the process or the calling thread, and
// /proc/self/task/<tid>/stat for another thread. Always available, software quality.
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "counter_backend.hpp"
#include "hpcmon/sampler/proc_file.hpp"
#include "hpcmon/sampler/proc_parsers.hpp"

namespace hpcmon::sampler {

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

namespace {

struct Usage {
  double utime_ns = 0, stime_ns = 0, minflt = 0, majflt = 0, nvcsw = 0, nivcsw = 0, maxrss_bytes = 0;
  bool ok = false;
};

constexpr const char* kNames[] = {"rusage::utime_ns", "rusage::stime_ns", "rusage::minflt", "rusage::majflt",
                                  "rusage::nvcsw",    "rusage::nivcsw",   "rusage::maxrss_bytes"};
constexpr std::size_t kThreadStatFields = 4;  // /proc/<tid>/stat has no context switches or maxrss

double to_ns(const timeval& tv) { return static_cast<double>(tv.tv_sec) * 1e9 + static_cast<double>(tv.tv_usec) * 1e3; }

class RusageBackend final : public CounterBackend {
 public:
  explicit RusageBackend(const CounterOptions& options) {
    if (options.scope == CounterScope::thread && options.thread_id != 0 &&
        options.thread_id != static_cast<pid_t>(syscall(SYS_gettid)))
      thread_stat_ = ProcFile("/proc/self/task/" + std::to_string(options.thread_id) + "/stat");
    who_ = options.scope == CounterScope::thread ? RUSAGE_THREAD : RUSAGE_SELF;
  }

  void start() override {
    base_ = sample();
    last_ = base_;
    start_ns_ = monotonic_ns();
    running_ = true;
  }

  void read(std::vector<CounterValue>& out) override {
    if (running_) {
      Usage now = sample();
      if (now.ok) last_ = now;  // a thread that ended keeps its last reading
    }
    if (!last_.ok || !base_.ok) return;
    const double elapsed = static_cast<double>((running_ ? monotonic_ns() : stop_ns_) - start_ns_);
    const double values[] = {last_.utime_ns - base_.utime_ns, last_.stime_ns - base_.stime_ns,
                             last_.minflt - base_.minflt,     last_.majflt - base_.majflt,
                             last_.nvcsw - base_.nvcsw,       last_.nivcsw - base_.nivcsw,
                             last_.maxrss_bytes};  // a high-water mark, not a delta
    for (std::size_t i = 0; i < count(); ++i) out.push_back({kNames[i], values[i], "proc", false, elapsed, elapsed});
  }

  void stop() override {
    if (!running_) return;
    if (Usage now = sample(); now.ok) last_ = now;
    stop_ns_ = monotonic_ns();
    running_ = false;
  }

  std::vector<std::string> names() const override { return {kNames, kNames + count()}; }
  std::string quality() const override { return "software"; }

 private:
  std::size_t count() const { return thread_stat_.path().empty() ? std::size(kNames) : kThreadStatFields; }

  Usage sample() {
    Usage u;
    if (!thread_stat_.path().empty()) {
      std::string_view text;
      if (!thread_stat_.read(text)) return u;
      auto stat = proc::parse_pid_stat(text);
      if (!stat) return u;
      const double ns_per_tick = 1e9 / static_cast<double>(sysconf(_SC_CLK_TCK));
      u.utime_ns = static_cast<double>(stat->utime_ticks) * ns_per_tick;
      u.stime_ns = static_cast<double>(stat->stime_ticks) * ns_per_tick;
      u.minflt = static_cast<double>(stat->minflt);
      u.majflt = static_cast<double>(stat->majflt);
      u.ok = true;
      return u;
    }
    rusage ru{};
    if (getrusage(who_, &ru) != 0) return u;
    u.utime_ns = to_ns(ru.ru_utime);
    u.stime_ns = to_ns(ru.ru_stime);
    u.minflt = static_cast<double>(ru.ru_minflt);
    u.majflt = static_cast<double>(ru.ru_majflt);
    u.nvcsw = static_cast<double>(ru.ru_nvcsw);
    u.nivcsw = static_cast<double>(ru.ru_nivcsw);
    u.maxrss_bytes = static_cast<double>(ru.ru_maxrss) * 1024;
    u.ok = true;
    return u;
  }

  ProcFile thread_stat_;
  int who_ = RUSAGE_SELF;
  Usage base_, last_;
  bool running_ = false;
  std::int64_t start_ns_ = 0, stop_ns_ = 0;
};

}  // namespace

std::unique_ptr<CounterBackend> open_rusage(const CounterOptions& options, std::string& why_not) {
  auto backend = std::make_unique<RusageBackend>(options);
  rusage probe{};
  if (getrusage(RUSAGE_SELF, &probe) != 0) {
    why_not = "proc: getrusage failed";
    return nullptr;
  }
  return backend;
}

}  // namespace hpcmon::sampler
