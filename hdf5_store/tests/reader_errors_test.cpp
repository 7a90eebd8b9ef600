// The reader refuses bad input with the right kind and a one-line message, never a crash,
// and accepts every minor version of its major.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "fixtures.hpp"
#include "hpcmon/store.hpp"
#include "known_record.hpp"

namespace fs = std::filesystem;
using namespace hpcmon;
using Kind = store::RecordError::Kind;

namespace {

class ReaderErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("hpcmon_reader_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The kind read_record throws for `path`, checking that the message is one line naming the file.
  Kind kind_of(const fs::path& path) {
    try {
      store::read_record(path);
    } catch (const store::RecordError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
      EXPECT_EQ(msg.rfind(path.string(), 0), 0u) << msg;
      return e.kind();
    }
    ADD_FAILURE() << path << " was accepted";
    return Kind::write_failed;
  }

  fs::path dir_;
};

TEST_F(ReaderErrors, MissingFileIsUnreadable) { EXPECT_EQ(kind_of(dir_ / "nope.h5"), Kind::unreadable); }

TEST_F(ReaderErrors, EmptyAndRandomBytesAreNotHdf5) {
  { std::ofstream(dir_ / "empty.h5"); }
  EXPECT_EQ(kind_of(dir_ / "empty.h5"), Kind::not_hdf5);
  testkit::write_random_bytes(dir_ / "random.h5");
  EXPECT_EQ(kind_of(dir_ / "random.h5"), Kind::not_hdf5);
}

TEST_F(ReaderErrors, ForeignHdf5IsNotHpcmon) {
  testkit::write_foreign_hdf5(dir_ / "foreign.h5");
  EXPECT_EQ(kind_of(dir_ / "foreign.h5"), Kind::not_hpcmon);
}

TEST_F(ReaderErrors, UnknownMajorIsRefused) {
  testkit::write_unknown_major(dir_ / "major2.h5");
  EXPECT_EQ(kind_of(dir_ / "major2.h5"), Kind::unsupported_major);
  try {
    store::read_record(dir_ / "major2.h5");
  } catch (const store::RecordError& e) {
    EXPECT_NE(std::string(e.what()).find("record format 2.0 is not supported"), std::string::npos) << e.what();
  }
}

TEST_F(ReaderErrors, TruncatedAtAnyLengthIsRefused) {
  testkit::write_known(dir_ / "full.h5");
  const auto size = fs::file_size(dir_ / "full.h5");
  for (std::uintmax_t keep : {std::uintmax_t{0}, std::uintmax_t{4}, std::uintmax_t{8}, std::uintmax_t{100},
                              std::uintmax_t{2048}, size / 3, size / 2, size - 1}) {
    SCOPED_TRACE("kept " + std::to_string(keep) + " of " + std::to_string(size));
    testkit::write_truncated(dir_ / "cut.h5", keep);
    const Kind k = kind_of(dir_ / "cut.h5");
    EXPECT_TRUE(k == (keep < 8 ? Kind::not_hdf5 : Kind::damaged)) << store::kind_name(k);
  }
}

// Overwriting bytes anywhere must end in a clean result or a RecordError, never a crash.
TEST_F(ReaderErrors, CorruptBytesNeverCrash) {
  testkit::write_known(dir_ / "full.h5");
  std::vector<char> original(fs::file_size(dir_ / "full.h5"));
  std::ifstream(dir_ / "full.h5", std::ios::binary).read(original.data(), static_cast<std::streamsize>(original.size()));
  std::mt19937 rng(7);
  int refused = 0;
  for (int trial = 0; trial < 300; ++trial) {
    auto bytes = original;
    const std::size_t at = rng() % bytes.size();
    for (std::size_t i = at; i < std::min(bytes.size(), at + 1 + rng() % 16); ++i) bytes[i] = static_cast<char>(rng());
    std::ofstream(dir_ / "bad.h5", std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    try {
      store::read_record(dir_ / "bad.h5");
    } catch (const store::RecordError& e) {
      ++refused;
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  }
  EXPECT_GT(refused, 30);  // checksummed metadata catches a good share of hits
}

TEST_F(ReaderErrors, OlderAndNewerMinorVersionsAreRead) {
  // 1.0 (no clock columns, no /series), 1.1 (before /diagnosis and /memory), a future 1.9.
  for (unsigned minor : {0u, 1u, 9u}) {
    testkit::write_other_minor(dir_ / "minor.h5", minor);
    auto v = store::read_format_version(dir_ / "minor.h5");
    EXPECT_EQ(v.major, store::kFormatMajor);
    EXPECT_EQ(v.minor, minor);
    auto rec = store::read_record(dir_ / "minor.h5");
    ASSERT_EQ(rec.ranks.size(), 4u);
    EXPECT_EQ(rec.ranks[3].rank, 3);
    EXPECT_EQ(rec.ranks[3].node, "node02");
    EXPECT_EQ(rec.ranks[3].wall_s, 13.0);
    EXPECT_EQ(rec.ranks[3].cpuset, "");         // column absent: default
    EXPECT_EQ(rec.ranks[3].clock_offset_ns, 0);  // column absent: default
    EXPECT_EQ(rec.ranks[3].counters.size(), 2u);
    EXPECT_TRUE(rec.series.empty());            // optional group absent
    EXPECT_EQ(rec.mpi_table_overflows, 0u);     // attribute absent
    EXPECT_EQ(rec.mpi.size(), 12u);
    EXPECT_EQ(rec.job.job_name, testkit::known_record().job.job_name);
  }
}

}  // namespace
