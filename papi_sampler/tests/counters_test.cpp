// CounterSet through the fallback chain as it really runs here: PAPI's CPU component
// has no PMU, perf_event software events work, getrusage always does.
#include <gtest/gtest.h>
#include <papi.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "burn.hpp"
#include "hpcmon/sampler/counters.hpp"

using namespace hpcmon::sampler;
using sampler_test::burn_thread_cpu;
using sampler_test::clock_seconds;

namespace {

const CounterValue* find(const std::vector<CounterValue>& values, const std::string& name) {
  for (const auto& v : values)
    if (v.name == name) return &v;
  return nullptr;
}

CounterOptions perf_only(CounterScope scope = CounterScope::process, pid_t tid = 0) {
  CounterOptions o;
  o.try_papi = false;
  o.scope = scope;
  o.thread_id = tid;
  return o;
}

// PAPI's own word on its CPU component, asked independently of the sampler.
std::string papi_cpu_disabled_reason() {
  if (PAPI_is_initialized() == PAPI_NOT_INITED) {
    PAPI_disable_component_by_name("rocm_smi");
    if (PAPI_library_init(PAPI_VER_CURRENT) != PAPI_VER_CURRENT) return "library init failed";
  }
  int cidx = PAPI_get_component_index("perf_event");
  if (cidx < 0) return "no perf_event component";
  const PAPI_component_info_t* info = PAPI_get_component_info(cidx);
  return info && info->disabled ? info->disabled_reason : "";
}

}  // namespace

TEST(Counters, HardwareEventsFallBackWithOneReasonLine) {
  auto set = CounterSet::open({"PAPI_TOT_INS", "PAPI_TOT_CYC"});
  const bool pmu = access("/sys/bus/event_source/devices/cpu", F_OK) == 0 || access("/sys/devices/cpu", F_OK) == 0;
  // Without a hardware PMU the presets drop out before PAPI is even loaded.
  const std::string disabled =
      pmu ? papi_cpu_disabled_reason() : "no hardware PMU (no /sys/bus/event_source/devices/cpu)";
  if (disabled.empty()) {  // a machine with a PMU: PAPI serves, nothing dropped out
    EXPECT_EQ(set.source(), "papi");
    EXPECT_EQ(set.fallback_reason(), "");
    return;
  }
  EXPECT_EQ(set.source(), "perf_event");
  EXPECT_EQ(set.quality(), "software");
  EXPECT_NE(set.fallback_reason().find(disabled), std::string::npos) << set.fallback_reason();
  EXPECT_NE(set.fallback_reason().find("PAPI_TOT_INS"), std::string::npos);
  EXPECT_EQ(set.fallback_reason().find('\n'), std::string::npos);
  // No hardware value is invented: only the software events perf could open.
  for (const auto& name : set.names()) {
    EXPECT_NE(name, "PAPI_TOT_INS");
    EXPECT_NE(name, "perf::instructions");
  }
  EXPECT_EQ(set.names().front(), "perf::task-clock");
}

TEST(Counters, PerfTaskClockMatchesProcessCpuTime) {
  auto set = CounterSet::open({"perf::task-clock", "context-switches"}, perf_only());
  ASSERT_EQ(set.source(), "perf_event") << set.fallback_reason();
  EXPECT_EQ(set.fallback_reason(), "papi: not tried (disabled by the caller)");
  ASSERT_EQ(set.names(), (std::vector<std::string>{"perf::task-clock", "perf::context-switches"}));
  const double cpu0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
  set.start();
  burn_thread_cpu(0.2);
  auto values = set.read();
  const double cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  const auto* task_clock = find(values, "perf::task-clock");
  ASSERT_NE(task_clock, nullptr);
  EXPECT_EQ(task_clock->source, "perf_event");
  EXPECT_FALSE(task_clock->scaled);
  EXPECT_NEAR(task_clock->value * 1e-9, cpu, cpu * 0.05);
  EXPECT_GE(task_clock->value, 0.19e9);
  EXPECT_GE(task_clock->time_enabled_ns, 0.19e9);
  EXPECT_EQ(task_clock->time_running_ns, task_clock->time_enabled_ns);  // software events never multiplex
  set.stop();
  const double frozen = set.read().at(0).value;
  burn_thread_cpu(0.05);
  EXPECT_EQ(set.read().at(0).value, frozen);  // after stop, read gives the values at stop
}

