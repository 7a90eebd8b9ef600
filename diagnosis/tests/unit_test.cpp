// The analysis on records built here: definitions checked with exact numbers, and records
// that lack data (no MPI part, no allocation) give notes, never a crash or a finding.
#include <cmath>

#include <gtest/gtest.h>

#include "hpcmon/diagnosis.hpp"

namespace {

using hpcmon::record::JobRecord;

hpcmon::record::RankRow rank_row(int rank, double wall, double mpi, double cpu) {
  hpcmon::record::RankRow r;
  r.rank = rank;
  r.wall_s = wall;
  r.mpi_s = mpi;
  r.user_cpu_s = cpu;
  r.rss_hwm_bytes = 100 << 20;
  return r;
}

TEST(Unit, PopMetricsFollowTheirDefinitions) {
  JobRecord rec;
  rec.job.rank_count = 4;
  // useful = 8, 6, 4, 2 s of a 10 s run: LB = 5/8, CommE = 8/10, PE = 5/10.
  for (int r = 0; r < 4; ++r) rec.ranks.push_back(rank_row(r, 10, 2 + 2 * r, 10));
  const auto a = hpcmon::diagnosis::analyze(rec);
  EXPECT_DOUBLE_EQ(a.pop.load_balance, 5.0 / 8);
  EXPECT_DOUBLE_EQ(a.pop.communication_efficiency, 0.8);
  EXPECT_DOUBLE_EQ(a.pop.parallel_efficiency, 0.5);
  EXPECT_EQ(a.pop.useful_max_rank, 0);
  EXPECT_TRUE(std::isnan(a.pop.transfer_efficiency));  // no per-function rows
  ASSERT_EQ(a.findings.size(), 1u) << hpcmon::diagnosis::to_text(a);
  EXPECT_EQ(a.findings[0].rule, "load_imbalance");
  EXPECT_EQ(a.findings[0].ranks, (std::vector<std::int32_t>{0, 1}));  // at least halfway above the median
  EXPECT_DOUBLE_EQ(a.findings[0].quantity, 8 - 4);  // slowest minus the median of the others
}

TEST(Unit, TransferAndWaitSplitUsesTheFastestCall) {
  JobRecord rec;
  rec.job.rank_count = 2;
  rec.ranks = {rank_row(0, 1, 0.5, 1), rank_row(1, 1, 0.01, 1)};
  hpcmon::record::MpiFunctionRow recv;
  recv.rank = 0;
  recv.function = "MPI_Recv";
  recv.calls = 100;
  recv.bytes = 100 * 1024;
  recv.total_s = 0.5;
  recv.min_s = 1e-5;  // 100 x 10 us transfer, the rest waiting
  recv.max_s = 0.1;
  rec.mpi.push_back(recv);
  hpcmon::record::MpiFunctionRow send = recv;
  send.rank = 1;
  send.function = "MPI_Send";
  send.total_s = 0.01;
  send.min_s = 1e-4;  // the model is smaller: 100 x 10 us latency + 100 KiB at 1 GB/s
  rec.mpi.push_back(send);
  const auto a = hpcmon::diagnosis::analyze(rec);
  const double send_transfer = 100 * 1e-5 + 100 * 1024 / 1e9;
  EXPECT_NEAR(a.mpi.transfer_s, 1e-3 + send_transfer, 1e-12);
  EXPECT_NEAR(a.mpi.wait_s, 0.499 + 0.01 - send_transfer, 1e-12);
  ASSERT_FALSE(a.mpi.families.empty());
  EXPECT_EQ(a.mpi.families[0].name, "point-to-point");
  // Ideal-network runtime max(1 - 0.001, 1 - send_transfer) = 0.999: transfer efficiency 0.999,
  // serialisation max useful / ideal = 0.99 / 0.999.
  EXPECT_NEAR(a.pop.transfer_efficiency, 0.999, 1e-12);
  EXPECT_NEAR(a.pop.serialisation_efficiency, 0.99 / 0.999, 1e-12);
}

TEST(Unit, RecordWithoutMpiPartSaysWhatItCannotEvaluate) {
  JobRecord rec;  // a node partial: no ranks, no allocation
  const auto a = hpcmon::diagnosis::analyze(rec);
  EXPECT_TRUE(a.findings.empty());
  EXPECT_TRUE(std::isnan(a.pop.load_balance));
  EXPECT_FALSE(a.pop.notes.empty());
  EXPECT_GE(a.not_evaluated.size(), 3u);
  const auto json = hpcmon::diagnosis::to_json(a);
  EXPECT_TRUE(json["pop"]["load_balance"].is_null());
  EXPECT_EQ(json["findings"].size(), 0u);
}

TEST(Unit, MemoryGrowthFromAnRssSeries) {
  JobRecord rec;
  rec.job.rank_count = 2;
  rec.ranks = {rank_row(0, 10, 1, 10), rank_row(1, 10, 1, 10)};
  hpcmon::record::Series s;
  s.owner_kind = "task";
  s.owner = "1";
  s.metric = "rss";
  s.unit = "B";
  s.source = "proc";
  for (int i = 0; i < 10; ++i) {
    s.t_ns.push_back(i * 1000000000LL);
    s.values.push_back(100.0 * (1 << 20) + i * 50.0 * (1 << 20));
  }
  rec.series.push_back(s);
  const auto a = hpcmon::diagnosis::analyze(rec);
  ASSERT_EQ(a.findings.size(), 1u) << hpcmon::diagnosis::to_text(a);
  EXPECT_EQ(a.findings[0].rule, "memory_growth");
  EXPECT_EQ(a.findings[0].ranks, std::vector<std::int32_t>{1});
  // Largest of the last quarter (samples 7-9: 550 MiB) minus largest of the first (0-2: 200 MiB).
  EXPECT_DOUBLE_EQ(a.findings[0].quantity, 350.0 * (1 << 20));
}

TEST(Unit, ThresholdsComeFromTheConfiguration) {
  JobRecord rec;
  rec.job.rank_count = 2;
  rec.ranks = {rank_row(0, 10, 1, 10), rank_row(1, 10, 2, 10)};  // LB 8.5/9 = 0.944
  EXPECT_TRUE(hpcmon::diagnosis::analyze(rec).findings.empty());
  hpcmon::config::Diagnosis strict;
  strict.load_balance_min = 0.95;
  const auto a = hpcmon::diagnosis::analyze(rec, strict);
  ASSERT_EQ(a.findings.size(), 1u);
  EXPECT_EQ(a.findings[0].rule, "load_imbalance");
  EXPECT_EQ(a.findings[0].ranks, std::vector<std::int32_t>{0});
}

TEST(Unit, FamiliesComeFromTheMpiFunctionTable) {
  EXPECT_EQ(hpcmon::diagnosis::mpi_family("MPI_Isend"), "point-to-point");
  EXPECT_EQ(hpcmon::diagnosis::mpi_family("MPI_Allreduce"), "collective");
  EXPECT_EQ(hpcmon::diagnosis::mpi_family("MPI_Waitall"), "wait");
  EXPECT_EQ(hpcmon::diagnosis::mpi_family("MPI_Put"), "one-sided");
  EXPECT_EQ(hpcmon::diagnosis::mpi_family("MPI_File_write"), "file-io");
  EXPECT_EQ(hpcmon::diagnosis::mpi_family("MPI_Init"), "lifecycle");
  EXPECT_EQ(hpcmon::diagnosis::mpi_family("MPI_Comm_split"), "other");
  EXPECT_EQ(hpcmon::diagnosis::mpi_family("not_mpi"), "other");
}

}  // namespace
