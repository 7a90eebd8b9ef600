// Record keys of MPI runs under Slurm and outside it.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "record_key.hpp"

namespace {

using hpcmon::mpi::record_key;

hpcmon::record::RecordKey key_for(std::map<std::string, std::string> env) {
  return record_key([&](const char* n) { return env.count(n) ? env[n] : std::string(); }, "node7",
                    1700000000123456789, 4242);
}

TEST(RecordKey, OutsideSlurm) {
  auto k = key_for({});
  EXPECT_EQ(k.cluster, "local");
  EXPECT_EQ(k.job, "local-node7-1700000000-4242");
  EXPECT_EQ(k.step, "0");
  EXPECT_EQ(k.restart_count, 0u);
}

TEST(RecordKey, PlainJobStepAndRestart) {
  auto k = key_for({{"SLURM_JOB_ID", "12"}, {"SLURM_CLUSTER_NAME", "c1"}, {"SLURM_STEP_ID", "3"},
                    {"SLURM_RESTART_COUNT", "2"}});
  EXPECT_EQ(k.cluster, "c1");
  EXPECT_EQ(k.job, "12");
  EXPECT_EQ(k.step, "3");
  EXPECT_EQ(k.restart_count, 2u);
}

TEST(RecordKey, ArrayAndHeterogeneousJobs) {
  EXPECT_EQ(key_for({{"SLURM_JOB_ID", "20"}, {"SLURM_ARRAY_JOB_ID", "12"}, {"SLURM_ARRAY_TASK_ID", "3"}}).job,
            "12_3");
  EXPECT_EQ(key_for({{"SLURM_JOB_ID", "30"}, {"SLURM_HET_JOB_ID", "30"}, {"SLURM_HET_JOB_OFFSET", "1"}}).job,
            "30+1");
}

TEST(RecordKey, SpecialSteps) {
  EXPECT_EQ(key_for({{"SLURM_JOB_ID", "1"}}).step, "batch");
  EXPECT_EQ(key_for({{"SLURM_JOB_ID", "1"}, {"SLURM_STEP_ID", "4294967291"}}).step, "batch");
  EXPECT_EQ(key_for({{"SLURM_JOB_ID", "1"}, {"SLURM_STEP_ID", "4294967292"}}).step, "extern");
  EXPECT_EQ(key_for({{"SLURM_JOB_ID", "1"}, {"SLURM_STEP_ID", "4294967290"}}).step, "interactive");
  EXPECT_EQ(key_for({{"SLURM_JOB_ID", "1"}, {"SLURM_CLUSTER_NAME", ""}}).cluster, "slurm");
}

}  // namespace
