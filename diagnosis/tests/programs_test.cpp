// Planted pathologies: each program in programs/ runs under real mpirun (2 ranks bound to
// cores) with the MPI preload; its record is read back and analysed with the default
// thresholds. The expected finding must name the planted rank with a quantity within 25 %
// of the planted one, and no finding may blame another rank. The healthy program must give no
// finding in 5 runs out of 5.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "hpcmon/diagnosis.hpp"
#include "hpcmon/store.hpp"
#include "run_command.hpp"

namespace fs = std::filesystem;
using hpcmon::diagnosis::Analysis;
using hpcmon::diagnosis::Finding;
using hpcmon::workloads::CommandEnv;
using hpcmon::workloads::run_command;

namespace {

constexpr int kRanks = 2;

struct Scratch {
  fs::path path;
  Scratch() {
    std::string templ = (fs::temp_directory_path() / "hpcmon-diagnosis-XXXXXX").string();
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    path = templ;
  }
  ~Scratch() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

struct PlantedRun {
  hpcmon::record::JobRecord rec;
  Analysis analysis;
  std::string text;  // for failure messages
};

// One run of diagnosis_program_<name> with the planted values; the record read back.
PlantedRun run_program(const std::string& name, const std::vector<std::pair<std::string, std::string>>& plant,
                       const fs::path& keep_record = {}) {
  Scratch scratch;
  const fs::path records = scratch.path / "records";
  std::vector<std::pair<std::string, std::string>> env = {{"LD_PRELOAD", HPCMON_PRELOAD},
                                                          {"HPCMON_OUTPUT_DIR", records.string()},
                                                          {"PLANT_DIR", scratch.path.string()}};
  std::vector<std::string> argv = {"timeout", "60", HPCMON_MPIEXEC, "-np", std::to_string(kRanks), "--bind-to", "core"};
  for (const char* pass : {"LD_PRELOAD", "HPCMON_OUTPUT_DIR", "PLANT_DIR"}) argv.insert(argv.end(), {"-x", pass});
  for (const auto& p : plant) {
    env.push_back(p);
    argv.insert(argv.end(), {"-x", p.first});
  }
  argv.push_back(std::string(HPCMON_DIAGNOSIS_PROGRAM_DIR) + "/diagnosis_program_" + name);
  // The ranks in a session of their own at the highest priority: on a shared 2-core machine
  // other processes' time slices would be measured as waits and idle time, noise far above the
  // planted effects.
  const auto result = run_command(argv, CommandEnv{env, {}, true}, scratch.path);
  const std::string log = result.out + result.err;
  if (result.exit_code != 0)
    throw std::runtime_error(name + " exited with " + std::to_string(result.exit_code) + ":\n" + log);
  std::vector<fs::path> found;
  for (const auto& entry : fs::recursive_directory_iterator(records))
    if (entry.path().extension() == ".h5") found.push_back(entry.path());
  if (found.size() != 1) throw std::runtime_error(name + ": expected one record, output:\n" + log);
  if (!keep_record.empty()) fs::copy_file(found.front(), keep_record);
  PlantedRun out;
  out.rec = hpcmon::store::read_record(found.front());
  out.analysis = hpcmon::diagnosis::analyze(out.rec);
  out.text = hpcmon::diagnosis::to_text(out.analysis);
  return out;
}

const Finding* find_rule(const Analysis& a, const std::string& rule) {
  for (const auto& f : a.findings)
    if (f.rule == rule) return &f;
  return nullptr;
}

double figure(const Finding& f, const std::string& name) {
  for (const auto& [n, v] : f.figures)
    if (n == name) return v;
  return -1;
}

bool names(const Finding& f, int rank) { return std::find(f.ranks.begin(), f.ranks.end(), rank) != f.ranks.end(); }

// The planted finding is there, names `rank` (only it, unless `also_others`), and its quantity
// is within 25 % of `planted`; every other finding names the planted rank too.
void expect_planted(const PlantedRun& run, const std::string& rule, int rank, double planted, bool also_others = false) {
  const Finding* f = find_rule(run.analysis, rule);
  ASSERT_NE(f, nullptr) << "no " << rule << " finding:\n" << run.text;
  EXPECT_TRUE(names(*f, rank)) << run.text;
  if (!also_others) {
    EXPECT_EQ(f->ranks, std::vector<std::int32_t>{rank}) << run.text;
  }
  EXPECT_NEAR(f->quantity, planted, 0.25 * planted) << run.text;
  for (const auto& other : run.analysis.findings)
    EXPECT_TRUE(names(other, rank)) << other.rule << " blames other ranks:\n" << run.text;
}

TEST(Planted, healthy) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    const PlantedRun run = run_program("healthy", {});
    EXPECT_TRUE(run.analysis.findings.empty()) << "run " << attempt + 1 << " of 5:\n" << run.text;
    // The noise the planted effects must dwarf: imbalance of useful time in a healthy run.
    const auto& pop = run.analysis.pop;
    EXPECT_LT(pop.useful_max_s - pop.useful_mean_s, 0.04) << run.text;
  }
}

TEST(Planted, imbalance) {
  const PlantedRun run = run_program("imbalance", {{"PLANT_RANK", "0"}, {"PLANT_MS", "400"}});
  expect_planted(run, "load_imbalance", 0, 0.400);
  EXPECT_LT(run.analysis.pop.load_balance, 0.85);
}

