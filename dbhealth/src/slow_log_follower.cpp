// The slow-log follower. The file is identified by device, inode and a hash of its first bytes:
// another inode at the path is a rotation (the open old file is read to its end first, as
// final), a smaller size or other first bytes is a truncation in place (read again from 0).
#include "hpcmon/dbhealth/slow_log_follower.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace hpcmon::dbhealth {
namespace {

constexpr std::uint64_t head_span = 1024;

std::uint64_t fnv1a(std::string_view bytes) {
    std::uint64_t hash = 1469598103934665603ull;
    for (unsigned char c : bytes) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    return hash;
}

std::string read_at(int fd, std::uint64_t offset, std::uint64_t length) {
    std::string data(length, '\0');
    std::uint64_t got = 0;
    while (got < length) {
        const ssize_t n = pread(fd, data.data() + got, length - got, static_cast<off_t>(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<std::uint64_t>(n);
    }
    data.resize(got);
    return data;
}

}  // namespace

SlowLogFollower::SlowLogFollower(std::filesystem::path log, std::filesystem::path state_file,
                                 std::uint64_t max_bytes, Log log_line)
    : log_(std::move(log)), state_file_(std::move(state_file)), max_bytes_(max_bytes),
      log_line_(std::move(log_line)) {
    load_state();
}

SlowLogFollower::~SlowLogFollower() {
    if (fd_ >= 0) close(fd_);
}

void SlowLogFollower::say(const std::string& line) {
    if (log_line_) log_line_(line);
}

void SlowLogFollower::load_state() {
    if (state_file_.empty()) return;
    std::ifstream in(state_file_);
    if (!in) return;
    std::string word;
    FollowerPosition p;
    std::string version;
    in >> version;
    if (version != "hpcmon-slow-log-state-1") {
        say("slow log state " + state_file_.string() + ": unknown format, starting at the end of nothing read");
        return;
    }
    in >> p.device >> p.inode >> p.offset >> p.head_hash >> p.head_bytes >> p.entries >> p.malformed;
    if (!in) {
        say("slow log state " + state_file_.string() + ": unreadable, reading " + log_.string() + " from its start");
        return;
    }
    position_ = p;
    resumed_ = true;
}

void SlowLogFollower::resume_at(const FollowerPosition& position) {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    position_ = position;
    resumed_ = true;
    save_state();
}

void SlowLogFollower::save_state() {
    if (state_file_.empty()) return;
    const std::filesystem::path temporary = state_file_.string() + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << "hpcmon-slow-log-state-1 " << position_.device << ' ' << position_.inode << ' ' << position_.offset
            << ' ' << position_.head_hash << ' ' << position_.head_bytes << ' ' << position_.entries << ' '
            << position_.malformed << '\n';
        out.flush();
        if (!out) {
            say("slow log state " + state_file_.string() + ": cannot write (" + std::strerror(errno) + ")");
            return;
        }
    }
    std::error_code error;
    std::filesystem::rename(temporary, state_file_, error);
    if (error) say("slow log state " + state_file_.string() + ": cannot replace (" + error.message() + ")");
}

// The file of the saved position under another name in the log's folder (slow.log.1 after a
// rename), with the same first bytes; -1 when it is gone.
int SlowLogFollower::open_rotated() const {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(log_.parent_path(), error)) {
        struct stat st{};
        if (stat(entry.path().c_str(), &st) != 0 || static_cast<std::uint64_t>(st.st_ino) != position_.inode ||
            static_cast<std::uint64_t>(st.st_dev) != position_.device)
            continue;
        const int fd = open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return -1;
        if (static_cast<std::uint64_t>(st.st_size) >= position_.offset &&
            fnv1a(read_at(fd, 0, position_.head_bytes)) == position_.head_hash)
            return fd;
        close(fd);
        return -1;
    }
    return -1;
}

// Opens the file now at the path as the current one, from offset 0.
bool SlowLogFollower::open_current() {
    const int fd = open(log_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const std::string problem = "slow log " + log_.string() + ": cannot open (" + std::strerror(errno) + ")";
        if (problem != last_problem_) say(problem);
        last_problem_ = problem;
        return false;
    }
    last_problem_.clear();
    struct stat st{};
    fstat(fd, &st);
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
    position_.device = st.st_dev;
    position_.inode = st.st_ino;
    position_.offset = 0;
    position_.head_bytes = 0;
    position_.head_hash = fnv1a("");
    return true;
}

