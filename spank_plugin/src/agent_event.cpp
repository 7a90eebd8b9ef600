#include "agent_event.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "hpcmon/safe_dirs.hpp"

namespace hpcmon::spank {

using namespace hpcmon::safe;
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0.
std::size_t utf8_length(const std::string& s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((b(i + k) >> 6) != 0x2) return 0;
  if (n == 2 && c < 0xc2) return 0;                            // overlong
  if (n == 3 && c == 0xe0 && b(i + 1) < 0xa0) return 0;        // overlong
  if (n == 3 && c == 0xed && b(i + 1) >= 0xa0) return 0;       // surrogates
  if (n == 4 && (c > 0xf4 || (c == 0xf0 && b(i + 1) < 0x90) || (c == 0xf4 && b(i + 1) >= 0x90))) return 0;
  return n;
}

std::int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", c);
      out += esc;
      ++i;
    } else if (std::size_t n = utf8_length(s, i)) {
      out.append(s, i, n);
      i += n;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  return out + "\"";
}

EventLine::EventLine(const std::string& event, std::uint32_t job_id, const std::string& step) {
  body_ = "{\"v\":" + std::to_string(kAgentProtocolVersion) + ",\"event\":" + json_string(event) +
          ",\"job_id\":" + std::to_string(job_id) + ",\"step\":" + json_string(step);
}

EventLine& EventLine::add(const std::string& key, const std::string& value) {
  body_ += "," + json_string(key) + ":" + json_string(value);
  return *this;
}

EventLine& EventLine::add(const std::string& key, std::int64_t value) {
  body_ += "," + json_string(key) + ":" + std::to_string(value);
  return *this;
}

EventLine& EventLine::add(const std::string& key, const std::vector<std::string>& values) {
  body_ += "," + json_string(key) + ":[";
  for (std::size_t i = 0; i < values.size(); ++i) body_ += (i ? "," : "") + json_string(values[i]);
  body_ += "]";
  return *this;
}

namespace {

// Connects and writes `line` within `timeout_ms`; the connected socket, or an invalid Fd and *why.
Fd connect_and_send(const std::string& path, const std::string& line, int timeout_ms, std::string* why) {
  const std::int64_t deadline = now_ms() + timeout_ms;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    *why = path + ": socket path too long";
    return Fd();
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  // A blocking socket with a send timeout: on Unix sockets SO_SNDTIMEO bounds connect()
  // too (a full backlog makes a non-blocking connect fail at once with EAGAIN instead).
  Fd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock.ok()) {
    *why = std::string("socket: ") + std::strerror(errno);
    return Fd();
  }
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(sock.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  while (connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == EINTR && now_ms() < deadline) continue;
    *why = path + ": " + (errno == EAGAIN || errno == EINPROGRESS ? "connect timed out" : std::strerror(errno));
    return Fd();
  }
  std::size_t sent = 0;
  while (sent < line.size()) {
    ssize_t n = send(sock.get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR && now_ms() < deadline) {
      continue;
    } else {
      *why = path + ": " + (n < 0 && errno == EAGAIN ? "write timed out" : std::strerror(errno));
      return Fd();
    }
    if (sent < line.size() && now_ms() >= deadline) {
      *why = path + ": write timed out";
      return Fd();
    }
  }
  return sock;
}

}  // namespace

bool send_event(const std::string& path, const std::string& line, int timeout_ms, std::string* why) {
  return connect_and_send(path, line, timeout_ms, why).ok();
}

bool ask_agent(const std::string& path, const std::string& line, int timeout_ms, int answer_ms, std::string* why) {
  Fd sock = connect_and_send(path, line, timeout_ms, why);
  if (!sock.ok()) return false;
  const std::int64_t deadline = now_ms() + answer_ms;
  std::string answer;
  char buffer[256];
  while (answer.find('\n') == std::string::npos) {
    const std::int64_t left = deadline - now_ms();
    if (left <= 0) {
      *why = path + ": no answer within " + std::to_string(answer_ms) + " ms";
      return false;
    }
    pollfd p{sock.get(), POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // the deadline check above ends it
    const ssize_t n = recv(sock.get(), buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      *why = path + ": closed without an answer (an agent that does not know job_end)";
      return false;
    }
    if (answer.size() < 4096) answer.append(buffer, static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace hpcmon::spank
