// Fixture files: every <case>.bad.yaml must fail with exactly the error of its row in
// fixtures/bad_cases.tsv; every <case>.good.yaml loads with the values checked below.
#include "hpcmon/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using namespace hpcmon::config;

namespace {

const fs::path fixtures = HPCMON_CONFIG_FIXTURES;

struct BadCase {
    std::string file;
    std::string error;
};

void PrintTo(const BadCase& c, std::ostream* out) { *out << c.file; }

std::vector<BadCase> read_bad_cases() {
    std::vector<BadCase> cases;
    std::ifstream table(fixtures / "bad_cases.tsv");
    std::string line;
    while (std::getline(table, line)) {
        if (line.empty() || line.front() == '#') continue;
        const auto tab = line.find('\t');
        cases.push_back({line.substr(0, tab), line.substr(tab + 1)});
    }
    return cases;
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

ConfigError load_bad_file(const fs::path& path) {
    try {
        load_file(path, Environment::ignore);
    } catch (const ConfigError& error) {
        return error;
    }
    ADD_FAILURE() << path << " loaded without an error";
    return ConfigError("", 0, 0, "", "");
}

Config load_good(const std::string& name) { return load_file(fixtures / name, Environment::ignore); }

class BadFile : public testing::TestWithParam<BadCase> {};

TEST_P(BadFile, FailsWithTheExactErrorOfItsTableRow) {
    const BadCase& c = GetParam();
    const ConfigError error = load_bad_file(fixtures / c.file);
    EXPECT_EQ(error.what(), fixtures.string() + "/" + c.error);
}

TEST_P(BadFile, LoadStringGivesTheSameErrorAndItsParts) {
    const BadCase& c = GetParam();
    try {
        load_string(read_text(fixtures / c.file), c.file);
        FAIL() << c.file << " loaded without an error";
    } catch (const ConfigError& error) {
        EXPECT_EQ(error.what(), c.error);
        // "file:line:col: key.path: message" taken apart must match the accessors.
        std::istringstream parts(c.error);
        std::string file, line, column;
        std::getline(parts, file, ':');
        std::getline(parts, line, ':');
        std::getline(parts, column, ':');
        EXPECT_EQ(error.file(), c.file);
        EXPECT_EQ(error.line(), std::stoi(line));
        EXPECT_EQ(error.column(), std::stoi(column));
        EXPECT_GE(error.line(), 1);
        EXPECT_GE(error.column(), 1);
        const std::string rest = c.error.substr(file.size() + line.size() + column.size() + 4);
        EXPECT_EQ(rest, error.key_path() + ": " + error.message());
    }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, BadFile, testing::ValuesIn(read_bad_cases()),
                         [](const testing::TestParamInfo<BadCase>& info) {
                             std::string name = info.param.file.substr(0, info.param.file.find('.'));
                             return name;
                         });

TEST(Fixtures, TableAndBadFilesMatchOneToOne) {
    std::set<std::string> files, rows;
    for (const auto& entry : fs::directory_iterator(fixtures))
        if (entry.path().filename().string().ends_with(".bad.yaml"))
            files.insert(entry.path().filename().string());
    for (const BadCase& c : read_bad_cases()) {
        EXPECT_TRUE(rows.insert(c.file).second) << "two rows for " << c.file;
        EXPECT_TRUE(c.error.starts_with(c.file + ":")) << c.error;
    }
    EXPECT_EQ(files, rows);
    EXPECT_GE(rows.size(), 15u);
}

TEST(GoodFiles, MinimalKeepsEveryOtherDefault) {
    Config config = load_good("minimal.good.yaml");
    EXPECT_FALSE(config.general.enabled);
    config.general.enabled = true;
    EXPECT_TRUE(same_settings(config, defaults()));
    EXPECT_EQ(config.source, (fixtures / "minimal.good.yaml").string());
    EXPECT_TRUE(config.env_overrides.empty());
}

TEST(GoodFiles, FullSetsEveryKey) {
    const Config config = load_good("full.good.yaml");
    EXPECT_FALSE(config.general.enabled);
    EXPECT_EQ(config.general.log_level, "debug");
    EXPECT_DOUBLE_EQ(config.general.sample_interval_s, 0.25);
    EXPECT_DOUBLE_EQ(config.general.node_sample_interval_s, 10.0);
    EXPECT_DOUBLE_EQ(config.system.cpu_util_warn, 0.8);
    EXPECT_DOUBLE_EQ(config.system.cpu_util_crit, 0.85);
    EXPECT_DOUBLE_EQ(config.system.memory_used_warn, 0.7);
    EXPECT_DOUBLE_EQ(config.system.memory_used_crit, 0.75);
    EXPECT_DOUBLE_EQ(config.system.swap_used_warn, 0.1);
    EXPECT_DOUBLE_EQ(config.system.load_per_core_warn, 1.5);
    EXPECT_DOUBLE_EQ(config.system.load_per_core_crit, 3.0);
    EXPECT_DOUBLE_EQ(config.system.disk_used_warn, 0.6);
    EXPECT_DOUBLE_EQ(config.system.disk_used_crit, 0.99);
    EXPECT_EQ(config.system.oom_kills_warn, 0);
    EXPECT_EQ(config.hpc.events, (std::vector<std::string>{"PAPI_L1_DCM", "perf::cpu-migrations"}));
    EXPECT_TRUE(config.hpc.per_thread);
    EXPECT_EQ(config.hpc.record_dir, "/scratch/hpcmon records");
    EXPECT_TRUE(config.hpc.trace);
    EXPECT_EQ(config.hpc.trace_events, 1000);
    EXPECT_EQ(config.agent.socket, "/var/run/hpcmon-test/agent.sock");
    EXPECT_EQ(config.agent.node_name, "node07");
    EXPECT_EQ(config.agent.record_group, "hpcusers");
    EXPECT_EQ(config.agent.head_url, "https://head.example:3002");
    EXPECT_EQ(config.agent.token_file, "/etc/hpcmon/push.token");
    EXPECT_DOUBLE_EQ(config.agent.push_interval_s, 2.0);
    EXPECT_EQ(config.agent.spool_dir, "/var/spool/hpcmon");
    EXPECT_EQ(config.agent.spool_max_bytes, 1048576);
    EXPECT_EQ(config.api.listen_address, "0.0.0.0");
    EXPECT_EQ(config.api.port, 3101);
    EXPECT_EQ(config.api.access, "user");
    EXPECT_EQ(config.api.token_file, "/etc/hpcmon/read.token");
    EXPECT_EQ(config.api.agent_token_file, "/etc/hpcmon/push.token");
    EXPECT_EQ(config.api.admin_group, "hpcadmins");
    EXPECT_EQ(config.api.max_body_bytes, 4096);
    EXPECT_DOUBLE_EQ(config.api.record_scan_interval_s, 2.0);
    EXPECT_DOUBLE_EQ(config.api.slurm_poll_interval_s, 1.5);
    EXPECT_DOUBLE_EQ(config.api.merge_timeout_s, 60.0);
}

TEST(GoodFiles, EmptySectionsKeepDefaultsAndAnEmptyListIsKept) {
    const Config config = load_good("empty_section.good.yaml");
    EXPECT_TRUE(config.hpc.events.empty());
    Config expected = defaults();
    expected.hpc.events.clear();
    EXPECT_TRUE(same_settings(config, expected));
}

TEST(GoodFiles, NativeAndQuotedEventsInABlockListAtKeyIndent) {
    const Config config = load_good("native_events.good.yaml");
    EXPECT_EQ(config.hpc.events,
              (std::vector<std::string>{"sde:::Lib::Counter", "perf::task-clock", "PAPI_TOT_CYC",
                                        "net:::lo:rx:bytes"}));
    EXPECT_EQ(config.hpc.record_dir, "/var/tmp/hpcmon");
}

TEST(GoodFiles, EveryGoodFileRoundTripsThroughToYaml) {
    for (const auto& entry : fs::directory_iterator(fixtures)) {
        const std::string name = entry.path().filename().string();
        if (!name.ends_with(".good.yaml")) continue;
        const Config config = load_good(name);
        const Config again = load_string(to_yaml(config), "dump");
        EXPECT_TRUE(same_settings(config, again)) << name << ":\n" << to_yaml(config);
    }
}

TEST(Files, MissingFileAndDirectoryAreErrorsWithoutPosition) {
    const fs::path missing = fixtures / "no_such_file.yaml";
    const ConfigError error = load_bad_file(missing);
    EXPECT_EQ(error.what(), missing.string() + ": cannot open: No such file or directory");
    EXPECT_EQ(error.line(), 0);
    const ConfigError directory = load_bad_file(fixtures);
    EXPECT_EQ(directory.what(), fixtures.string() + ": cannot read: is a directory");
}

TEST(Strings, CrLfLineEndsGiveTheSamePositions) {
    try {
        load_string("general:\r\n  enabled: true\r\n  log_level: loud\r\n", "crlf.yaml");
        FAIL() << "loaded";
    } catch (const ConfigError& error) {
        EXPECT_EQ(std::string(error.what()),
                  "crlf.yaml:3:14: general.log_level: expected one of trace, debug, info, "
                  "warning, error, off; got \"loud\"");
    }
}

}  // namespace
