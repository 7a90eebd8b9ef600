// Step events for the node agent (docs/agent-protocol.md): one JSON object per line, sent on
// a fresh connection to a Unix stream socket, never waiting for an answer, giving up after
// 100 ms so that an absent or slow agent never delays a job. The one exception is job_epilog's
// job_end, sent only when the run directory holds memory profiles: it waits, bounded, for the
// agent's answer before the folder is removed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hpcmon::spank {

inline constexpr int kAgentProtocolVersion = 1;
inline constexpr int kAgentTimeoutMs = 100;

// Builds one event line: {"v":1,"event":...,"job_id":...,"step":..., further fields}\n
class EventLine {
 public:
  EventLine(const std::string& event, std::uint32_t job_id, const std::string& step);
  EventLine& add(const std::string& key, const std::string& value);
  EventLine& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
  EventLine& add(const std::string& key, std::int64_t value);
  EventLine& add(const std::string& key, const std::vector<std::string>& values);
  // The finished line, newline included.
  std::string text() const { return body_ + "}\n"; }

 private:
  std::string body_;
};

// JSON string literal of arbitrary bytes: quotes, backslashes and control characters escaped;
// bytes that are not valid UTF-8 become U+FFFD, so the line is always valid JSON.
std::string json_string(const std::string& s);

// Connects to the socket at `path`, writes `line` and closes, within `timeout_ms` in all.
// Returns false (with *why) when the agent is absent, refuses, or is too slow.
bool send_event(const std::string& path, const std::string& line, int timeout_ms, std::string* why);

// The one exchange that waits (job_epilog's job_end): sends `line` as send_event does, then
// waits up to `answer_ms` for the agent's one-line answer. False (with *why) without one.
bool ask_agent(const std::string& path, const std::string& line, int timeout_ms, int answer_ms, std::string* why);

// How long job_epilog waits for the agent before it removes a run directory that holds memory
// profiles (the agent answers once it holds the profiles of the steps it has still to write).
inline constexpr int kEpilogAnswerMs = 10000;

}  // namespace hpcmon::spank
