// Counters of the calling process or of one of its threads, from the best source that
// works here: PAPI named events (hardware presets, native events, SDE), then Linux
// perf_event (the requested events it knows, else its software events), then getrusage
// and /proc. Every value names its source; one line says why a better source dropped out.
// Values are read, never invented: an event no source can count is absent, not zero.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "hpcmon/sampler/source.hpp"

namespace hpcmon::sampler {

struct CounterValue {
  std::string name;     // as requested for PAPI; "perf::<event>" or "rusage::<field>" otherwise
  double value;         // since start(); scaled when `scaled`
  std::string source;   // "papi", "perf_event", "proc"
  bool scaled;          // multiplexed and extrapolated
  double time_enabled_ns;
  double time_running_ns;  // 0 for a scaled PAPI value: PAPI does not expose it
};

// What a scope covers depends on the source that serves it:
//  perf_event: process = every thread alive at open() plus the threads and child processes
//              they create afterwards (inherit); thread = that one thread.
//  proc:       process = getrusage(RUSAGE_SELF); thread = RUSAGE_THREAD, or /proc/self/task/<tid>/stat.
//  papi:       what PAPI counts for an event set started by the opening thread: that thread for
//              CPU events (PAPI_INHERIT is not set), the whole process for SDE counters.
enum class CounterScope {
  process,
  thread,  // the calling thread, or `thread_id` (perf_event and proc only)
};

struct CounterOptions {
  CounterScope scope = CounterScope::process;
  pid_t thread_id = 0;  // thread scope: 0 is the calling thread
  bool try_papi = true;
  bool try_perf_event = true;
};

class CounterBackend;  // one per source, in src/

class CounterSet {
 public:
  // Never throws: falls back PAPI -> perf_event -> /proc+getrusage.
  // A PAPI set must be started, read and stopped by the thread that opened it.
  static CounterSet open(const std::vector<std::string>& events);
  static CounterSet open(const std::vector<std::string>& events, const CounterOptions& options);
  static CounterSet open_thread(const std::vector<std::string>& events, pid_t thread_id = 0);

  CounterSet(CounterSet&& other) noexcept;
  CounterSet& operator=(CounterSet&& other) noexcept;
  ~CounterSet();

  void start();                     // zero and run the counters
  std::vector<CounterValue> read(); // since start(); after stop(), the values at stop(); empty before start()
  void stop();

  const std::string& source() const { return source_; }    // "papi", "perf_event", "proc"
  const std::string& quality() const { return quality_; }  // "exact", "scaled", "software", "unavailable"
  const std::string& fallback_reason() const { return fallback_reason_; }  // one line, empty when PAPI serves
  std::vector<std::string> names() const;  // the names read() returns, in order

 private:
  CounterSet();
  std::unique_ptr<CounterBackend> backend_;
  std::string source_, quality_, fallback_reason_;
  bool started_ = false;
};

// A CounterSet seen as a Source, for tools and benchmarks that walk every source.
class CounterSource final : public Source {
 public:
  explicit CounterSource(std::vector<std::string> events, CounterOptions options = {});
  std::string_view name() const override { return name_; }
  std::string_view measures() const override { return "counters of this process (PAPI, perf_event or getrusage)"; }
  std::string_view quality() const override;
  std::string start() override;
  void sample(std::vector<Metric>& out) override;
  void stop() override;
  const CounterSet* counters() const { return set_.get(); }

 private:
  std::vector<std::string> events_;
  CounterOptions options_;
  std::unique_ptr<CounterSet> set_;
  std::string name_ = "counters";
};

}  // namespace hpcmon::sampler
