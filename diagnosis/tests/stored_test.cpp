// The diagnosis stored in a record (/diagnosis, format 1.1): written with the record, read
// back by hdf5_store, and turned back into the same analysis; a merge drops it (stale).
#include <unistd.h>

#include <cmath>

#include <filesystem>

#include <gtest/gtest.h>

#include "hpcmon/diagnosis.hpp"
#include "hpcmon/store.hpp"

namespace {

namespace fs = std::filesystem;
using hpcmon::record::JobRecord;

// Rank 1 is late before its sends: rank 0 waits 0.8 s of its 1 s in MPI_Recv.
JobRecord late_sender_record() {
  JobRecord rec;
  rec.job.key = {"testcl", "90", "0", 0, 0};
  rec.job.rank_count = 2;
  rec.has_mpi = true;
  for (int r = 0; r < 2; ++r) {
    hpcmon::record::RankRow row;
    row.rank = r;
    row.node = "n1";
    row.wall_s = 1;
    row.mpi_s = r == 0 ? 0.8 : 0.01;
    row.user_cpu_s = 1;
    rec.ranks.push_back(row);
  }
  hpcmon::record::MpiFunctionRow recv;
  recv.rank = 0;
  recv.function = "MPI_Recv";
  recv.calls = 4;
  recv.bytes = 4096;
  recv.total_s = 0.8;
  recv.min_s = 0.15;
  recv.max_s = 0.25;
  rec.mpi.push_back(recv);
  hpcmon::record::MpiFunctionRow send = recv;
  send.rank = 1;
  send.function = "MPI_Send";
  send.total_s = 0.01;
  send.min_s = 0.001;
  send.max_s = 0.004;
  rec.mpi.push_back(send);
  rec.traffic.push_back({1, 0, 0, 4, 4096});
  return rec;
}

TEST(Stored, TheDiagnosisGroupRoundTripsThroughTheFile) {
  JobRecord rec = late_sender_record();
  const auto analysis = hpcmon::diagnosis::analyze(rec);
  ASSERT_FALSE(analysis.findings.empty());
  ASSERT_EQ(analysis.findings[0].rule, "late_sender");
  rec.diagnosis = hpcmon::diagnosis::to_stored(analysis, 1795813200000000000LL);
  const fs::path dir = fs::temp_directory_path() / ("hpcmon-stored-" + std::to_string(::getpid()));
  const fs::path path = dir / "r.h5";
  hpcmon::store::write_record(path, rec);
  const JobRecord back = hpcmon::store::read_record(path);
  fs::remove_all(dir);
  ASSERT_TRUE(back.diagnosis.present);
  EXPECT_EQ(back.diagnosis.analysed_ns, 1795813200000000000LL);
  ASSERT_EQ(back.diagnosis.findings.size(), analysis.findings.size());
  EXPECT_EQ(back.diagnosis.findings[0].rule, "late_sender");
  EXPECT_EQ(back.diagnosis.findings[0].ranks, "1");
  EXPECT_EQ(back.diagnosis.findings[0].affected_ranks, "0");
  std::string calls;
  for (const auto& call : analysis.findings[0].calls) calls += (calls.empty() ? "" : ", ") + call;
  EXPECT_FALSE(calls.empty());
  EXPECT_EQ(back.diagnosis.findings[0].calls, calls);
  EXPECT_DOUBLE_EQ(back.diagnosis.findings[0].quantity, analysis.findings[0].quantity);
  EXPECT_EQ(back.diagnosis.findings[0].suggestion, analysis.findings[0].suggestion);
  // The JSON form read back is the analysis itself.
  const auto again = hpcmon::diagnosis::from_json(nlohmann::json::parse(back.diagnosis.analysis_json));
  EXPECT_EQ(hpcmon::diagnosis::to_json(again), hpcmon::diagnosis::to_json(analysis));
  EXPECT_EQ(hpcmon::diagnosis::to_text(again), hpcmon::diagnosis::to_text(analysis));
}

TEST(Stored, ARecordWithoutTheGroupReadsAsNotPresentAndAMergeDropsIt) {
  JobRecord rec = late_sender_record();
  const fs::path dir = fs::temp_directory_path() / ("hpcmon-stored2-" + std::to_string(::getpid()));
  hpcmon::store::write_record(dir / "plain.h5", rec);
  EXPECT_FALSE(hpcmon::store::read_record(dir / "plain.h5").diagnosis.present);
  fs::remove_all(dir);
  rec.diagnosis = hpcmon::diagnosis::to_stored(hpcmon::diagnosis::analyze(rec), 1);
  EXPECT_FALSE(hpcmon::store::merge({rec}).diagnosis.present);  // stale for the merged record
}

TEST(Stored, FromJsonToleratesMissingAndMalformedMembers) {
  const auto a = hpcmon::diagnosis::from_json(nlohmann::json::parse(R"({"pop": {"load_balance": "x"},
      "findings": [{"rule": "late_sender", "ranks": [1, "two"]}, 3]})"));
  EXPECT_TRUE(std::isnan(a.pop.load_balance));
  ASSERT_EQ(a.findings.size(), 1u);
  EXPECT_EQ(a.findings[0].ranks, std::vector<std::int32_t>{1});
  EXPECT_TRUE(hpcmon::diagnosis::from_json(nlohmann::json(3)).findings.empty());
}

}  // namespace