void SlowLogFollower::read_from(int fd, const std::filesystem::path& name, bool final, FollowerRound& round) {
    struct stat st{};
    if (fstat(fd, &st) != 0) return;
    const std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
    // Keep the identity of the file's first bytes up to head_span (grows as the file does).
    if (position_.head_bytes < head_span && size > position_.head_bytes) {
        const std::uint64_t bytes = std::min<std::uint64_t>(size, head_span);
        position_.head_hash = fnv1a(read_at(fd, 0, bytes));
        position_.head_bytes = bytes;
    }
    while (position_.offset < size) {
        // A rotated file is read to its end whatever the round's budget: it is the last chance.
        const std::uint64_t budget = final ? size : (max_bytes_ > round.bytes_read ? max_bytes_ - round.bytes_read : 0);
        const std::uint64_t length = std::min<std::uint64_t>(size - position_.offset, budget);
        if (length == 0) break;
        const std::string data = read_at(fd, position_.offset, length);
        if (data.empty()) break;
        const bool whole_rest = position_.offset + data.size() >= size;
        ParseResult parsed = parse_slow_log(data, position_.offset, final && whole_rest);
        for (const Malformed& bad : parsed.malformed)
            say("slow log " + name.string() + ": malformed entry at byte " + std::to_string(bad.offset) + ": " +
                bad.reason + "; skipped");
        round.malformed += parsed.malformed.size();
        position_.malformed += parsed.malformed.size();
        position_.entries += parsed.entries.size();
        for (SlowQuery& query : parsed.entries) round.entries.push_back(std::move(query));
        round.bytes_read += data.size();
        if (parsed.consumed == 0) {
            if (data.size() == max_bytes_ && !whole_rest) {  // one entry larger than a round: skip it
                say("slow log " + name.string() + ": entry at byte " + std::to_string(position_.offset) +
                    " is larger than slow_log_read_max_bytes; skipped");
                position_.offset += data.size();
                ++round.malformed;
                ++position_.malformed;
            }
            break;
        }
        position_.offset += parsed.consumed;
        if (!final && round.bytes_read >= max_bytes_) break;
        if (parsed.consumed < data.size() && whole_rest) break;  // a half-written entry waits
    }
    if (final && position_.offset < size)
        say("slow log " + name.string() + ": " + std::to_string(size - position_.offset) +
            " bytes at the end of the rotated file were not a complete entry; skipped");
}

FollowerRound SlowLogFollower::poll() {
    FollowerRound round;
    struct stat at_path{};
    const bool path_exists = stat(log_.c_str(), &at_path) == 0;

    if (resumed_) {
        // After a restart: is the file at the path the one of the state?
        resumed_ = false;
        if (path_exists && at_path.st_dev == position_.device && at_path.st_ino == position_.inode) {
            const int fd = open(log_.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                const std::uint64_t size = static_cast<std::uint64_t>(at_path.st_size);
                const bool same_head = size >= position_.head_bytes &&
                                       fnv1a(read_at(fd, 0, position_.head_bytes)) == position_.head_hash;
                if (same_head && size >= position_.offset) {
                    fd_ = fd;
                    say("slow log " + log_.string() + ": resuming at byte " + std::to_string(position_.offset));
                } else {
                    close(fd);
                    say("slow log " + log_.string() + ": truncated or rewritten while the daemon was stopped; "
                        "reading from its start");
                    round.truncated = true;
                    open_current();
                }
            }
        } else if (path_exists) {
            // Rotated while stopped: the old file's rest first, if it is still beside the log.
            round.rotated = true;
            if (const int old = open_rotated(); old >= 0) {
                read_from(old, log_.string() + " (rotated)", true, round);
                close(old);
                say("slow log " + log_.string() + ": rotated while the daemon was stopped; the rest of the old file "
                    "was read, reading the new one from its start");
            } else {
                say("slow log " + log_.string() + ": rotated while the daemon was stopped and the old file is not "
                    "beside it any more; reading the new file from its start");
            }
            open_current();
        }
    }

    if (fd_ < 0) {
        if (!path_exists) {
            const std::string problem = "slow log " + log_.string() + ": cannot open (" + std::strerror(ENOENT) + ")";
            if (problem != last_problem_) say(problem);
            last_problem_ = problem;
        }
        if (!path_exists || !open_current()) {
            save_state();
            return round;
        }
    } else if (path_exists && (static_cast<std::uint64_t>(at_path.st_ino) != position_.inode ||
                               static_cast<std::uint64_t>(at_path.st_dev) != position_.device)) {
        // Rotated: the rest of the old file first (it will not grow any more), then the new one.
        read_from(fd_, log_.string() + " (rotated)", true, round);
        say("slow log " + log_.string() + ": rotated (new inode " + std::to_string(at_path.st_ino) +
            "); the old file was read to its end, reading the new one from its start");
        round.rotated = true;
        if (!open_current()) {
            save_state();
            return round;
        }
    } else {
        struct stat st{};
        fstat(fd_, &st);
        const std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
        const bool shrank = size < position_.offset || size < position_.head_bytes;
        const bool rewritten = !shrank && position_.head_bytes > 0 &&
                               fnv1a(read_at(fd_, 0, position_.head_bytes)) != position_.head_hash;
        if (shrank || rewritten) {
            say("slow log " + log_.string() + ": truncated in place (size " + std::to_string(size) + ", was at byte " +
                std::to_string(position_.offset) + "); reading from its start");
            round.truncated = true;
            position_.offset = 0;
            position_.head_bytes = 0;
        }
    }
    read_from(fd_, log_, false, round);
    save_state();
    return round;
}

}  // namespace hpcmon::dbhealth
