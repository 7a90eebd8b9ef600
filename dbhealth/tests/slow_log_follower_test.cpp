// The follower on real files: appends in pieces, restart from the state file, rotation
// (rename + new file), truncation in place, a malformed entry, a cut-off entry at rotation.
// Every test asserts exact totals: nothing read twice, nothing already ingested lost.
#include "hpcmon/dbhealth/slow_log_follower.hpp"
#include "test_data.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>

using namespace hpcmon::dbhealth;
using hpcmon::dbhealth::test::read_data;
namespace fs = std::filesystem;

namespace {

class Follower : public testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("hpcmon_dbhealth_follower_" + std::to_string(getpid()) + "_" +
                                            testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        log_ = dir_ / "slow.log";
        state_ = dir_ / "slow.state";
        steps_ = read_data("sacct_steps.log");   // 24 entries
        name_ = read_data("sacct_name.log");     // 5 entries
    }
    void TearDown() override { fs::remove_all(dir_); }

    void append(const std::string& text) {
        std::ofstream out(log_, std::ios::app | std::ios::binary);
        out << text;
    }
    SlowLogFollower follower() {
        return SlowLogFollower(log_, state_, 1 << 20, [this](const std::string& line) { messages_.push_back(line); });
    }
    bool said(const std::string& part) const {
        for (const auto& m : messages_)
            if (m.find(part) != std::string::npos) return true;
        return false;
    }

    fs::path dir_, log_, state_;
    std::string steps_, name_;
    std::vector<std::string> messages_;
};

}  // namespace

TEST_F(Follower, ReadsAppendsInPiecesOnceEach) {
    auto f = follower();
    EXPECT_EQ(f.poll().entries.size(), 0u);  // no file yet
    EXPECT_TRUE(said("cannot open"));
    const std::size_t cut = steps_.size() / 2 + 17;  // inside an entry
    append(steps_.substr(0, cut));
    const auto first = f.poll();
    append(steps_.substr(cut));
    const auto second = f.poll();
    const auto third = f.poll();
    EXPECT_GT(first.entries.size(), 0u);
    EXPECT_EQ(first.entries.size() + second.entries.size(), 24u);
    EXPECT_EQ(third.entries.size(), 0u);
    std::set<std::uint64_t> offsets;
    for (const auto* round : {&first, &second})
        for (const auto& e : round->entries) EXPECT_TRUE(offsets.insert(e.offset).second);
    EXPECT_EQ(f.position().offset, steps_.size());
    EXPECT_EQ(f.position().entries, 24u);
    EXPECT_EQ(f.position().malformed, 0u);
}

TEST_F(Follower, ResumesAfterARestartFromItsStateFile) {
    append(steps_);
    {
        auto f = follower();
        EXPECT_EQ(f.poll().entries.size(), 24u);
    }
    append(name_);
    auto again = follower();
    const auto round = again.poll();
    EXPECT_EQ(round.entries.size(), 5u);
    EXPECT_TRUE(said("resuming at byte " + std::to_string(steps_.size())));
    EXPECT_EQ(again.position().entries, 29u);
}

TEST_F(Follower, ReadsTheRestOfARotatedFileThenTheNewOne) {
    append(steps_);
    auto f = follower();
    EXPECT_EQ(f.poll().entries.size(), 24u);
    append(name_);  // written before the rotation, not yet read
    fs::rename(log_, dir_ / "slow.log.1");
    append(name_ + name_);  // the new file
    const auto round = f.poll();
    EXPECT_TRUE(round.rotated);
    EXPECT_EQ(round.entries.size(), 15u);
    EXPECT_TRUE(said("rotated (new inode"));
    EXPECT_EQ(f.position().entries, 39u);
    EXPECT_EQ(f.position().offset, 2 * name_.size());
    EXPECT_EQ(f.poll().entries.size(), 0u);
}

