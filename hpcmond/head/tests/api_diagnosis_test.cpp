// The step diagnosis served by GET /api/v1/jobs/{id}: computed by the daemon from the record,
// with the thresholds of the daemon's own configuration (docs/diagnosis.md).
#include <gtest/gtest.h>
#include <unistd.h>

#include "harness.hpp"
#include "hpcmon/head/record_index.hpp"

namespace hpcmon::head {
namespace {

using test::http;

// Rank 1 works 1 s longer outside MPI than rank 0: load balance 8.5 / 9 = 0.944, above the
// default threshold (0.85), below the 0.95 this daemon is configured with.
TEST(ApiDiagnosis, StepsCarryTheDiagnosisWithTheDaemonsThresholds) {
  test::TempDir dir;
  const std::int64_t start = 1795813200LL * 1000000000LL;
  auto rec = test::mpi_record("70", "0", {"n1"}, 2, start);
  rec.ranks[0].mpi_s = 2;
  rec.ranks[1].mpi_s = 1;
  store::write_record(store::record_path(dir.path() / "records", user_name(::getuid()), start, rec.job.key), rec);

  config::Config config = config::defaults();
  config.general.log_level = "off";
  config.hpc.record_dir = (dir.path() / "records").string();
  config.api.record_scan_interval_s = 0.2;
  config.api.merge_timeout_s = 0;
  config.api.token_file = (dir.path() / "api.token").string();
  config.api.agent_token_file = (dir.path() / "agent.token").string();
  config.diagnosis.load_balance_min = 0.95;
  test::Daemon daemon(config);
  ASSERT_TRUE(test::eventually([&] { return http(daemon.url("/api/v1/jobs/70")).status == 200; }));

  const auto step = http(daemon.url("/api/v1/jobs/70")).json()["data"]["steps"][0];
  const auto& diagnosis = step["diagnosis"];
  EXPECT_NEAR(diagnosis["pop"]["load_balance"].get<double>(), 8.5 / 9, 1e-12);
  ASSERT_EQ(diagnosis["findings"].size(), 1u) << diagnosis.dump(2);
  EXPECT_EQ(diagnosis["findings"][0]["rule"], "load_imbalance");
  EXPECT_EQ(diagnosis["findings"][0]["ranks"], nlohmann::json::array({1}));
  EXPECT_NEAR(diagnosis["findings"][0]["quantity"].get<double>(), 1.0, 1e-12);
  EXPECT_TRUE(diagnosis["resources"]["cpu_efficiency"].is_null());  // no allocation in the record
}

}  // namespace
}  // namespace hpcmon::head
