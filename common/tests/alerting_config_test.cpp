// alerting.rules and the alerting keys: a good file read back rule by rule, the rules kept
// through to_yaml() and back, durations and the description template.
#include "hpcmon/alerting_config.hpp"
#include "hpcmon/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>

using namespace hpcmon::config;

namespace {

const std::filesystem::path fixtures = HPCMON_CONFIG_FIXTURES;

TEST(Alerting, GoodFileGivesEveryRuleField) {
    const Config config = load_file(fixtures / "alerting.good.yaml", Environment::ignore);
    EXPECT_EQ(config.alerting.evaluation_interval_s, 0.5);
    EXPECT_EQ(config.alerting.disabled_builtins, std::vector<std::string>{"JobIdle"});
    EXPECT_EQ(config.alerting.smtp_port, 2525);
    ASSERT_EQ(config.alerting.rules.size(), 2u);
    const AlertRule& high = config.alerting.rules[0];
    EXPECT_EQ(high.name, "HighLoad");
    EXPECT_EQ(high.metric, "node.load1");
    EXPECT_EQ(high.match, (std::vector<std::pair<std::string, std::string>>{{"node", "node07"}}));
    EXPECT_EQ(high.op, ">=");
    EXPECT_EQ(high.threshold, 8);
    EXPECT_EQ(high.for_s, 300);
    EXPECT_EQ(high.severity, "critical");
    EXPECT_EQ(high.labels,
              (std::vector<std::pair<std::string, std::string>>{{"team", "hpc"}, {"page", "yes"}}));
    const AlertRule& big = config.alerting.rules[1];
    EXPECT_EQ(big.scope, "job");
    EXPECT_EQ(big.op, ">");  // defaults
    EXPECT_EQ(big.for_s, 0);
    EXPECT_EQ(big.severity, "warning");
    EXPECT_EQ(big.threshold, 1e9);
}

TEST(Alerting, RulesSurviveToYamlAndBack) {
    const Config config = load_file(fixtures / "alerting.good.yaml", Environment::ignore);
    const Config again = load_string(to_yaml(config), "again.yaml");
    EXPECT_EQ(again.alerting.rules, config.alerting.rules);
    EXPECT_TRUE(same_settings(again, config));
    EXPECT_FALSE(same_settings(config, defaults()));
}

TEST(Alerting, EmptyRulesListIsValid) {
    EXPECT_TRUE(load_string("alerting:\n  rules: []\n", "x.yaml").alerting.rules.empty());
    EXPECT_TRUE(load_string("alerting:\n  rules:\n", "x.yaml").alerting.rules.empty());
}

TEST(Alerting, DurationsInSecondsMinutesHoursDays) {
    EXPECT_EQ(parse_duration_text("90"), 90.0);
    EXPECT_EQ(parse_duration_text("1.5m"), 90.0);
    EXPECT_EQ(parse_duration_text("2h"), 7200.0);
    EXPECT_EQ(parse_duration_text("1d"), 86400.0);
    EXPECT_EQ(parse_duration_text("30s"), 30.0);
    EXPECT_FALSE(parse_duration_text("-1s"));
    EXPECT_FALSE(parse_duration_text("5 m"));
    EXPECT_FALSE(parse_duration_text("s"));
}

TEST(Alerting, TemplateFillsValueAndLabels) {
    const std::string text = "load {{ $value }} on {{$labels.node}} ({{ $labels.none }})";
    EXPECT_FALSE(check_alert_template(text));
    EXPECT_EQ(render_alert_template(text, 4.25, {{"node", "n7"}}), "load 4.25 on n7 ()");
    EXPECT_EQ(*check_alert_template("{{ $value"), "unclosed \"{{\" in template");
}

}  // namespace
