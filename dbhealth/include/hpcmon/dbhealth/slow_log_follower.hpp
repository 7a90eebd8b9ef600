// The slow-log follower: reads what MariaDB appended since the last round, across rotation
// (rename + new file: the old file's rest is read first) and truncation in place (read again
// from the start), never a byte twice. Its position (offset, device, inode, hash of the first
// bytes) is kept in a state file written atomically after each round, so a restart resumes.
#pragma once

#include "hpcmon/dbhealth/slow_log.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace hpcmon::dbhealth {

struct FollowerPosition {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::uint64_t offset = 0;       // next byte to read; always at an entry boundary
    std::uint64_t head_hash = 0;    // FNV-1a of the file's first head_bytes bytes
    std::uint64_t head_bytes = 0;
    std::uint64_t entries = 0;      // ingested in total (all files)
    std::uint64_t malformed = 0;    // skipped in total
    bool operator==(const FollowerPosition&) const = default;
};

struct FollowerRound {
    std::vector<SlowQuery> entries;
    std::uint64_t malformed = 0;
    std::uint64_t bytes_read = 0;
    bool rotated = false;
    bool truncated = false;
};

class SlowLogFollower {
public:
    using Log = std::function<void(const std::string& line)>;  // one message per line

    // `state_file` empty: the position is kept in memory only. `max_bytes`: per round.
    SlowLogFollower(std::filesystem::path log, std::filesystem::path state_file, std::uint64_t max_bytes,
                    Log log_line);
    ~SlowLogFollower();
    SlowLogFollower(const SlowLogFollower&) = delete;
    SlowLogFollower& operator=(const SlowLogFollower&) = delete;

    // Reads what is new. Never throws for a missing or unreadable log (it says so, once).
    FollowerRound poll();
    const FollowerPosition& position() const { return position_; }
    // Continue from `position` (saved with the analysis that ingested everything before it),
    // as after a restart: the next poll() checks the file is still the same one.
    void resume_at(const FollowerPosition& position);
    const std::filesystem::path& path() const { return log_; }

private:
    bool open_current();
    int open_rotated() const;
    void read_from(int fd, const std::filesystem::path& name, bool final, FollowerRound& round);
    void save_state();
    void load_state();
    void say(const std::string& line);

    std::filesystem::path log_;
    std::filesystem::path state_file_;
    std::uint64_t max_bytes_;
    Log log_line_;
    FollowerPosition position_;
    int fd_ = -1;
    bool resumed_ = false;          // position_ came from the state file, fd_ not yet open
    std::string last_problem_;      // said once until it changes
};

}  // namespace hpcmon::dbhealth