TEST_F(Follower, StartsAgainAfterATruncationInPlace) {
    append(steps_);
    auto f = follower();
    EXPECT_EQ(f.poll().entries.size(), 24u);
    fs::resize_file(log_, 0);
    append(name_);
    const auto round = f.poll();
    EXPECT_TRUE(round.truncated);
    EXPECT_EQ(round.entries.size(), 5u);
    EXPECT_TRUE(said("truncated in place (size " + std::to_string(name_.size()) + ", was at byte " +
                     std::to_string(steps_.size()) + ")"));
    EXPECT_EQ(f.position().entries, 29u);
}

TEST_F(Follower, TruncatedAndRewrittenPastItsOffsetIsSeenByTheFirstBytes) {
    append(name_);
    auto f = follower();
    EXPECT_EQ(f.poll().entries.size(), 5u);
    // Emptied and refilled with more than before: the size alone would not show it.
    fs::resize_file(log_, 0);
    append(steps_);
    const auto round = f.poll();
    EXPECT_TRUE(round.truncated);
    EXPECT_EQ(round.entries.size(), 24u);
    EXPECT_EQ(f.position().entries, 29u);
}

TEST_F(Follower, NamesTheFileAndOffsetOfAMalformedEntryAndGoesOn) {
    std::string bad = name_;
    const std::size_t second = bad.find("# User@Host: ", 1);
    bad.replace(bad.find("Rows_examined: 0", second), 16, "Rows_examined: many");
    append(steps_ + bad);
    auto f = follower();
    const auto round = f.poll();
    EXPECT_EQ(round.entries.size(), 28u);
    EXPECT_EQ(round.malformed, 1u);
    EXPECT_TRUE(said("slow log " + log_.string() + ": malformed entry at byte " +
                     std::to_string(steps_.size() + second) + ": Rows_examined is not a count: \"many\"; skipped"));
    EXPECT_EQ(f.position().malformed, 1u);
}

TEST_F(Follower, ACutOffEntryAtRotationIsReportedAndTheRestKept) {
    append(steps_);
    auto f = follower();
    EXPECT_EQ(f.poll().entries.size(), 24u);
    const std::string cut = name_.substr(0, name_.find("# User@Host: ", 1) + 60);  // 1 entry + a cut one
    append(cut);
    EXPECT_EQ(f.poll().entries.size(), 1u);  // the cut one waits for its end
    fs::rename(log_, dir_ / "slow.log.1");
    append(name_);
    const auto round = f.poll();
    EXPECT_EQ(round.entries.size(), 5u);
    EXPECT_EQ(round.malformed, 1u);
    EXPECT_TRUE(said("malformed entry at byte " + std::to_string(steps_.size() + name_.find("# User@Host: ", 1))));
    EXPECT_EQ(f.position().entries, 30u);
}

TEST_F(Follower, ReadsAtMostItsBudgetPerRoundAndTheRestNext) {
    append(steps_);
    SlowLogFollower f(log_, state_, 8192, nullptr);
    std::size_t total = 0, rounds = 0;
    for (; rounds < 100 && f.position().offset < steps_.size(); ++rounds) total += f.poll().entries.size();
    EXPECT_EQ(total, 24u);
    EXPECT_GE(rounds, 4u);
}

TEST_F(Follower, AfterARestartReadsTheRestOfAFileRotatedMeanwhile) {
    append(steps_);
    {
        auto f = follower();
        EXPECT_EQ(f.poll().entries.size(), 24u);
        append(name_);  // written, not read before the daemon stops
    }
    fs::rename(log_, dir_ / "slow.log.1");
    append(name_ + name_);
    auto again = follower();
    const auto round = again.poll();
    EXPECT_TRUE(round.rotated);
    EXPECT_EQ(round.entries.size(), 15u);
    EXPECT_TRUE(said("rotated while the daemon was stopped; the rest of the old file was read"));
    EXPECT_EQ(again.position().entries, 39u);
    // A later restart resumes in the new file.
    append(name_);
    fs::remove(dir_ / "slow.log.1");
    {
        auto third = follower();
        EXPECT_EQ(third.poll().entries.size(), 5u);
    }
}
