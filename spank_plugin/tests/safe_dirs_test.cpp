// Real directories, symlinks and owners (the tests run as root, like the plugin).
#include "hpcmon/safe_dirs.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "job_dirs.hpp"

using namespace hpcmon::safe;
using namespace hpcmon::spank;

namespace {

constexpr uid_t kUser = 65534;  // nobody: a job user that is not root
constexpr gid_t kGroup = 65534;

class SafeDirs : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root, like the plugin in slurmstepd";
    char tmpl[] = "/tmp/spank_safe_dirs.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    if (!root_.empty()) std::system(("rm -rf " + root_).c_str());
  }
  static struct stat lstat_of(const std::string& p) {
    struct stat st {};
    EXPECT_EQ(lstat(p.c_str(), &st), 0) << p;
    return st;
  }
  std::string root_;
};

}  // namespace

TEST_F(SafeDirs, TrustedPathIsCreatedRootOwned) {
  std::string why;
  Fd fd = open_trusted_dir(root_ + "/a/b/c", true, &why);
  ASSERT_TRUE(fd.ok()) << why;
  struct stat st = lstat_of(root_ + "/a/b/c");
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_FALSE(open_trusted_dir(root_ + "/missing", false, &why).ok());
}

TEST_F(SafeDirs, TrustedPathRefusesUserSymlinksAndOpenDirectories) {
  ASSERT_EQ(mkdir((root_ + "/real").c_str(), 0755), 0);
  ASSERT_EQ(symlink((root_ + "/real").c_str(), (root_ + "/by_root").c_str()), 0);
  std::string why;
  EXPECT_TRUE(open_trusted_dir(root_ + "/by_root", false, &why).ok()) << why;
  ASSERT_EQ(symlink((root_ + "/real").c_str(), (root_ + "/by_user").c_str()), 0);
  ASSERT_EQ(lchown((root_ + "/by_user").c_str(), kUser, kGroup), 0);
  EXPECT_FALSE(open_trusted_dir(root_ + "/by_user/x", true, &why).ok());
  EXPECT_NE(why.find("symlink not owned by root"), std::string::npos) << why;
  EXPECT_NE(access((root_ + "/real/x").c_str(), F_OK), 0);
  ASSERT_EQ(mkdir((root_ + "/open").c_str(), 0777), 0);
  ASSERT_EQ(chmod((root_ + "/open").c_str(), 0777), 0);
  EXPECT_FALSE(open_trusted_dir(root_ + "/open", false, &why).ok());
  ASSERT_EQ(chmod((root_ + "/open").c_str(), 01777), 0);  // sticky, like /tmp: fine
  EXPECT_TRUE(open_trusted_dir(root_ + "/open", false, &why).ok()) << why;
  ASSERT_EQ(mkdir((root_ + "/users").c_str(), 0755), 0);
  ASSERT_EQ(chown((root_ + "/users").c_str(), kUser, kGroup), 0);
  EXPECT_FALSE(open_trusted_dir(root_ + "/users", false, &why).ok());
}

TEST_F(SafeDirs, OwnedDirectoryGetsOwnerGroupAndSetgidMode) {
  std::string why;
  Fd base = open_trusted_dir(root_, false, &why);
  ASSERT_TRUE(base.ok()) << why;
  Fd dir = make_owned_dir(base.get(), "alice", kUser, 0, 02750, &why);
  ASSERT_TRUE(dir.ok()) << why;
  struct stat st = lstat_of(root_ + "/alice");
  EXPECT_EQ(st.st_uid, kUser);
  EXPECT_EQ(st.st_gid, 0u);
  EXPECT_EQ(st.st_mode & 07777, 02750u);
  // Adopted on the next step, mode repaired.
  ASSERT_EQ(chmod((root_ + "/alice").c_str(), 0755), 0);
  ASSERT_TRUE(make_owned_dir(base.get(), "alice", kUser, 0, 02750, &why).ok()) << why;
  EXPECT_EQ(lstat_of(root_ + "/alice").st_mode & 07777, 02750u);
}

