// The step diagnosis served by GET /api/v1/jobs/{id}: computed by the daemon from the record,
// with the thresholds of the daemon's own configuration (docs/diagnosis.md).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include "harness.hpp"
#include "hpcmon/head/record_index.hpp"

namespace hpcmon::head {
namespace {

using test::http;

const std::int64_t kStart = 1795813200LL * 1000000000LL;

// Step `job`.0 on two ranks, rank 1 working 1 s longer outside MPI than rank 0: load balance
// 8.5 / 9 = 0.944, above the default threshold (0.85), below the 0.95 the daemons here are
// configured with. Written as rank 0's record under dir/records; its path.
std::filesystem::path write_imbalanced_record(const std::filesystem::path& dir, const std::string& job) {
  auto rec = test::mpi_record(job, "0", {"n1"}, 2, kStart);
  rec.ranks[0].mpi_s = 2;
  rec.ranks[1].mpi_s = 1;
  const auto path = store::record_path(dir / "records", user_name(::getuid()), kStart, rec.job.key);
  store::write_record(path, rec);
  return path;
}

TEST(ApiDiagnosis, StepsCarryTheDiagnosisWithTheDaemonsThresholds) {
  test::TempDir dir;
  write_imbalanced_record(dir.path(), "70");

  config::Config config = test::records_config(dir.path());
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

// The merge stores the diagnosis in the canonical record: h5py reads the same findings from
// /diagnosis as the API serves (which says "stored": true).
TEST(ApiDiagnosis, FindingsReadFromTheCanonicalRecordWithH5pyEqualTheApis) {
  test::TempDir dir;
  const auto main = write_imbalanced_record(dir.path(), "71");

  config::Config config = test::records_config(dir.path());
  config.history.canonical_record_dir = (dir.path() / "canonical").string();
  config.diagnosis.load_balance_min = 0.95;
  test::Daemon daemon(config);
  nlohmann::json step;
  ASSERT_TRUE(test::eventually([&] {
    const auto reply = http(daemon.url("/api/v1/jobs/71"));
    if (reply.status != 200) return false;
    step = reply.json()["data"]["steps"][0];
    return step["merge"] == "merged";
  }));
  const nlohmann::json& api = step["diagnosis"];
  EXPECT_EQ(api["stored"], true);
  ASSERT_EQ(api["findings"].size(), 1u) << api.dump(2);
  EXPECT_FALSE(store::read_record(main).diagnosis.present);  // rank 0's file is untouched

  const auto canonical = dir.path() / "canonical" / main.lexically_relative(dir.path() / "records");
  const std::string script =
      "import h5py, json, sys\n"
      "f = h5py.File(sys.argv[1], 'r')\n"
      "rows = [{'rule': r['rule'].decode(), 'ranks': r['ranks'].decode(), 'quantity': float(r['quantity']),\n"
      "         'title': r['title'].decode()} for r in f['diagnosis/findings'][:]]\n"
      "print(json.dumps({'rows': rows, 'analysis': json.loads(f['diagnosis/analysis_json'][0])}))\n";
  test::write_text(dir.path() / "read.py", script, 0644);
  const std::string command = std::string(HPCMON_PYTHON) + " " + (dir.path() / "read.py").string() + " " +
                              canonical.string();
  std::FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  ASSERT_EQ(::pclose(pipe), 0) << out;
  const auto read = nlohmann::json::parse(out);
  ASSERT_EQ(read["rows"].size(), 1u);
  EXPECT_EQ(read["rows"][0]["rule"], api["findings"][0]["rule"]);
  EXPECT_EQ(read["rows"][0]["ranks"], "1");
  EXPECT_EQ(read["rows"][0]["title"], api["findings"][0]["title"]);
  EXPECT_DOUBLE_EQ(read["rows"][0]["quantity"].get<double>(), api["findings"][0]["quantity"].get<double>());
  EXPECT_EQ(read["analysis"]["findings"], api["findings"]);
  EXPECT_EQ(read["analysis"]["pop"], api["pop"]);
}

}  // namespace
}  // namespace hpcmon::head
