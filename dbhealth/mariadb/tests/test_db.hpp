// Helpers of the dbhealth/mariadb tests: the fixture's accounting.env, root statements through
// the fixture's unix socket, client processes that hold connections, a free port.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "hpcmon/dbhealth/mariadb.hpp"

namespace hpcmon::dbhealth::testing {

// KEY=VALUE lines of $HPCMON_ACCOUNTING_DIR/accounting.env (empty map when unset).
const std::map<std::string, std::string>& accounting_env();
// The monitor's endpoint on the fixture (TCP, account hpcmon).
Endpoint monitor_endpoint();
// Runs SQL as root through the socket; returns its tab-separated output, throws on failure.
std::string root_sql(const std::string& sql);
// A 0600 file holding `text` in a fresh temporary folder.
std::string private_file(const std::string& text, unsigned mode = 0600);
// A TCP port on 127.0.0.1 where nothing listens right now.
int free_port();

// A process started in its own process group; the group is ended on destruction.
class Process {
 public:
  explicit Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  void end();  // SIGTERM to the group, then waits
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// Polls `condition` every 50 ms until it holds or `seconds` passed.
template <class Condition>
bool eventually(double seconds, Condition condition);

}  // namespace hpcmon::dbhealth::testing

#include <chrono>
#include <thread>

template <class Condition>
bool hpcmon::dbhealth::testing::eventually(double seconds, Condition condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}