TEST_F(SafeDirs, PlantedSymlinkIsNeverFollowed) {
  ASSERT_EQ(chmod(root_.c_str(), 01777), 0);
  const std::string target = root_ + "/target";
  ASSERT_EQ(mkdir(target.c_str(), 0755), 0);
  ASSERT_EQ(symlink(target.c_str(), (root_ + "/42").c_str()), 0);
  ASSERT_EQ(lchown((root_ + "/42").c_str(), kUser, kGroup), 0);
  std::string why;
  EXPECT_EQ(ensure_run_dir(root_, 42, kUser, kGroup, &why), "");
  EXPECT_NE(why.find("symlink"), std::string::npos) << why;
  struct stat st = lstat_of(target);
  EXPECT_EQ(st.st_uid, 0u);  // not chowned through the link
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_TRUE(S_ISLNK(lstat_of(root_ + "/42").st_mode));
  // A dangling link to where the folder would go: nothing is created there.
  ASSERT_EQ(symlink((root_ + "/nowhere").c_str(), (root_ + "/nobody").c_str()), 0);
  std::string note;
  EXPECT_EQ(ensure_record_folder(root_, "nobody", kUser, kGroup, &why, &note), "");
  EXPECT_NE(access((root_ + "/nowhere").c_str(), F_OK), 0);
  // The epilog leaves the link and its target alone.
  EXPECT_FALSE(remove_run_dir(root_, 42, kUser, &why));
  EXPECT_EQ(access(target.c_str(), F_OK), 0);
}

TEST_F(SafeDirs, DirectoryOfAnotherUserIsRefused) {
  ASSERT_EQ(mkdir((root_ + "/7").c_str(), 0700), 0);
  ASSERT_EQ(chown((root_ + "/7").c_str(), 12345, 12345), 0);
  std::string why;
  EXPECT_EQ(ensure_run_dir(root_, 7, kUser, kGroup, &why), "");
  EXPECT_NE(why.find("owned by uid 12345"), std::string::npos) << why;
  EXPECT_EQ(lstat_of(root_ + "/7").st_uid, 12345u);
}

TEST_F(SafeDirs, RunDirectoryLifecycle) {
  std::string why;
  const std::string run = ensure_run_dir(root_ + "/jobs", 99, kUser, kGroup, &why);
  ASSERT_EQ(run, root_ + "/jobs/99") << why;
  struct stat st = lstat_of(run);
  EXPECT_EQ(st.st_uid, kUser);
  EXPECT_EQ(st.st_gid, kGroup);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(ensure_run_dir(root_ + "/jobs", 99, kUser, kGroup, &why), run) << why;  // second step
  // What ranks leave behind, including links out of the tree.
  const std::string outside = root_ + "/outside";
  ASSERT_EQ(mkdir(outside.c_str(), 0755), 0);
  std::ofstream(outside + "/keep") << "x";
  ASSERT_EQ(mkdir((run + "/sub").c_str(), 0700), 0);
  ASSERT_EQ(chown((run + "/sub").c_str(), kUser, kGroup), 0);
  std::ofstream(run + "/sub/table.mmap") << "data";
  ASSERT_EQ(symlink(outside.c_str(), (run + "/link_dir").c_str()), 0);
  ASSERT_EQ(symlink((outside + "/keep").c_str(), (run + "/sub/link_file").c_str()), 0);
  ASSERT_TRUE(remove_run_dir(root_ + "/jobs", 99, kUser, &why)) << why;
  EXPECT_NE(access(run.c_str(), F_OK), 0);
  EXPECT_EQ(access((outside + "/keep").c_str(), F_OK), 0);
  EXPECT_TRUE(remove_run_dir(root_ + "/jobs", 99, kUser, &why));      // already gone
  EXPECT_TRUE(remove_run_dir(root_ + "/never", 99, kUser, &why));     // nothing was made
}

TEST_F(SafeDirs, RemovalLeavesAnotherOwnersDirectoryMovedIn) {
  std::string why;
  const std::string run = ensure_run_dir(root_, 5, kUser, kGroup, &why);
  ASSERT_FALSE(run.empty()) << why;
  ASSERT_EQ(mkdir((run + "/theirs").c_str(), 0755), 0);
  ASSERT_EQ(chown((run + "/theirs").c_str(), 12345, 12345), 0);
  std::ofstream(run + "/theirs/precious") << "x";
  std::ofstream(run + "/mine") << "x";
  EXPECT_FALSE(remove_run_dir(root_, 5, kUser, &why));
  EXPECT_NE(why.find("another owner's directory"), std::string::npos) << why;
  EXPECT_EQ(access((run + "/theirs/precious").c_str(), F_OK), 0);
  EXPECT_NE(access((run + "/mine").c_str(), F_OK), 0);  // the rest is still cleaned
}
