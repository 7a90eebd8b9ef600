// The PAPI path, tested for real: this program is itself a library with Software
// Defined Events (libsde), and the sampler reads them through PAPI's SDE component by
// name, with the exact values the program put in them.
#include <gtest/gtest.h>
#include <sde_lib.h>

#include "hpcmon/sampler/counters.hpp"

using hpcmon::sampler::CounterSet;

namespace {

long long g_operations = 0;      // a delta counter: PAPI reports its change since start
long long g_queue_depth = 0;     // an instant counter: PAPI reports its current value
papi_handle_t g_handle = nullptr;
void* g_events = nullptr;       // a counter the library owns and increments

void register_counters() {
  static bool done = false;
  if (done) return;
  done = true;
  g_handle = papi_sde_init("SAMPLER_TEST");
  ASSERT_NE(g_handle, nullptr);
  ASSERT_EQ(papi_sde_register_counter(g_handle, "OPERATIONS", PAPI_SDE_RO | PAPI_SDE_DELTA, PAPI_SDE_long_long,
                                      &g_operations), 0);
  ASSERT_EQ(papi_sde_register_counter(g_handle, "QUEUE_DEPTH", PAPI_SDE_RO | PAPI_SDE_INSTANT, PAPI_SDE_long_long,
                                      &g_queue_depth), 0);
  ASSERT_EQ(papi_sde_create_counter(g_handle, "EVENTS", PAPI_SDE_DELTA, &g_events), 0);
}

}  // namespace

TEST(Sde, PapiReadsRegisteredCountersExactly) {
  register_counters();
  g_operations = 1000;  // history before start() must not show
  g_queue_depth = 7;
  auto set = CounterSet::open({"sde:::SAMPLER_TEST::OPERATIONS", "sde:::SAMPLER_TEST::QUEUE_DEPTH"});
  ASSERT_EQ(set.source(), "papi") << set.fallback_reason();
  EXPECT_EQ(set.quality(), "exact");
  EXPECT_EQ(set.fallback_reason(), "");
  set.start();
  g_operations += 12345;
  g_queue_depth = 42;
  auto values = set.read();
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[0].name, "sde:::SAMPLER_TEST::OPERATIONS");
  EXPECT_EQ(values[0].value, 12345.0);
  EXPECT_EQ(values[0].source, "papi");
  EXPECT_FALSE(values[0].scaled);
  EXPECT_EQ(values[1].value, 42.0);
  EXPECT_GT(values[0].time_enabled_ns, 0.0);
  EXPECT_EQ(values[0].time_running_ns, values[0].time_enabled_ns);

  g_operations += 5;
  set.stop();
  g_operations += 1'000'000;  // after stop: not counted
  values = set.read();
  EXPECT_EQ(values[0].value, 12350.0);

  set.start();  // a restart counts from zero again
  g_operations += 3;
  EXPECT_EQ(set.read()[0].value, 3.0);
  set.stop();
}

TEST(Sde, CreatedCounterIncrementedByTheLibrary) {
  register_counters();
  auto set = CounterSet::open({"sde:::SAMPLER_TEST::EVENTS"});
  ASSERT_EQ(set.source(), "papi") << set.fallback_reason();
  set.start();
  ASSERT_NE(g_events, nullptr);
  for (int i = 0; i < 77; ++i) papi_sde_inc_counter(g_events, 2);
  EXPECT_EQ(set.read().at(0).value, 154.0);
  set.stop();
}

TEST(Sde, UnknownEventMakesPapiDropOutNamingIt) {
  register_counters();
  // SDE accepts names a library has not registered yet (placeholders): an unknown
  // component is what PAPI itself refuses.
  auto set = CounterSet::open({"sde:::SAMPLER_TEST::OPERATIONS", "nosuchcomponent:::NO_SUCH_EVENT"});
  EXPECT_NE(set.source(), "papi");
  EXPECT_NE(set.fallback_reason().find("nosuchcomponent:::NO_SUCH_EVENT"), std::string::npos)
      << set.fallback_reason();
  EXPECT_EQ(set.fallback_reason().find('\n'), std::string::npos);
}
