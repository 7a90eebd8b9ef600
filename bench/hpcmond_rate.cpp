// Fixed-rate HTTP load for the head daemon: sends GET <path> at exactly R requests/s for D
// seconds over C keep-alive connections (plain sockets, one epoll thread) and reports
// p50/p99/p99.9/max latency. Each request's latency counts from its scheduled send time, so
// a stalled server is not hidden by the client waiting (no coordinated omission). A request
// whose turn comes while every connection is busy waits for the next free one (counted late).
//   usage: hpcmond_rate HOST PORT PATH [RATE=2000] [SECONDS=30] [CONNECTIONS=16]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Connection {
  int fd = -1;
  bool busy = false;
  Clock::time_point scheduled;
  std::string in;
};

int connect_to(const sockaddr_in& address) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  return fd;
}

// Length of one complete response at the front of `in`, or 0 when incomplete.
std::size_t complete_response(const std::string& in) {
  const std::size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos) return 0;
  std::size_t length = 0;
  std::string head = in.substr(0, head_end);
  std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
  const std::size_t at = head.find("content-length:");
  if (at != std::string::npos) length = std::strtoull(head.c_str() + at + 15, nullptr, 10);
  return in.size() >= head_end + 4 + length ? head_end + 4 + length : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s HOST PORT PATH [RATE] [SECONDS] [CONNECTIONS]\n", argv[0]);
    return 2;
  }
  const double rate = argc > 4 ? std::atof(argv[4]) : 2000;
  const double seconds = argc > 5 ? std::atof(argv[5]) : 30;
  const int connections = argc > 6 ? std::atoi(argv[6]) : 16;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[2])));
  inet_pton(AF_INET, argv[1], &address.sin_addr);
  const std::string request = std::string("GET ") + argv[3] + " HTTP/1.1\r\nHost: " + argv[1] + "\r\n\r\n";

  const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<Connection> pool(static_cast<std::size_t>(connections));
  for (std::size_t i = 0; i < pool.size(); ++i) {
    pool[i].fd = connect_to(address);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = i;
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, pool[i].fd, &event);
  }
  const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate));
  const std::size_t total = static_cast<std::size_t>(rate * seconds);
  std::vector<double> latencies_ms;
  latencies_ms.reserve(total);
  std::deque<Clock::time_point> waiting;  // scheduled but not yet sent (all connections busy)
  std::size_t scheduled = 0, late = 0, errors = 0;
  const Clock::time_point start = Clock::now();
  char buffer[65536];
  while (latencies_ms.size() + errors < total) {
    const Clock::time_point now = Clock::now();
    while (scheduled < total && start + period * static_cast<long>(scheduled) <= now)
      waiting.push_back(start + period * static_cast<long>(scheduled++));
    for (auto& c : pool) {
      if (waiting.empty()) break;
      if (c.busy) continue;
      c.busy = true;
      c.scheduled = waiting.front();
      waiting.pop_front();
      late += Clock::now() - c.scheduled > std::chrono::milliseconds(1);
      if (::send(c.fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) ++errors;
    }
    // Sleep exactly until the next request is due (epoll_pwait2: nanosecond timeout), so the
    // client's own wake-up granularity does not add to the measured latency.
    timespec timeout{0, 0};
    if (waiting.empty() && scheduled < total) {
      const auto due = start + period * static_cast<long>(scheduled) - Clock::now();
      const long ns = std::max<long>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(due).count());
      timeout = {ns / 1000000000, ns % 1000000000};
    } else if (waiting.empty()) {
      timeout = {0, 1000000};
    }
    epoll_event events[64];
    const int n = ::epoll_pwait2(epoll, events, 64, &timeout, nullptr);
    for (int i = 0; i < n; ++i) {
      Connection& c = pool[events[i].data.u64];
      const ssize_t got = ::recv(c.fd, buffer, sizeof buffer, 0);
      if (got <= 0) {
        std::fprintf(stderr, "connection closed by the server\n");
        return 1;
      }
      c.in.append(buffer, static_cast<std::size_t>(got));
      if (const std::size_t used = complete_response(c.in)) {
        const auto done = Clock::now();
        if (c.in.compare(0, 12, "HTTP/1.1 200") != 0) ++errors;
        latencies_ms.push_back(std::chrono::duration<double, std::milli>(done - c.scheduled).count());
        c.in.erase(0, used);
        c.busy = false;
      }
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    return latencies_ms[std::min(latencies_ms.size() - 1, static_cast<std::size_t>(p * latencies_ms.size()))];
  };
  std::printf("%s at %.0f req/s for %.0f s over %d connections: %zu answered (%.0f req/s), %zu errors, "
              "%zu sent over 1 ms late (all connections busy)\n",
              argv[3], rate, seconds, connections, latencies_ms.size(), latencies_ms.size() / elapsed, errors, late);
  std::printf("latency from scheduled send: p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms\n",
              pct(0.50), pct(0.90), pct(0.99), pct(0.999), latencies_ms.empty() ? 0.0 : latencies_ms.back());
  return errors ? 1 : 0;
}
