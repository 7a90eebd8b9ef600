// HPCMON_<SECTION>__<KEY> overrides: applied over the file, validated like the file, and
// reported with the variable's name in place of file:line:col.
#include "hpcmon/config.hpp"
#include "hpcmon/config_schema.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;
using namespace hpcmon::config;

namespace {

const fs::path fixtures = HPCMON_CONFIG_FIXTURES;

// Sets a variable for one test and restores the previous state.
class ScopedEnv {
public:
    ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
        if (const char* old = std::getenv(name_.c_str())) old_ = old;
        setenv(name_.c_str(), value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old_) setenv(name_.c_str(), old_->c_str(), 1);
        else unsetenv(name_.c_str());
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    std::string name_;
    std::optional<std::string> old_;
};

std::string error_of_loading(const fs::path& path) {
    try {
        load_file(path);
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "(no error)";
}

TEST(Environment, OverridesTheFileAndIsRecorded) {
    ScopedEnv interval("HPCMON_GENERAL__SAMPLE_INTERVAL_S", "0.5");
    ScopedEnv enabled("HPCMON_GENERAL__ENABLED", "true");
    const Config config = load_file(fixtures / "minimal.good.yaml");
    EXPECT_DOUBLE_EQ(config.general.sample_interval_s, 0.5);
    EXPECT_TRUE(config.general.enabled);  // the file says false
    EXPECT_EQ(config.env_overrides, (std::vector<std::string>{"HPCMON_GENERAL__ENABLED",
                                                              "HPCMON_GENERAL__SAMPLE_INTERVAL_S"}));
}

TEST(Environment, IgnoredWhenAsked) {
    ScopedEnv interval("HPCMON_GENERAL__SAMPLE_INTERVAL_S", "abc");
    const Config config = load_file(fixtures / "minimal.good.yaml", Environment::ignore);
    EXPECT_DOUBLE_EQ(config.general.sample_interval_s, 1.0);
    EXPECT_TRUE(config.env_overrides.empty());
}

TEST(Environment, BadNumberNamesTheVariable) {
    ScopedEnv bad("HPCMON_GENERAL__SAMPLE_INTERVAL_S", "abc");
    const std::string error = error_of_loading(fixtures / "minimal.good.yaml");
    EXPECT_EQ(error, "HPCMON_GENERAL__SAMPLE_INTERVAL_S: general.sample_interval_s: "
                     "expected a number, got \"abc\"");
}

TEST(Environment, ErrorAccessorsNameTheVariable) {
    ScopedEnv bad("HPCMON_SYSTEM__OOM_KILLS_WARN", "-1");
    try {
        load_file(fixtures / "minimal.good.yaml");
        FAIL() << "loaded";
    } catch (const ConfigError& error) {
        EXPECT_EQ(error.file(), "HPCMON_SYSTEM__OOM_KILLS_WARN");
        EXPECT_EQ(error.line(), 0);
        EXPECT_EQ(error.column(), 0);
        EXPECT_EQ(error.key_path(), "system.oom_kills_warn");
        EXPECT_EQ(error.message(), "value -1 is out of range [0, 1000000]");
    }
}

TEST(Environment, UnknownKeyAndSection) {
    {
        ScopedEnv bad("HPCMON_GENERAL__SAMPLE_INTERVALL_S", "2");
        EXPECT_EQ(error_of_loading(fixtures / "minimal.good.yaml"),
                  "HPCMON_GENERAL__SAMPLE_INTERVALL_S: general.sample_intervall_s: unknown key "
                  "\"sample_intervall_s\" (did you mean \"sample_interval_s\"?)");
    }
    {
        ScopedEnv bad("HPCMON_ALERTS__EMAIL", "x");
        EXPECT_EQ(error_of_loading(fixtures / "minimal.good.yaml"),
                  "HPCMON_ALERTS__EMAIL: alerts.email: unknown section \"alerts\"");
    }
}

TEST(Environment, BadBoolAndChoice) {
    {
        ScopedEnv bad("HPCMON_HPC__PER_THREAD", "1");
        EXPECT_EQ(error_of_loading(fixtures / "minimal.good.yaml"),
                  "HPCMON_HPC__PER_THREAD: hpc.per_thread: expected true or false, got \"1\"");
    }
    {
        ScopedEnv bad("HPCMON_GENERAL__LOG_LEVEL", "warn");
        EXPECT_EQ(error_of_loading(fixtures / "minimal.good.yaml"),
                  "HPCMON_GENERAL__LOG_LEVEL: general.log_level: expected one of trace, debug, "
                  "info, warning, error, off; got \"warn\" (did you mean \"warning\"?)");
    }
}

TEST(Environment, ListIsCommaSeparatedAndItemsAreChecked) {
    {
        ScopedEnv events("HPCMON_HPC__EVENTS", "PAPI_TOT_INS, perf::task-clock,sde:::Lib::Counter");
        const Config config = load_file(fixtures / "minimal.good.yaml");
        EXPECT_EQ(config.hpc.events, (std::vector<std::string>{"PAPI_TOT_INS", "perf::task-clock",
                                                               "sde:::Lib::Counter"}));
    }
    {
        ScopedEnv events("HPCMON_HPC__EVENTS", "[PAPI_TOT_INS]");
        EXPECT_EQ(load_file(fixtures / "minimal.good.yaml").hpc.events,
                  std::vector<std::string>{"PAPI_TOT_INS"});
    }
    {
        ScopedEnv events("HPCMON_HPC__EVENTS", "");
        EXPECT_TRUE(load_file(fixtures / "minimal.good.yaml").hpc.events.empty());
    }
    {
        ScopedEnv events("HPCMON_HPC__EVENTS", "PAPI_TOT_INS,PAPI_XX");
        EXPECT_EQ(error_of_loading(fixtures / "minimal.good.yaml"),
                  "HPCMON_HPC__EVENTS: hpc.events[1]: unknown event \"PAPI_XX\"");
    }
    {
        ScopedEnv events("HPCMON_HPC__EVENTS", "PAPI_TOT_INS,,perf::task-clock");
        EXPECT_EQ(error_of_loading(fixtures / "minimal.good.yaml"),
                  "HPCMON_HPC__EVENTS: hpc.events[1]: empty list item");
    }
}

TEST(Environment, CrossCheckBlamesTheVariableThatBrokeIt) {
    ScopedEnv crit("HPCMON_SYSTEM__CPU_UTIL_CRIT", "0.5");
    EXPECT_EQ(error_of_loading(fixtures / "minimal.good.yaml"),
              "HPCMON_SYSTEM__CPU_UTIL_CRIT: system.cpu_util_crit: must be at least "
              "system.cpu_util_warn (0.9), got 0.5");
}

TEST(Environment, CrossCheckBlamesTheFileWhenTheFileBrokeIt) {
    ScopedEnv warn("HPCMON_SYSTEM__CPU_UTIL_WARN", "0.99");
    // full.good.yaml sets cpu_util_crit: 0.85 on line 9.
    EXPECT_EQ(error_of_loading(fixtures / "full.good.yaml"),
              (fixtures / "full.good.yaml").string() +
                  ":9:3: system.cpu_util_crit: must be at least system.cpu_util_warn (0.99), "
                  "got 0.85");
}

TEST(Environment, VariablesWithoutDoubleUnderscoreAreNotOverrides) {
    ScopedEnv path("HPCMON_CONFIG", "/nonexistent/config.yaml");
    ScopedEnv other("HPCMON_JOBDIR", "/tmp");
    const Config config = load_file(fixtures / "minimal.good.yaml");
    EXPECT_TRUE(config.env_overrides.empty());
}

TEST(Environment, DefaultPathFollowsHpcmonConfig) {
    {
        ScopedEnv path("HPCMON_CONFIG", "/tmp/site.yaml");
        EXPECT_EQ(default_path(), fs::path("/tmp/site.yaml"));
    }
    {
        ScopedEnv path("HPCMON_CONFIG", "");
        EXPECT_EQ(default_path(), fs::path("/etc/hpcmon/performance_monitoring_config.yaml"));
    }
}

TEST(Environment, ExportRebuildsTheSameConfiguration) {
    Config config = load_file(fixtures / "full.good.yaml", Environment::ignore);
    const std::vector<std::string> exported = to_environment(config);
    // Every key of the table, one variable each (sections grow: count them, don't hard-code).
    std::size_t keys = 0;
    for (const Section& section : schema()) keys += section.fields.size();
    EXPECT_GT(keys, 80u);
    EXPECT_EQ(exported.size(), keys);
    EXPECT_EQ(exported.front(), "HPCMON_GENERAL__ENABLED=false");
    EXPECT_EQ(exported.back(), "HPCMON_HISTORY__CANONICAL_RECORD_DIR=");
    Config rebuilt = defaults();
    apply_environment(rebuilt, exported);
    EXPECT_TRUE(same_settings(config, rebuilt));
    EXPECT_EQ(rebuilt.env_overrides.size(), keys);
}

TEST(Environment, ApplyEnvironmentReadsTheProcessEnvironment) {
    ScopedEnv dir("HPCMON_HPC__RECORD_DIR", "/scratch/records");
    Config config = defaults();
    apply_environment(config);
    EXPECT_EQ(config.hpc.record_dir, "/scratch/records");
    EXPECT_EQ(config.env_overrides, std::vector<std::string>{"HPCMON_HPC__RECORD_DIR"});
}

}  // namespace
