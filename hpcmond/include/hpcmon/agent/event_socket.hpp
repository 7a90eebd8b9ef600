// The agent's end of docs/agent-protocol.md: a Unix stream socket owned by root, mode 0600,
// in a root-owned directory of mode 0755. Only peers whose SO_PEERCRED uid is 0 are read;
// lines are bounded (64 KiB) and a connection that sends nothing for a second is dropped.
// Single-threaded: the agent's loop polls fds() and calls service() with what is ready.
#pragma once

#include <poll.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "hpcmon/agent/log.hpp"

namespace hpcmon::agent {

struct SocketStats {
  std::atomic<std::uint64_t> connections{0};
  std::atomic<std::uint64_t> refused_peers{0};   // SO_PEERCRED uid not 0
  std::atomic<std::uint64_t> oversized_lines{0};  // longer than kMaxLineBytes
  std::atomic<std::uint64_t> timeouts{0};
};

class EventSocket {
 public:
  // Creates the socket; throws std::runtime_error with one line when it cannot.
  EventSocket(const std::filesystem::path& path, Log& log);
  ~EventSocket();
  EventSocket(const EventSocket&) = delete;
  EventSocket& operator=(const EventSocket&) = delete;

  // Poll entries for the listening socket and every open connection.
  void fill_poll(std::vector<pollfd>& fds) const;
  // Accepts and reads whatever `fds` says is ready; each complete line goes to on_line, whose
  // answer (when not empty: job_end's) is written back on the same connection.
  using LineHandler = std::function<std::string(std::string_view)>;
  void service(const std::vector<pollfd>& fds, const LineHandler& on_line);
  const SocketStats& stats() const { return stats_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  struct Client {
    int fd;
    std::string buffer;
    std::int64_t deadline_ns;
    bool discarding = false;  // inside an oversized line: drop until its newline
  };
  void accept_all();
  bool read_client(Client& c, const LineHandler& on_line);  // false: close it

  std::filesystem::path path_;
  Log& log_;
  int listen_fd_ = -1;
  std::vector<Client> clients_;
  SocketStats stats_;
};

inline constexpr std::size_t kMaxClients = 64;

}  // namespace hpcmon::agent
