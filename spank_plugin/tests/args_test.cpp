#include "args.hpp"

#include <gtest/gtest.h>

#include "option.hpp"

using namespace hpcmon::spank;

namespace {

PluginArgs parse(std::vector<const char*> words, std::vector<std::string>* problems) {
  return parse_args(static_cast<int>(words.size()), words.data(), problems);
}

}  // namespace

TEST(Args, DefaultsWithoutArguments) {
  std::vector<std::string> problems;
  PluginArgs a = parse({}, &problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(a.record_dir, "/var/lib/hpcmon/records");
  EXPECT_EQ(a.agent_socket, "/run/hpcmon/agent.sock");
  EXPECT_EQ(a.run_dir, "/run/hpcmon/jobs");
  EXPECT_TRUE(a.default_on);
  EXPECT_EQ(a.interval, "1.0");
  EXPECT_EQ(a.events, "PAPI_TOT_CYC,PAPI_TOT_INS,perf::task-clock,perf::context-switches,perf::page-faults");
  EXPECT_EQ(a.preload, HPCMON_DEFAULT_PRELOAD);
}

TEST(Args, EveryKeyTakesAValidValue) {
  std::vector<std::string> problems;
  PluginArgs a = parse({"record_dir=/scratch/rec/", "agent_socket=/run/a.sock", "run_dir=/tmp/jobs",
                        "default=off", "interval=0.25", "events=PAPI_TOT_INS,sde:::Lib::Count-1",
                        "preload=/opt/hpcmon/lib/libhpcmon_mpi.so"},
                       &problems);
  EXPECT_TRUE(problems.empty()) << problems[0];
  EXPECT_EQ(a.record_dir, "/scratch/rec");
  EXPECT_EQ(a.agent_socket, "/run/a.sock");
  EXPECT_EQ(a.run_dir, "/tmp/jobs");
  EXPECT_FALSE(a.default_on);
  EXPECT_EQ(a.interval, "0.25");
  EXPECT_EQ(a.events, "PAPI_TOT_INS,sde:::Lib::Count-1");
  EXPECT_EQ(a.preload, "/opt/hpcmon/lib/libhpcmon_mpi.so");
}

TEST(Args, BadValuesAreNamedAndKeepTheirDefault) {
  std::vector<std::string> problems;
  PluginArgs a = parse({"record_dir=relative/dir", "default=yes", "interval=0", "interval=1e3",
                        "events=PAPI_TOT_INS,PAPI_TOT_INS", "events=perf::bogus", "preload=", "colour=red",
                        "verbose", "agent_socket=/ok.sock"},
                       &problems);
  const std::vector<std::string> expected = {
      "hpcmon: record_dir: invalid value: relative/dir", "hpcmon: default: invalid value: yes",
      "hpcmon: interval: invalid value: 0",              "hpcmon: interval: invalid value: 1e3",
      "hpcmon: events: invalid value: PAPI_TOT_INS,PAPI_TOT_INS",
      "hpcmon: events: invalid value: perf::bogus",      "hpcmon: preload: invalid value: ",
      "hpcmon: colour: invalid value: red",              "hpcmon: verbose: invalid value: "};
  EXPECT_EQ(problems, expected);
  EXPECT_EQ(a.record_dir, "/var/lib/hpcmon/records");
  EXPECT_TRUE(a.default_on);
  EXPECT_EQ(a.interval, "1.0");
  EXPECT_EQ(a.events, kDefaultEvents);
  EXPECT_EQ(a.preload, HPCMON_DEFAULT_PRELOAD);
  EXPECT_EQ(a.agent_socket, "/ok.sock");  // good words after bad ones still count
}

// libhpcmon_mem.so for --hpcmon-mem: beside the MPI preload unless named.
TEST(Args, MemoryPreloadBesideTheMpiPreloadOrNamed) {
  std::vector<std::string> problems;
  EXPECT_EQ(parse({"preload=/opt/hpcmon/lib/libhpcmon_mpi.so"}, &problems).mem_preload,
            "/opt/hpcmon/lib/libhpcmon_mem.so");
  EXPECT_EQ(parse({"mem_preload=/srv/mem/libhpcmon_mem.so", "preload=/opt/x/libhpcmon_mpi.so"}, &problems).mem_preload,
            "/srv/mem/libhpcmon_mem.so");
  EXPECT_TRUE(problems.empty());
  const PluginArgs bad = parse({"mem_preload=libhpcmon_mem.so"}, &problems);
  EXPECT_EQ(problems, std::vector<std::string>{"hpcmon: mem_preload: invalid value: libhpcmon_mem.so"});
  const std::string mpi = HPCMON_DEFAULT_PRELOAD;
  EXPECT_EQ(bad.mem_preload, mpi.substr(0, mpi.rfind('/') + 1) + "libhpcmon_mem.so");
}

// The site-wide switch: off unless the plugstack line says so.
TEST(Args, MemoryDefaultOffUnlessSet) {
  std::vector<std::string> problems;
  EXPECT_FALSE(parse({}, &problems).mem_default_on);
  EXPECT_TRUE(parse({"mem_default=on"}, &problems).mem_default_on);
  EXPECT_TRUE(problems.empty());
  EXPECT_FALSE(parse({"mem_default=maybe"}, &problems).mem_default_on);
  EXPECT_EQ(problems, std::vector<std::string>{"hpcmon: mem_default: invalid value: maybe"});
}

TEST(Args, IntervalRange) {
  EXPECT_TRUE(valid_interval("0.01"));
  EXPECT_TRUE(valid_interval("3600"));
  EXPECT_FALSE(valid_interval("0.009"));
  EXPECT_FALSE(valid_interval("3600.5"));
  EXPECT_FALSE(valid_interval("-1"));
  EXPECT_FALSE(valid_interval("nan"));
  EXPECT_FALSE(valid_interval("1.0.0"));
  EXPECT_FALSE(valid_interval(".5"));
  EXPECT_FALSE(valid_interval("5."));
  EXPECT_TRUE(valid_interval("0.5"));
}

TEST(Args, EventSyntax) {
  EXPECT_TRUE(valid_events("PAPI_TOT_INS"));
  EXPECT_TRUE(valid_events("perf::task-clock,perf::major-faults,PAPI_L1_DCM"));
  EXPECT_TRUE(valid_events("sde:::Lib::Counter"));
  EXPECT_FALSE(valid_events(""));
  EXPECT_FALSE(valid_events("PAPI_tot_ins"));
  EXPECT_FALSE(valid_events("PAPI_TOT_INS,"));
  EXPECT_FALSE(valid_events("PAPI_TOT_INS;rm -rf /"));
  EXPECT_FALSE(valid_events(":::x"));
  EXPECT_FALSE(valid_events("sde:::"));
  EXPECT_FALSE(valid_events("perf::task-clock,perf::task-clock"));
}

TEST(Option, OnOffAndEvents) {
  Choice c;
  ASSERT_TRUE(parse_choice("", &c));
  EXPECT_TRUE(c.given && c.on && c.events.empty());
  ASSERT_TRUE(parse_choice("off", &c));
  EXPECT_TRUE(c.given && !c.on);
  ASSERT_TRUE(parse_choice("on", &c));
  EXPECT_TRUE(c.on);
  ASSERT_TRUE(parse_choice("PAPI_TOT_INS,perf::task-clock", &c));
  EXPECT_TRUE(c.on);
  EXPECT_EQ(c.events, "PAPI_TOT_INS,perf::task-clock");
  Choice kept = c;
  EXPECT_FALSE(parse_choice("maybe", &c));
  EXPECT_EQ(c.events, kept.events);
}

TEST(Option, SettleUsesTheSiteDefaultUnlessTheUserChose) {
  std::vector<std::string> problems;
  std::vector<const char*> words = {"default=off", "events=PAPI_TOT_CYC", "interval=2"};
  PluginArgs site = parse_args(3, words.data(), &problems);
  StepSettings s = settle(site, Choice{});
  EXPECT_FALSE(s.monitor);
  EXPECT_EQ(s.events, "PAPI_TOT_CYC");
  EXPECT_EQ(s.interval, "2");
  Choice user;
  ASSERT_TRUE(parse_choice("perf::page-faults", &user));
  s = settle(site, user);
  EXPECT_TRUE(s.monitor);
  EXPECT_EQ(s.events, "perf::page-faults");
  ASSERT_TRUE(parse_choice("off", &user));
  site.default_on = true;
  EXPECT_FALSE(settle(site, user).monitor);
}

// --hpcmon-trace and the plugstack's trace= / trace_events= (hpc.trace, hpc.trace_events).
TEST(Option, TraceSwitchAndBound) {
  std::vector<std::string> problems;
  PluginArgs site = parse({}, &problems);
  EXPECT_FALSE(settle(site, Choice{}).trace);
  EXPECT_EQ(settle(site, Choice{}).trace_events, "262144");
  TraceChoice t;
  ASSERT_TRUE(parse_trace_choice("", &t));
  EXPECT_TRUE(t.given && t.on && t.events.empty());
  EXPECT_TRUE(settle(site, Choice{}, t).trace);
  ASSERT_TRUE(parse_trace_choice("100", &t));
  StepSettings s = settle(site, Choice{}, t);
  EXPECT_TRUE(s.trace);
  EXPECT_EQ(s.trace_events, "100");
  ASSERT_TRUE(parse_trace_choice("67108864", &t));
  for (const char* bad : {"0", "67108865", "-1", "1e3", "012", "yes", " 5"}) {
    EXPECT_FALSE(parse_trace_choice(bad, &t)) << bad;
    EXPECT_EQ(t.events, "67108864") << bad;  // unchanged
  }
  site = parse({"trace=on", "trace_events=5000"}, &problems);
  EXPECT_TRUE(problems.empty());
  s = settle(site, Choice{});
  EXPECT_TRUE(s.trace);
  EXPECT_EQ(s.trace_events, "5000");
  ASSERT_TRUE(parse_trace_choice("off", &t));
  EXPECT_FALSE(settle(site, Choice{}, t).trace);
  parse({"trace=yes", "trace_events=0"}, &problems);
  EXPECT_EQ(problems, (std::vector<std::string>{"hpcmon: trace: invalid value: yes",
                                                 "hpcmon: trace_events: invalid value: 0"}));
}

TEST(Args, SplitList) {
  EXPECT_EQ(split_list("PAPI_TOT_INS,perf::task-clock"), (std::vector<std::string>{"PAPI_TOT_INS", "perf::task-clock"}));
  EXPECT_EQ(split_list("a"), std::vector<std::string>{"a"});
  EXPECT_EQ(split_list(",a,,b,"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(split_list("").empty());
}
