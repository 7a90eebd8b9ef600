// Scalar rules shared by the file and the environment: signs, case, suggestions.
#include "hpcmon/config.hpp"

#include <gtest/gtest.h>

using namespace hpcmon::config;

namespace {

TEST(Values, SignedNumbersAndCaseInsensitiveSuggestions) {
    const Config config =
        load_string("general:\n  sample_interval_s: +2.5\nsystem:\n  oom_kills_warn: +3\n", "plus");
    EXPECT_DOUBLE_EQ(config.general.sample_interval_s, 2.5);
    EXPECT_EQ(config.system.oom_kills_warn, 3);
    try {
        load_string("general:\n  log_level: INFO\n", "upper.yaml");
        FAIL() << "loaded";
    } catch (const ConfigError& error) {
        EXPECT_EQ(std::string(error.what()),
                  "upper.yaml:2:14: general.log_level: expected one of trace, debug, info, "
                  "warning, error, off; got \"INFO\" (did you mean \"info\"?)");
    }
}

}  // namespace
