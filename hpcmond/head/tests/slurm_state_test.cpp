// Slurm state words as scontrol prints them, from libslurm's state bits.
#include <gtest/gtest.h>
#include <slurm/slurm.h>

#include "hpcmon/head/slurm_collector.hpp"

namespace hpcmon::head {

TEST(SlurmState, NodeStatesReadLikeScontrol) {
  EXPECT_EQ(node_state_text(NODE_STATE_IDLE), "IDLE");
  EXPECT_EQ(node_state_text(NODE_STATE_IDLE | NODE_STATE_DRAIN), "IDLE+DRAIN");
  EXPECT_EQ(node_state_text(NODE_STATE_ALLOCATED | NODE_STATE_COMPLETING), "ALLOCATED+COMPLETING");
  EXPECT_EQ(node_state_text(NODE_STATE_DOWN | NODE_STATE_NO_RESPOND), "DOWN+NOT_RESPONDING");
  EXPECT_EQ(node_state_text(NODE_STATE_MIXED | NODE_STATE_DRAIN | NODE_STATE_RES), "MIXED+DRAIN+RESERVED");
}

TEST(SlurmState, JobStatesAndTheCompletingFlag) {
  EXPECT_EQ(job_state_text(JOB_PENDING), "PENDING");
  EXPECT_EQ(job_state_text(JOB_RUNNING), "RUNNING");
  EXPECT_EQ(job_state_text(JOB_COMPLETE), "COMPLETED");
  EXPECT_EQ(job_state_text(JOB_OOM), "OUT_OF_MEMORY");
  EXPECT_EQ(job_state_text(JOB_RUNNING | JOB_COMPLETING), "COMPLETING");
  EXPECT_EQ(job_state_text(JOB_END + 3), "UNKNOWN");
}

}  // namespace hpcmon::head
