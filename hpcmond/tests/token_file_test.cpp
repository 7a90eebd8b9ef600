// The one token-file reader (common/token_file.hpp) that the agent and the head share.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "harness.hpp"
#include "hpcmon/token_file.hpp"

namespace hpcmon {
namespace {

class TokenFile : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = agent::test::make_temp_dir("token"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text, mode_t mode) {
    const auto p = dir_ / name;
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
    return p.string();
  }
  std::filesystem::path dir_;
  std::string error_;
};

TEST_F(TokenFile, FirstLineOfA0600File) {
  EXPECT_EQ(read_token_file(write("t", "a-0123456789abcdef \nsecond line\n", 0600), error_), "a-0123456789abcdef");
  EXPECT_EQ(error_, "");
}

TEST_F(TokenFile, RefusedWhenOthersCanReadItOrItIsShortOrALinkOrSomebodyElses) {
  EXPECT_EQ(read_token_file(write("open", "a-0123456789abcdef\n", 0640), error_), "");
  EXPECT_NE(error_.find("mode 0600"), std::string::npos) << error_;
  EXPECT_EQ(read_token_file(write("short", "abc\n", 0600), error_), "");
  EXPECT_NE(error_.find("shorter than 16"), std::string::npos) << error_;
  const std::string target = write("target", "a-0123456789abcdef\n", 0600);
  ASSERT_EQ(::symlink(target.c_str(), (dir_ / "link").c_str()), 0);
  EXPECT_EQ(read_token_file((dir_ / "link").string(), error_), "");
  EXPECT_NE(error_.find("cannot open"), std::string::npos) << error_;
  const std::string theirs = write("theirs", "a-0123456789abcdef\n", 0600);
  ASSERT_EQ(::chown(theirs.c_str(), 65534, 65534), 0);
  EXPECT_EQ(read_token_file(theirs, error_), "");
  EXPECT_NE(error_.find("belongs to uid 65534"), std::string::npos) << error_;
  EXPECT_EQ(error_.find("0123456789abcdef"), std::string::npos);  // never the token itself
}

}  // namespace
}  // namespace hpcmon
