// Small things every daemon test needs: a free loopback port, the wall clock in ns, polling
// until a condition holds, temporary folders removed at the end, whole files written and read.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>

namespace hpcmon::test_support {

namespace fs = std::filesystem;

// A TCP port on 127.0.0.1 that was free a moment ago.
std::uint16_t free_port();

std::int64_t now_ns();

// Polls `check` every 50 ms until it holds or `seconds` have passed; its last answer.
template <class Check>
bool eventually(Check check, double seconds = 10) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (check()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return check();
}

// Writes `text` (parent folders made) and sets `mode` (octal, e.g. 0644).
void write_text(const fs::path& path, const std::string& text, int mode = 0600);
std::string read_text(const fs::path& path);

// A fresh folder under the temporary directory, removed with everything in it at the end.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

}  // namespace hpcmon::test_support
