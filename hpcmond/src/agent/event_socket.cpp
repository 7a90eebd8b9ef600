#include "hpcmon/agent/event_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "hpcmon/agent/protocol.hpp"

namespace hpcmon::agent {
namespace {

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

constexpr std::int64_t kClientTimeoutNs = 1'000'000'000;

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

// The socket's folder: created 0755 when missing; it must be a real directory of ours
// that nobody else can write, or another user could swap the socket.
void check_folder(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) fail(dir.string() + ": mkdir");
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) fail(dir.string() + ": open");
  struct stat st{};
  const int rc = ::fstat(fd, &st);
  ::close(fd);
  if (rc != 0) fail(dir.string() + ": fstat");
  if (st.st_uid != ::geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
    throw std::runtime_error(dir.string() + ": the socket folder must belong to uid " + std::to_string(::geteuid()) +
                             " and be writable by nobody else");
}

}  // namespace

EventSocket::EventSocket(const std::filesystem::path& path, Log& log) : path_(path), log_(log) {
  sockaddr_un addr{};
  if (path.string().size() >= sizeof addr.sun_path) throw std::runtime_error(path.string() + ": socket path too long");
  check_folder(path.parent_path().empty() ? "." : path.parent_path());
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) throw std::runtime_error(path.string() + ": exists and is not a socket");
    ::unlink(path.c_str());  // a stale socket of an earlier agent
  }
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) fail("socket");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.string().size());
  const mode_t old_mask = ::umask(0177);  // born 0600: no window where others may connect
  const int rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old_mask);
  if (rc != 0) {
    ::close(listen_fd_);
    fail(path.string() + ": bind");
  }
  if (::chmod(path.c_str(), 0600) != 0 || ::listen(listen_fd_, 128) != 0) {
    ::close(listen_fd_);
    fail(path.string() + ": listen");
  }
}

EventSocket::~EventSocket() {
  for (auto& c : clients_) ::close(c.fd);
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    ::unlink(path_.c_str());
  }
}

void EventSocket::fill_poll(std::vector<pollfd>& fds) const {
  fds.push_back({listen_fd_, POLLIN, 0});
  for (const auto& c : clients_) fds.push_back({c.fd, POLLIN, 0});
}

void EventSocket::accept_all() {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: all taken
    ++stats_.connections;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != 0) {
      ++stats_.refused_peers;
      log_.once(Level::warning, "refused-peer",
                "refused a connection from uid " + std::to_string(cred.uid) + " pid " + std::to_string(cred.pid) +
                    " (only root may send step events; later refusals are only counted)");
      ::close(fd);
      continue;
    }
    if (clients_.size() >= kMaxClients) {
      log_.once(Level::warning, "too-many-clients", "more than 64 open connections: dropping new ones");
      ::close(fd);
      continue;
    }
    clients_.push_back({fd, {}, now_ns() + kClientTimeoutNs});
  }
}

bool EventSocket::read_client(Client& c, const LineHandler& handler) {
  // An answer is a few bytes on a connection that has sent one line: it fits the socket's
  // buffer, so a non-blocking send either goes whole or the peer is gone.
  auto on_line = [&](std::string_view line) {
    const std::string answer = handler(line);
    if (!answer.empty()) (void)::send(c.fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  };
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(c.fd, buffer, sizeof buffer);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    if (n == 0) {  // closed: a last line without its newline still counts
      if (!c.buffer.empty() && !c.discarding) on_line(c.buffer);
      return false;
    }
    c.deadline_ns = now_ns() + kClientTimeoutNs;  // a quiet connection is dropped, a talking one kept
    std::string_view data(buffer, static_cast<std::size_t>(n));
    while (!data.empty()) {
      const auto newline = data.find('\n');
      const auto piece = data.substr(0, newline);
      if (!c.discarding) {
        if (c.buffer.size() + piece.size() > kMaxLineBytes) {
          ++stats_.oversized_lines;
          log_.once(Level::warning, "oversized-line", "a step event line over 64 KiB was dropped (later ones are only counted)");
          c.buffer.clear();
          c.discarding = true;
        } else {
          c.buffer.append(piece);
        }
      }
      if (newline == std::string_view::npos) break;
      if (!c.discarding && !c.buffer.empty()) on_line(c.buffer);
      c.buffer.clear();
      c.discarding = false;
      data.remove_prefix(newline + 1);
    }
  }
}

void EventSocket::service(const std::vector<pollfd>& fds, const LineHandler& on_line) {
  for (const auto& p : fds) {
    if (!p.revents) continue;
    if (p.fd == listen_fd_) continue;
    for (std::size_t i = 0; i < clients_.size(); ++i) {
      if (clients_[i].fd != p.fd) continue;
      if (!read_client(clients_[i], on_line)) {
        ::close(clients_[i].fd);
        clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(i));
      }
      break;
    }
  }
  for (const auto& p : fds)
    if (p.fd == listen_fd_ && p.revents) accept_all();
  const std::int64_t now = now_ns();
  for (std::size_t i = 0; i < clients_.size();) {
    if (clients_[i].deadline_ns < now) {
      ++stats_.timeouts;
      ::close(clients_[i].fd);
      clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

}  // namespace hpcmon::agent