TEST(Planted, late_sender) {
  const PlantedRun run = run_program("late_sender", {{"PLANT_RANK", "1"}, {"PLANT_MS", "400"}});
  expect_planted(run, "late_sender", 1, 0.400);
  const Finding* f = find_rule(run.analysis, "late_sender");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->affected_ranks, std::vector<std::int32_t>{0});
  EXPECT_EQ(f->calls.front(), "MPI_Recv");
}

TEST(Planted, serialisation) {
  const PlantedRun run = run_program("serialisation", {{"PLANT_RANK", "1"}, {"PLANT_MS", "400"}});
  expect_planted(run, "serialisation", 1, 0.400);
  const Finding* f = find_rule(run.analysis, "serialisation");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->calls.front(), "MPI_Bcast");
}

TEST(Planted, collectives) {
  const PlantedRun run = run_program("collectives", {{"PLANT_RANK", "0"}, {"PLANT_MS", "400"}});
  expect_planted(run, "collective_dominated", 0, 0.400);
}

TEST(Planted, storm) {
  const PlantedRun run = run_program("storm", {{"PLANT_RANK", "1"}, {"PLANT_COUNT", "200000"}});
  expect_planted(run, "small_message_storm", 1, 200000);
}

TEST(Planted, barriers) {
  // Barriers are collective: every rank calls them, so every rank is named.
  const PlantedRun run = run_program("barriers", {{"PLANT_RANK", "1"}, {"PLANT_COUNT", "20000"}});
  expect_planted(run, "barrier_overuse", 1, 20000, true);
}

TEST(Planted, idle) {
  const PlantedRun run = run_program("idle", {{"PLANT_RANK", "1"}, {"PLANT_MS", "400"}});
  expect_planted(run, "low_cpu", 1, 0.400);
}

TEST(Planted, memory) {
  const PlantedRun run = run_program("memory", {{"PLANT_RANK", "0"}, {"PLANT_MB", "256"}});
  expect_planted(run, "memory_growth", 0, 256.0 * 1024 * 1024);
}

TEST(Planted, io) {
  const PlantedRun run = run_program("io", {{"PLANT_RANK", "1"}, {"PLANT_MB", "256"}});
  const Finding* f = find_rule(run.analysis, "io_bound");
  ASSERT_NE(f, nullptr) << run.text;
  EXPECT_EQ(f->ranks, std::vector<std::int32_t>{1}) << run.text;
  EXPECT_NEAR(figure(*f, "io_bytes"), 256.0 * 1024 * 1024, 0.25 * 256.0 * 1024 * 1024) << run.text;
  for (const auto& other : run.analysis.findings) EXPECT_TRUE(names(other, 1)) << run.text;
}

TEST(Planted, allocation) {
  // Slurm's request (16 cores, 8 GiB) as the node partial would bring it, on a healthy run of
  // 2 busy ranks: 14 cores and nearly 8 GiB requested for nothing.
  PlantedRun run = run_program("healthy", {});
  run.rec.job.allocation.cores = 16;
  run.rec.job.allocation.memory_bytes = 8ULL << 30;
  run.analysis = hpcmon::diagnosis::analyze(run.rec);
  run.text = hpcmon::diagnosis::to_text(run.analysis);
  const Finding* cores = find_rule(run.analysis, "cores_overrequested");
  ASSERT_NE(cores, nullptr) << run.text;
  EXPECT_NEAR(cores->quantity, 14, 0.25 * 14) << run.text;
  const Finding* memory = find_rule(run.analysis, "memory_overrequested");
  ASSERT_NE(memory, nullptr) << run.text;
  EXPECT_NEAR(memory->quantity, 8.0 * (1ULL << 30), 0.25 * 8.0 * (1ULL << 30)) << run.text;
  EXPECT_EQ(run.analysis.findings.size(), 2u) << run.text;
}

// `hpcmon report` shows the findings (text and --json) of a planted record.
TEST(Planted, report) {
  Scratch scratch;
  const fs::path record = scratch.path / "late_sender.h5";
  run_program("late_sender", {{"PLANT_RANK", "1"}, {"PLANT_MS", "400"}}, record);
  const CommandEnv no_config{{{"HPCMON_CONFIG", (scratch.path / "none.yaml").string()}}, {}};
  const auto text = run_command({HPCMON_CLI, "report", record.string()}, no_config, scratch.path);
  ASSERT_EQ(text.exit_code, 0) << text.out << text.err;
  const std::string report = text.out;
  EXPECT_NE(report.find("Findings:\n  1. [late_sender] rank 0 waits"), std::string::npos) << report;
  EXPECT_NE(report.find("POP efficiency: parallel"), std::string::npos) << report;
  const auto json = run_command({HPCMON_CLI, "report", "--json", record.string()}, no_config, scratch.path);
  ASSERT_EQ(json.exit_code, 0) << json.out << json.err;
  const auto parsed = nlohmann::json::parse(json.out);
  ASSERT_EQ(parsed["diagnosis"]["findings"].size(), 1u) << parsed["diagnosis"].dump(2);
  EXPECT_EQ(parsed["diagnosis"]["findings"][0]["rule"], "late_sender");
  EXPECT_EQ(parsed["diagnosis"]["findings"][0]["ranks"], nlohmann::json::array({1}));
}

}  // namespace
