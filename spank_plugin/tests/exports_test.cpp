// The plugin exports the SPANK hooks and its identity, nothing else (spank_hpcmon.lds).
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>

TEST(Exports, OnlyHooksAndPluginIdentity) {
  const std::string cmd = std::string("nm -D --defined-only ") + SPANK_HPCMON_SO + " | awk '{print $3}'";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::set<std::string> got;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) {
    std::string s(buf);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (!s.empty()) got.insert(s);
  }
  ASSERT_EQ(pclose(p), 0);
  const std::set<std::string> expected = {
      "plugin_name", "plugin_type", "plugin_version", "spank_plugin_version",
      "slurm_spank_init", "slurm_spank_init_post_opt", "slurm_spank_user_init", "slurm_spank_task_post_fork",
      "slurm_spank_task_exit", "slurm_spank_exit", "slurm_spank_job_prolog", "slurm_spank_job_epilog"};
  EXPECT_EQ(got, expected);
}
