// Step-event lines of docs/agent-protocol.md, parsed: every event, and what is refused.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "hpcmon/agent/protocol.hpp"

namespace hpcmon::agent {
namespace {

TEST(Protocol, StepStartCarriesEveryField) {
  const auto r = parse_event(test::step_start_line("12", "batch", 1700000000123456789, R"(,"restart_count":2)"));
  ASSERT_TRUE(r.event) << r.error;
  const Event& e = *r.event;
  EXPECT_EQ(e.kind, EventKind::step_start);
  EXPECT_EQ(e.id.job_id, "12");
  EXPECT_EQ(e.id.step, "batch");
  EXPECT_EQ(e.start.cluster, "testcl");
  EXPECT_EQ(e.start.job, "12");
  EXPECT_EQ(e.start.restart_count, 2u);
  EXPECT_EQ(e.start.user, "root");
  EXPECT_EQ(e.start.node, "node1");
  EXPECT_EQ(e.start.start_ns, 1700000000123456789);
  EXPECT_EQ(e.start.cpus, "0-1");
  EXPECT_EQ(e.start.job_name, "burn \"test\"");
  EXPECT_EQ(e.start.argv, "burn --seconds 1");
  EXPECT_TRUE(e.start.monitor);
  EXPECT_EQ(e.start.events, std::vector<std::string>{"perf::task-clock"});
}

TEST(Protocol, TaskAndEndEvents) {
  auto r = parse_event(test::task_line("task_exit", "7", "0", 3, 4242, 9));
  ASSERT_TRUE(r.event) << r.error;
  EXPECT_EQ(r.event->kind, EventKind::task_exit);
  EXPECT_EQ(r.event->task.task, 3);
  EXPECT_EQ(r.event->task.global_task, 3);
  EXPECT_EQ(r.event->task.pid, 4242);
  EXPECT_EQ(r.event->task.status, 9);
  r = parse_event(test::step_end_line("7", "0", 55, 137));
  ASSERT_TRUE(r.event) << r.error;
  EXPECT_EQ(r.event->end.end_ns, 55);
  EXPECT_EQ(r.event->end.exit_status, 137);
  // job_id as a string of digits is accepted too; unknown fields are ignored
  r = parse_event(R"({"v":1,"event":"task_start","job_id":"8","step":"1","pid":9,"future":{"x":1}})");
  ASSERT_TRUE(r.event) << r.error;
  EXPECT_EQ(r.event->id.job_id, "8");
}

TEST(Protocol, RefusesWithOneLineReasons) {
  struct Case {
    const char* line;
    const char* error;
  };
  const Case cases[] = {
      {"{", "not JSON"},
      {"[1]", "not a JSON object"},
      {R"({"event":"step_end"})", "missing field \"v\""},
      {R"({"v":1,"event":"reboot","job_id":1,"step":"0"})", "unknown event \"reboot\""},
      {R"({"v":1,"event":"task_start","job_id":"1/../x","step":"0","pid":3})", "field \"job_id\" is not a job number"},
      {R"({"v":1,"event":"task_start","job_id":1,"step":"0","pid":-3})", "field \"pid\" is not a process id"},
      {R"({"v":1,"event":"task_start","job_id":1,"step":"0","pid":"3"})", "field \"pid\" is not an integer"},
      {R"({"v":1,"event":"step_end","job_id":1,"step":"0","end_ns":1})", "missing field \"exit_status\""},
      {R"({"v":1,"event":"step_start","job_id":1,"step":"0","uid":-1,"user":"a","node":"n","start_ns":1})",
       "field \"uid\" is out of range"},
      {R"({"v":1,"event":"step_start","job_id":1,"step":"0","uid":0,"user":"a","node":"n","start_ns":1,"monitor":"maybe"})",
       "field \"monitor\" is not on or off"},
  };
  for (const auto& c : cases) {
    const auto r = parse_event(c.line);
    EXPECT_FALSE(r.event) << c.line;
    EXPECT_FALSE(r.unknown_version) << c.line;
    EXPECT_EQ(r.error, c.error) << c.line;
  }
  const auto v2 = parse_event(R"({"v":2,"event":"step_end"})");
  EXPECT_FALSE(v2.event);
  EXPECT_TRUE(v2.unknown_version);
  EXPECT_EQ(v2.error, "unknown protocol version 2");
  EXPECT_EQ(parse_event(std::string(kMaxLineBytes + 1, ' ')).error, "line longer than 64 KiB");
}

TEST(Protocol, CountsCpuLists) {
  EXPECT_EQ(count_cpu_list("0-3,8,10-11"), 7u);
  EXPECT_EQ(count_cpu_list("5"), 1u);
  EXPECT_EQ(count_cpu_list(""), 0u);
  EXPECT_EQ(count_cpu_list("3-1"), 0u);
  EXPECT_EQ(count_cpu_list("0-3x"), 0u);
}

}  // namespace
}  // namespace hpcmon::agent
