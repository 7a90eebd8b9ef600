// hpcmon-sample as the README's main job runs it.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {
std::string run(const std::string& command, int& status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  char buf[4096];
  for (std::size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  status = pclose(pipe);
  return out;
}
}  // namespace

TEST(Tool, PrintsSourcesAndExactlyOneFallbackLine) {
  int status = -1;
  std::string out = run(std::string(HPCMON_SAMPLE) + " --interval-ms 100 --events PAPI_TOT_INS,PAPI_TOT_CYC 2>&1", status);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  std::istringstream lines(out);
  int fallback_lines = 0;
  bool papi = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("fallback: ", 0) == 0) ++fallback_lines;
    if (line.rfind("counters: source=papi ", 0) == 0) papi = true;
  }
  EXPECT_EQ(fallback_lines, papi ? 0 : 1) << out;
  for (const char* expected : {"proc.process", "proc.cpu", "proc.memory", "proc.disk", "proc.network", "proc.load", "statvfs.filesystems", "fs./.used_fraction",
                               "cpu.total.busy_percent", "net.lo.rx_bytes", "topology: ", "binding: cpuset=",
                               "sample errors: 0"})
    EXPECT_NE(out.find(expected), std::string::npos) << expected << "\n" << out;
  EXPECT_EQ(out.find("rsmi"), std::string::npos);  // rocm_smi noise stays off
}

TEST(Tool, RejectsUnknownArguments) {
  int status = -1;
  run(std::string(HPCMON_SAMPLE) + " --bogus 2>/dev/null", status);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
}

TEST(Tool, TakesEventsFromTheConfigurationFile) {
  int status = -1;
  std::string out = run(std::string(HPCMON_SAMPLE) + " --interval-ms 20 --config " + DEFAULT_CONFIG + " 2>&1", status);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  EXPECT_NE(out.find(std::string("config: ") + DEFAULT_CONFIG + "\n"), std::string::npos) << out;
  EXPECT_NE(out.find("requested=PAPI_TOT_CYC,PAPI_TOT_INS,perf::task-clock,perf::context-switches,perf::page-faults\n"),
            std::string::npos) << out;
}

TEST(Tool, BadConfigurationIsReportedWithItsPlace) {
  const std::string path = testing::TempDir() + "/sampler_tool_bad." + std::to_string(getpid()) + ".yaml";
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("hpc:\n  events:\n    - PAPI_TOT_CYC\n    - PAPI_NOPE_NOPE\n", f);
  fclose(f);
  int status = -1;
  std::string out = run(std::string(HPCMON_SAMPLE) + " --config " + path + " 2>&1", status);
  std::remove(path.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2) << out;
  EXPECT_NE(out.find(path + ":4:"), std::string::npos) << out;  // file:line:column of the bad event
  EXPECT_NE(out.find("hpc.events[1]"), std::string::npos) << out;
}
