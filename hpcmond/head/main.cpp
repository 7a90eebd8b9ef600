// hpcmond-head: the head daemon alone (`hpcmond` without --agent will call the same run()).
// Only wires signals and configuration to hpcmon::head::run.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "hpcmon/head/head.hpp"

namespace {
std::atomic<bool> stop_requested{false};
std::atomic<bool> reload_requested{false};
void on_stop(int) { stop_requested = true; }
void on_hangup(int) { reload_requested = true; }
}  // namespace

int main(int argc, char** argv) {
  std::string path;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      path = argv[++i];
    } else {
      std::fprintf(stderr, "usage: hpcmond-head [--config FILE]\n");
      return 2;
    }
  }
  hpcmon::config::Config config;
  try {
    config = hpcmon::config::load_file(path.empty() ? hpcmon::config::default_path() : std::filesystem::path(path));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "hpcmond: %s\n", error.what());
    return 2;
  }
  struct sigaction action{};
  action.sa_handler = on_stop;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  action.sa_handler = on_hangup;
  sigaction(SIGHUP, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return hpcmon::head::run(config, stop_requested, &reload_requested);
}