TEST(Counters, PerThreadTaskClockByThreadId) {
  std::atomic<pid_t> tid_a{0}, tid_b{0};
  std::atomic<bool> go{false};
  auto worker = [&](std::atomic<pid_t>& tid, double seconds) {
    tid = static_cast<pid_t>(syscall(SYS_gettid));
    go.wait(false);  // sleeps: no CPU time before the counters start
    burn_thread_cpu(seconds);
  };
  auto process = CounterSet::open({"task-clock"}, perf_only());
  process.start();
  std::thread a(worker, std::ref(tid_a), 0.3), b(worker, std::ref(tid_b), 0.1);
  while (!tid_a || !tid_b) std::this_thread::yield();
  auto set_a = CounterSet::open({"task-clock"}, perf_only(CounterScope::thread, tid_a));
  auto set_b = CounterSet::open({"task-clock"}, perf_only(CounterScope::thread, tid_b));
  ASSERT_EQ(set_a.source(), "perf_event");
  ASSERT_EQ(set_b.source(), "perf_event");
  set_a.start();
  set_b.start();
  go = true;
  go.notify_all();
  a.join();
  b.join();
  const double sec_a = set_a.read().at(0).value * 1e-9, sec_b = set_b.read().at(0).value * 1e-9;
  EXPECT_NEAR(sec_a, 0.3, 0.03);
  EXPECT_NEAR(sec_b, 0.1, 0.01);
  // The process set was opened before both threads existed: inherit brings them in.
  EXPECT_GE(process.read().at(0).value * 1e-9, 0.4 * 0.97);
}

TEST(Counters, CallingThreadScope) {
  auto set = CounterSet::open_thread({"task-clock"});
  ASSERT_NE(set.source(), "papi");  // PAPI cannot count task-clock here
  set.start();
  std::thread other([] { burn_thread_cpu(0.15); });  // not this thread's time
  burn_thread_cpu(0.1);
  other.join();
  const auto values = set.read();
  ASSERT_FALSE(values.empty());
  EXPECT_NEAR(values[0].value * 1e-9, 0.1, 0.015);
}

TEST(Counters, GetrusageIsTheLastResort) {
  CounterOptions o;
  o.try_papi = false;
  o.try_perf_event = false;
  auto set = CounterSet::open({"PAPI_TOT_INS"}, o);
  EXPECT_EQ(set.source(), "proc");
  EXPECT_EQ(set.quality(), "software");
  EXPECT_EQ(set.fallback_reason(),
            "papi: not tried (disabled by the caller); perf_event: not tried (disabled by the caller)");
  set.start();
  burn_thread_cpu(0.2);
  const auto values = set.read();
  const auto* user = find(values, "rusage::utime_ns");
  const auto* sys = find(values, "rusage::stime_ns");
  ASSERT_TRUE(user && sys);
  EXPECT_EQ(user->source, "proc");
  EXPECT_NEAR((user->value + sys->value) * 1e-9, 0.2, 0.03);
  const auto* maxrss = find(values, "rusage::maxrss_bytes");
  ASSERT_NE(maxrss, nullptr);
  EXPECT_GT(maxrss->value, 1 << 20);
}

TEST(Counters, GetrusageForAnotherThreadReadsItsProcStat) {
  std::atomic<pid_t> tid{0};
  std::atomic<bool> go{false}, burned{false}, release{false};
  std::thread t([&] {
    tid = static_cast<pid_t>(syscall(SYS_gettid));
    go.wait(false);  // sleeps: no CPU time before the counters start
    burn_thread_cpu(0.3);
    burned = true;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  while (!tid) std::this_thread::yield();
  CounterOptions o;
  o.try_papi = o.try_perf_event = false;
  o.scope = CounterScope::thread;
  o.thread_id = tid;
  auto set = CounterSet::open({}, o);
  ASSERT_EQ(set.source(), "proc");
  set.start();
  go = true;
  go.notify_all();
  while (!burned) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto values = set.read();
  release = true;
  t.join();
  ASSERT_EQ(values.size(), 4u);  // utime, stime, minflt, majflt: /proc/<tid>/stat has no more
  const auto* user = find(values, "rusage::utime_ns");
  const auto* sys = find(values, "rusage::stime_ns");
  ASSERT_TRUE(user && sys);
  EXPECT_NEAR((user->value + sys->value) * 1e-9, 0.3, 0.03);  // clock ticks: 10 ms steps
  EXPECT_EQ(set.read().size(), 4u);  // the thread has ended: its last reading stays
}

TEST(Counters, NoEventsGivesPerfSoftwareSet) {
  auto set = CounterSet::open({});
  EXPECT_EQ(set.source(), "perf_event");
  EXPECT_EQ(set.fallback_reason(), "papi: no events requested; perf_event: using its software events");
  EXPECT_EQ(set.names().size(), 6u);
  set.start();
  EXPECT_EQ(set.read().size(), 6u);
}
