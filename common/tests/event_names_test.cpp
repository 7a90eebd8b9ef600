// Event names are checked against PAPI's own preset table (available or not on this
// machine), the perf software event list, and the component:::event syntax.
#include "hpcmon/event_names.hpp"

#include <gtest/gtest.h>

using namespace hpcmon::config;

namespace {

TEST(EventNames, PapiPresetsComeFromPapisTable) {
    ASSERT_TRUE(papi_preset_table_available());
    // This machine has no PMU: these presets are unavailable but still valid names.
    EXPECT_EQ(check_event_name("PAPI_TOT_INS"), std::nullopt);
    EXPECT_EQ(check_event_name("PAPI_L1_DCM"), std::nullopt);
    EXPECT_EQ(event_kind("PAPI_TOT_CYC"), EventKind::papi_preset);
    EXPECT_EQ(check_event_name("PAPI_XX"), "unknown event \"PAPI_XX\"");
    EXPECT_EQ(check_event_name("PAPI_tot_ins"),
              "unknown event \"PAPI_tot_ins\" (expected a PAPI_* preset, perf::<software event> "
              "or component:::event)");
}

TEST(EventNames, PerfSoftwareEvents) {
    EXPECT_EQ(perf_software_events().size(), 7u);
    for (std::string_view name : perf_software_events())
        EXPECT_EQ(event_kind("perf::" + std::string(name)), EventKind::perf_software) << name;
    EXPECT_EQ(check_event_name("perf::instructions"),
              "unknown perf software event \"perf::instructions\" (known: task-clock, cpu-clock, "
              "context-switches, cpu-migrations, page-faults, minor-faults, major-faults)");
}

TEST(EventNames, NativeEventsBySyntax) {
    EXPECT_EQ(event_kind("sde:::Lib::Counter"), EventKind::native);
    EXPECT_EQ(event_kind("perf_event:::PERF_COUNT_SW_CPU_CLOCK:u=1"), EventKind::native);
    EXPECT_EQ(check_event_name(":::Counter"),
              "bad component name in native event \":::Counter\" (expected component:::event)");
    EXPECT_EQ(check_event_name("sde:::"),
              "bad event name in native event \"sde:::\" (expected component:::event)");
    EXPECT_EQ(check_event_name("sde:::Lib Counter"),
              "bad event name in native event \"sde:::Lib Counter\" (expected component:::event)");
}

TEST(EventNames, UnprefixedNamesAreRejected) {
    EXPECT_EQ(event_kind("cycles"), std::nullopt);
    EXPECT_EQ(check_event_name(""), "empty event name");
}

}  // namespace
