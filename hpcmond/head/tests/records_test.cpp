// Record scan and merge on real files written by hpcmon::store: rank-0 record + node
// partials merged into the canonical record (in the head's own folder: the users' files stay
// byte for byte as written), missing nodes flagged after the timeout, damaged and foreign
// files skipped and logged once, the user taken from the file owner.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>

#include "harness.hpp"
#include "hpcmon/head/record_index.hpp"

namespace hpcmon::head {
namespace {

namespace fs = std::filesystem;
using test::mpi_record;
using test::node_partial;

const std::int64_t kStart = 1795813200LL * 1000000000LL;  // 2026-11-27T21:00:00Z

std::string me() { return user_name(::getuid()); }

std::string bytes_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The users' record folder and the head's canonical folder side by side.
struct Dirs {
  test::TempDir top;
  fs::path records = top.path() / "records", canonical = top.path() / "canonical";
  Dirs() { fs::create_directories(records); }
  // Where the head writes the merged record of the rank-0 record at `main`.
  fs::path canonical_of(const fs::path& main) const { return canonical / main.lexically_relative(records); }
};

TEST(Records, RankZeroAndAllNodePartialsMergeIntoTheCanonicalRecord) {
  Dirs dir;
  Log log(true);
  RecordIndex index(dir.records, dir.canonical, 3600, log);
  const auto key = test::key_of("41", "0");
  const fs::path main = store::record_path(dir.records, me(), kStart, key);
  store::write_record(main, mpi_record("41", "0", {"n1", "n2"}, 4, kStart));
  store::write_record(store::node_partial_path(dir.records, me(), kStart, key, "n1"),
                      node_partial("41", "0", "n1", kStart, 3, 2));
  index.scan(test::now_ns());
  // One node still missing, timeout one hour away: pending, nothing written.
  auto jobs = index.jobs();
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ(jobs->front().steps.at(0).merge_state, "pending");
  EXPECT_EQ(jobs->front().steps.at(0).nodes_missing, std::vector<std::string>{"n2"});
  EXPECT_EQ(index.stats().merges, 0u);

  const std::string rank0_bytes = bytes_of(main);
  store::write_record(store::node_partial_path(dir.records, me(), kStart, key, "n2"),
                      node_partial("41", "0", "n2", kStart, 3, 2));
  index.scan(test::now_ns());
  jobs = index.jobs();
  const auto& step = jobs->front().steps.at(0);
  EXPECT_EQ(step.merge_state, "merged");
  EXPECT_TRUE(step.nodes_missing.empty());
  EXPECT_EQ(step.nodes_reported, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_TRUE(step.exit_status_known);
  EXPECT_EQ(step.exit_status, 3);  // from the node partials, not rank 0
  EXPECT_EQ(jobs->front().state, "failed");
  EXPECT_EQ(index.stats().merges, 1u);
  // The canonical file in the head's folder holds the ranks and both node rows; rank 0's file
  // is byte for byte what rank 0 wrote, and the API names the canonical one.
  EXPECT_EQ(bytes_of(main), rank0_bytes);
  EXPECT_EQ(step.path, dir.canonical_of(main).string());
  const record::JobRecord merged = store::read_record(dir.canonical_of(main));
  EXPECT_EQ(merged.ranks.size(), 4u);
  EXPECT_EQ(merged.nodes.size(), 2u);
  EXPECT_TRUE(merged.job.exit_status_known);
  EXPECT_FALSE(merged.job.partial);
  // A further scan merges nothing again, and neither does a fresh index (a restart).
  index.scan(test::now_ns());
  EXPECT_EQ(index.stats().merges, 1u);
  RecordIndex restarted(dir.records, dir.canonical, 3600, log);
  restarted.scan(test::now_ns());
  EXPECT_EQ(restarted.stats().merges, 0u);
  EXPECT_EQ(restarted.jobs()->front().steps.at(0).merge_state, "merged");
}

TEST(Records, MissingNodesAreFlaggedAfterTheTimeout) {
  Dirs dir;
  Log log(true);
  RecordIndex index(dir.records, dir.canonical, 0, log);  // timeout passed at once
  const auto key = test::key_of("42", "batch");
  const fs::path main = store::record_path(dir.records, me(), kStart, key);
  store::write_record(main, mpi_record("42", "batch", {"n1", "n2", "n3"}, 3, kStart));
  store::write_record(store::node_partial_path(dir.records, me(), kStart, key, "n2"),
                      node_partial("42", "batch", "n2", kStart, 0, 3));
  index.scan(test::now_ns());
  const auto& step = index.jobs()->front().steps.at(0);
  EXPECT_EQ(step.merge_state, "merged");
  EXPECT_EQ(step.nodes_missing, (std::vector<std::string>{"n1", "n3"}));
  EXPECT_TRUE(step.partial);
  EXPECT_NE(step.partial_reason.find("missing node partials: n1, n3"), std::string::npos)
      << step.partial_reason;
  EXPECT_FALSE(store::read_record(main).job.partial);  // rank 0's file is not touched
  const record::JobRecord merged = store::read_record(dir.canonical_of(main));
  EXPECT_TRUE(merged.job.partial);
  EXPECT_NE(merged.job.partial_reason.find("missing node partials: n1, n3"), std::string::npos);
}

TEST(Records, ARankZeroRecordWithoutAnyPartialIsFlaggedAfterTheTimeout) {
  Dirs dir;
  Log log(true);
  const auto key = test::key_of("43", "0");
  const fs::path main = store::record_path(dir.records, me(), kStart, key);
  store::write_record(main, mpi_record("43", "0", {"n1"}, 2, kStart));
  RecordIndex waiting(dir.records, dir.canonical, 3600, log);
  waiting.scan(test::now_ns());
  EXPECT_EQ(waiting.jobs()->front().steps.at(0).merge_state, "pending");
  RecordIndex index(dir.records, dir.canonical, 0, log);
  index.scan(test::now_ns());
  index.scan(test::now_ns());
  EXPECT_EQ(index.stats().merges, 1u);  // once, not at every scan
  EXPECT_EQ(index.jobs()->front().steps.at(0).merge_state, "merged");
  EXPECT_EQ(store::read_record(dir.canonical_of(main)).job.partial_reason, "missing node partials: n1");
  EXPECT_EQ(store::read_record(main).job.partial_reason, "");
  RecordIndex restarted(dir.records, dir.canonical, 0, log);
  restarted.scan(test::now_ns());
  EXPECT_EQ(restarted.stats().merges, 0u);  // already flagged on disk
}

TEST(Records, DamagedAndForeignFilesAreSkippedAndLoggedOnce) {
  Dirs dir;
  Log log(true);
  RecordIndex index(dir.records, dir.canonical, 3600, log);
  const fs::path day = dir.records / me() / "2026" / "11" / "27";
  test::write_text(day / "testcl.50.0.r0.0.h5", std::string(4096, '\x5a'), 0640);
  test::write_text(day / "testcl.51.0.r0.0.h5", "\x89HDF\r\n\x1a\n", 0640);  // truncated HDF5
  test::write_text(day / "notes.txt", "not a record", 0640);
  store::write_record(store::record_path(dir.records, me(), kStart, test::key_of("52", "0")),
                      mpi_record("52", "0", {"n1"}, 1, kStart));
  index.scan(test::now_ns());
  index.scan(test::now_ns());
  EXPECT_EQ(index.jobs()->size(), 1u);
  EXPECT_EQ(index.jobs()->front().job, "52");
  EXPECT_EQ(index.stats().files_skipped, 2u);  // each bad file read once
  EXPECT_EQ(log.once_count(), 2u);              // and logged once
}

TEST(Records, TheUserIsTheFileOwnerNotTheAttribute) {
  ASSERT_EQ(::getuid(), 0u) << "needs root to chown the forged record";
  const passwd* victim = ::getpwnam("nobody");
  ASSERT_NE(victim, nullptr);
  Dirs dir;
  Log log(true);
  RecordIndex index(dir.records, dir.canonical, 3600, log);
  // "nobody" writes a record that claims to be root's, in a folder named after root.
  const fs::path path = store::record_path(dir.records, "root", kStart, test::key_of("60", "0"));
  store::write_record(path, mpi_record("60", "0", {"n1"}, 1, kStart, "root"));
  ASSERT_EQ(::chown(path.c_str(), victim->pw_uid, victim->pw_gid), 0);
  index.scan(test::now_ns());
  ASSERT_EQ(index.jobs()->size(), 1u);
  EXPECT_EQ(index.jobs()->front().user, "nobody");
}

TEST(Records, SymlinksAreNotFollowed) {
  Dirs dir;
  test::TempDir elsewhere;
  Log log(true);
  RecordIndex index(dir.records, dir.canonical, 3600, log);
  const fs::path real = elsewhere.path() / "testcl.70.0.r0.0.h5";
  store::write_record(real, mpi_record("70", "0", {"n1"}, 1, kStart));
  const fs::path day = dir.records / me() / "2026" / "11" / "27";
  fs::create_directories(day);
  fs::create_symlink(real, day / "testcl.70.0.r0.0.h5");
  index.scan(test::now_ns());
  EXPECT_TRUE(index.jobs()->empty());
}

// Gives the folder tree under `top` and its files to `user` (as the node agent leaves it).
void give_tree(const fs::path& top, const passwd& user) {
  ASSERT_EQ(::chown(top.c_str(), user.pw_uid, user.pw_gid), 0);
  for (const auto& entry : fs::recursive_directory_iterator(top))
    ASSERT_EQ(::lchown(entry.path().c_str(), user.pw_uid, user.pw_gid), 0) << entry.path();
}

TEST(Records, ASymlinkInAUserFolderCannotMakeTheDaemonTouchAnotherFile) {
  ASSERT_EQ(::getuid(), 0u) << "needs root to act for an unprivileged user";
  const passwd* found = ::getpwnam("hpcmontest");
  ASSERT_NE(found, nullptr) << "create the test user: useradd --no-create-home hpcmontest";
  const passwd user = *found;
  Dirs dir;
  test::TempDir elsewhere;
  ASSERT_EQ(::chmod(dir.records.c_str(), 0755), 0);
  // A root-owned file the user must not be able to reach through the daemon.
  const fs::path victim = elsewhere.path() / "root-only";
  test::write_text(victim, "root's content\n", 0600);
  const auto key = test::key_of("80", "0");
  const fs::path partial = store::node_partial_path(dir.records, "hpcmontest", kStart, key, "n1");
  store::write_record(partial, node_partial("80", "0", "n1", kStart, 0, 1));
  const fs::path target = store::record_path(dir.records, "hpcmontest", kStart, key);
  fs::create_symlink(victim, target);
  give_tree(dir.records / "hpcmontest", user);

  Log log(true);
  RecordIndex index(dir.records, dir.canonical, 0, log);  // merge due at once
  index.scan(test::now_ns());
  ASSERT_EQ(index.stats().merge_writes, 1u);
  struct stat info{};
  ASSERT_EQ(::lstat(victim.c_str(), &info), 0);
  EXPECT_EQ(info.st_uid, 0u);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
  EXPECT_EQ(bytes_of(victim), "root's content\n");
  // Nothing in the user's folder changed: the symlink is still there, the merge went to the
  // head's folder, and the step is still the user's.
  ASSERT_EQ(::lstat(target.c_str(), &info), 0);
  EXPECT_TRUE(S_ISLNK(info.st_mode));
  EXPECT_EQ(store::read_record(dir.canonical_of(target)).nodes.size(), 1u);
  EXPECT_EQ(index.jobs()->front().user, "hpcmontest");
}

TEST(Records, RankZeroFileOfAnotherUserStaysByteIdenticalAndTheCanonicalRecordHasTheMerge) {
  ASSERT_EQ(::getuid(), 0u) << "needs root to give the record away";
  const passwd* user = ::getpwnam("hpcmontest");
  ASSERT_NE(user, nullptr);
  Dirs dir;
  const auto key = test::key_of("81", "0");
  const fs::path main = store::record_path(dir.records, "hpcmontest", kStart, key);
  store::write_record(main, mpi_record("81", "0", {"n1", "n2"}, 2, kStart));
  const fs::path partial = store::node_partial_path(dir.records, "hpcmontest", kStart, key, "n1");
  store::write_record(partial, node_partial("81", "0", "n1", kStart, 0, 2));
  ASSERT_EQ(::chown(main.c_str(), user->pw_uid, user->pw_gid), 0);
  ASSERT_EQ(::chmod(main.c_str(), 0440), 0);  // as a packaged daemon sees it: read only
  struct stat before{};
  ASSERT_EQ(::stat(main.c_str(), &before), 0);
  const std::string rank0 = bytes_of(main), part = bytes_of(partial);
  Log log(true);
  RecordIndex index(dir.records, dir.canonical, 0, log);
  index.scan(test::now_ns());
  index.scan(test::now_ns());
  ASSERT_EQ(index.stats().merge_writes, 1u);
  struct stat after{};
  ASSERT_EQ(::stat(main.c_str(), &after), 0);
  EXPECT_EQ(bytes_of(main), rank0);
  EXPECT_EQ(bytes_of(partial), part);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  EXPECT_EQ(after.st_uid, user->pw_uid);
  const record::JobRecord merged = store::read_record(dir.canonical_of(main));
  EXPECT_EQ(merged.ranks.size(), 2u);
  ASSERT_EQ(merged.nodes.size(), 1u);
  EXPECT_EQ(merged.nodes[0].node, "n1");
  EXPECT_TRUE(merged.job.exit_status_known);
  EXPECT_EQ(merged.job.partial_reason, "missing node partials: n2");
  EXPECT_EQ(index.jobs()->front().user, "hpcmontest");
  EXPECT_EQ(index.jobs()->front().steps.at(0).path, dir.canonical_of(main).string());
}

TEST(Records, RankZeroAfterTheMergedPartialsIsMergedAgainAndACanonicalRecordOutlivesItsParts) {
  Dirs dir;
  Log log(true);
  const auto key = test::key_of("82", "0");
  const fs::path main = store::record_path(dir.records, me(), kStart, key);
  const fs::path partial = store::node_partial_path(dir.records, me(), kStart, key, "n1");
  store::write_record(partial, node_partial("82", "0", "n1", kStart, 0, 2));
  RecordIndex index(dir.records, dir.canonical, 0, log);
  index.scan(test::now_ns());
  EXPECT_FALSE(store::read_record(dir.canonical_of(main)).has_mpi);
  store::write_record(main, mpi_record("82", "0", {"n1"}, 2, kStart));
  index.scan(test::now_ns());
  EXPECT_EQ(index.stats().merges, 2u);
  const record::JobRecord merged = store::read_record(dir.canonical_of(main));
  EXPECT_TRUE(merged.has_mpi);
  EXPECT_EQ(merged.ranks.size(), 2u);
  EXPECT_FALSE(merged.job.partial);
  // The users' files deleted: the head's record still answers for the step.
  fs::remove(main);
  fs::remove(partial);
  index.scan(test::now_ns());
  ASSERT_EQ(index.jobs()->size(), 1u);
  EXPECT_EQ(index.jobs()->front().user, me());
  EXPECT_EQ(index.jobs()->front().steps.at(0).summary["ranks"], 2);
  EXPECT_EQ(index.stats().merges, 2u);
}

TEST(Records, AFifoDoesNotBlockTheScanAndASymlinkIsSkipped) {
  Dirs dir;
  test::TempDir elsewhere;
  Log log(true);
  RecordIndex index(dir.records, dir.canonical, 3600, log);
  const fs::path day = dir.records / me() / "2026" / "11" / "27";
  fs::create_directories(day);
  ASSERT_EQ(::mkfifo((day / "testcl.90.0.r0.0.h5").c_str(), 0640), 0);
  const fs::path real = elsewhere.path() / "testcl.91.0.r0.0.h5";
  store::write_record(real, mpi_record("91", "0", {"n1"}, 1, kStart));
  fs::create_symlink(real, day / "testcl.91.0.r0.0.h5");
  store::write_record(store::record_path(dir.records, me(), kStart, test::key_of("92", "0")),
                      mpi_record("92", "0", {"n1"}, 1, kStart));
  const auto begin = std::chrono::steady_clock::now();
  index.scan(test::now_ns());
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(5));
  ASSERT_EQ(index.jobs()->size(), 1u);
  EXPECT_EQ(index.jobs()->front().job, "92");
}

}  // namespace
}  // namespace hpcmon::head
