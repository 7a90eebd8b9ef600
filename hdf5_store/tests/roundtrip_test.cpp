// Every field of a record survives write_record + read_record, in both traffic layouts.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "hpcmon/store.hpp"
#include "known_record.hpp"
#include "record_compare.hpp"

namespace fs = std::filesystem;
using namespace hpcmon;

namespace {

fs::path temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("hpcmon_store_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(RoundTrip, KnownRecordEveryField) {
  auto dir = temp_dir("known");
  auto rec = testkit::known_record();
  rec.job.partial = true;
  rec.job.partial_reason = "missing ranks 6-7";
  rec.mpi_table_overflows = 17;
  rec.ranks[2].counters[1] = std::nan("");  // an unreadable counter stays unreadable
  store::write_record(dir / "r.h5", rec);
  auto back = store::read_record(dir / "r.h5");
  testkit::expect_same_record(rec, back);
  fs::remove_all(dir);
}

TEST(RoundTrip, LargeJobUsesSparseTrafficAndKeepsEverything) {
  auto dir = temp_dir("sparse");
  auto rec = testkit::synthetic_record(100, 20);
  rec.traffic.push_back({3, 2, 7, 5, 500});  // traffic to another MPI world
  std::sort(rec.traffic.begin(), rec.traffic.end(), [](const auto& a, const auto& b) {
    return std::tie(a.src, a.dst_world, a.dst) < std::tie(b.src, b.dst_world, b.dst);
  });
  store::write_record(dir / "r.h5", rec);
  auto back = store::read_record(dir / "r.h5");
  testkit::expect_same_record(rec, back);
  fs::remove_all(dir);
}

// Series are deflated on two threads and stored with H5Dwrite_chunk: many chunks, a partial
// last chunk, shared and unshared time axes must all read back exactly through HDF5.
TEST(RoundTrip, LongSeriesOverManyChunks) {
  auto dir = temp_dir("chunks");
  record::JobRecord rec;
  record::Series rss{"rank", "0", "rss", "B", "proc", {}, {}};
  for (std::int64_t i = 0; i < 100'003; ++i) {
    rss.t_ns.push_back(1'700'000'000'000'000'000 + i * 1'000'000'000 + (i * 7919) % 1000);
    rss.values.push_back(static_cast<double>((i * 104729) % 1'000'003) * 0.5);
  }
  auto cpu = rss;  // same times: stored once
  cpu.metric = "cpu_util";
  for (auto& v : cpu.values) v = v / 1e6;
  auto other = rss;  // different times
  other.owner = "1";
  other.t_ns.resize(40'000);
  other.values.resize(40'000);
  other.t_ns.back() += 1;
  rec.series = {rss, cpu, other};
  store::write_record(dir / "r.h5", rec);
  testkit::expect_same_record(rec, store::read_record(dir / "r.h5"));
  fs::remove_all(dir);
}

TEST(RoundTrip, RanksWithoutCountersAndNodePartialWithoutRanks) {
  auto dir = temp_dir("nocounters");
  auto rec = testkit::known_record();
  rec.counter_names.clear();
  for (auto& r : rec.ranks) r.counters.clear();
  store::write_record(dir / "a.h5", rec);
  testkit::expect_same_record(rec, store::read_record(dir / "a.h5"));
  auto node = testkit::known_record();
  node.has_mpi = false;
  node.ranks.clear();
  node.mpi.clear();
  node.traffic.clear();
  store::write_record(dir / "b.h5", node);
  testkit::expect_same_record(node, store::read_record(dir / "b.h5"));
  fs::remove_all(dir);
}

// Size goal of the format: at most 4 KiB per rank besides the series (10 MPI functions,
// 4 traffic peers and 4 counters per rank).
TEST(Size, AtMost4KiBPerRankWithoutSeries) {
  auto dir = temp_dir("size");
  auto rec = testkit::synthetic_record(1024, 1);
  rec.series.clear();
  store::write_record(dir / "r.h5", rec);
  const auto per_rank = fs::file_size(dir / "r.h5") / 1024;
  EXPECT_LE(per_rank, 4096u);
  EXPECT_GT(per_rank, 100u);  // the tables are really there
  fs::remove_all(dir);
}

TEST(RoundTrip, EmptyRecord) {
  auto dir = temp_dir("empty");
  record::JobRecord rec;
  store::write_record(dir / "r.h5", rec);
  testkit::expect_same_record(rec, store::read_record(dir / "r.h5"));
  fs::remove_all(dir);
}

TEST(Write, AtomicCreatesFoldersMode0640AndLeavesNoTemporary) {
  auto dir = temp_dir("atomic");
  auto path = store::record_path(dir, "alice", 1'700'000'000'000'000'000, testkit::known_record().job.key);
  store::write_record(path, testkit::known_record());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(path.parent_path())) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
  // Rewriting replaces the file whole.
  auto second = testkit::known_record();
  second.job.job_name = "second";
  store::write_record(path, second);
  EXPECT_EQ(store::read_record(path).job.job_name, "second");
  fs::remove_all(dir);
}

TEST(Write, IfAbsentNeverReplaces) {
  auto dir = temp_dir("absent");
  auto first = testkit::known_record();
  auto second = first;
  second.job.job_name = "second";
  EXPECT_TRUE(store::write_record_if_absent(dir / "r.h5", first));
  EXPECT_FALSE(store::write_record_if_absent(dir / "r.h5", second));
  EXPECT_EQ(store::read_record(dir / "r.h5").job.job_name, first.job.job_name);
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);  // no temporary left behind
  fs::remove_all(dir);
}

TEST(Write, FailureIsRecordErrorAndLeavesNothing) {
  auto dir = temp_dir("fail");
  fs::create_directories(dir / "ro");
  ::chmod((dir / "ro").c_str(), 0500);
  if (::geteuid() != 0) {
    EXPECT_THROW(store::write_record(dir / "ro" / "r.h5", testkit::known_record()), store::RecordError);
  }
  // A path whose parent is a regular file cannot be created, even as root.
  { std::FILE* f = std::fopen((dir / "file").c_str(), "w"); std::fclose(f); }
  try {
    store::write_record(dir / "file" / "r.h5", testkit::known_record());
    FAIL() << "expected RecordError";
  } catch (const store::RecordError& e) {
    EXPECT_EQ(e.kind(), store::RecordError::Kind::write_failed);
  }
  fs::remove_all(dir);
}

// The host program's HDF5 error handler is untouched: not called for our failures, and
// the same handler is installed afterwards.
int host_handler_calls = 0;
herr_t host_handler(hid_t, void*) {
  ++host_handler_calls;
  return 0;
}

TEST(Guest, HostErrorHandlerRestoredAndSilent) {
  auto dir = temp_dir("guest");
  H5E_auto2_t before_func = nullptr;
  void* before_data = nullptr;
  H5Eget_auto2(H5E_DEFAULT, &before_func, &before_data);
  int marker = 0;
  H5Eset_auto2(H5E_DEFAULT, host_handler, &marker);
  // A truncated record makes HDF5 fail inside our calls.
  store::write_record(dir / "r.h5", testkit::known_record());
  fs::resize_file(dir / "r.h5", fs::file_size(dir / "r.h5") / 2);
  EXPECT_THROW(store::read_record(dir / "r.h5"), store::RecordError);
  H5E_auto2_t after_func = nullptr;
  void* after_data = nullptr;
  H5Eget_auto2(H5E_DEFAULT, &after_func, &after_data);
  EXPECT_EQ(after_func, &host_handler);
  EXPECT_EQ(after_data, &marker);
  EXPECT_EQ(host_handler_calls, 0);
  H5Eset_auto2(H5E_DEFAULT, before_func, before_data);
  fs::remove_all(dir);
}

// HDF5's own locking would refuse a file another process holds an exclusive flock on;
// with locking off (NFS, Lustre) the record still reads and writes.
TEST(Guest, FileLockingIsOff) {
  auto dir = temp_dir("lock");
  store::write_record(dir / "r.h5", testkit::known_record());
  int fd = ::open((dir / "r.h5").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  EXPECT_EQ(store::read_record(dir / "r.h5").ranks.size(), 4u);
  ::close(fd);
  fs::remove_all(dir);
}

TEST(Naming, StemAndPath) {
  record::RecordKey key{"mycluster", "12_3", "batch", 1, 2};
  EXPECT_EQ(store::record_stem(key), "mycluster.12_3.batch.r1.2");
  key.job = "../../etc/x";
  EXPECT_EQ(store::record_stem(key), "mycluster.------etc-x.batch.r1.2");
  // 2023-11-14T22:13:20Z
  auto p = store::record_path("/rec", "bob", 1'700'000'000'000'000'000, {"c", "12+1", "0", 0, 0});
  EXPECT_EQ(p, fs::path("/rec/bob/2023/11/14/c.12+1.0.r0.0.h5"));
  EXPECT_EQ(store::node_partial_path("/rec", "bob", 1'700'000'000'000'000'000, {"c", "12", "batch", 0, 0}, "n01"),
            fs::path("/rec/bob/2023/11/14/c.12.batch.r0.0.n01.part.h5"));
  EXPECT_EQ(store::format_rank_ranges({0, 1, 2, 5, 7, 8}), "0-2, 5, 7-8");
}

}  // namespace
