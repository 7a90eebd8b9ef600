// Helpers of the dbhealth/mariadb tests (test_db.hpp).
#include "test_db.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace hpcmon::dbhealth::testing {

const std::map<std::string, std::string>& accounting_env() {
  static const std::map<std::string, std::string> env = [] {
    std::map<std::string, std::string> out;
    const char* dir = std::getenv("HPCMON_ACCOUNTING_DIR");
    if (!dir) return out;
    std::ifstream in(std::string(dir) + "/accounting.env");
    std::string line;
    while (std::getline(in, line)) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return out;
  }();
  return env;
}

Endpoint monitor_endpoint() {
  const auto& env = accounting_env();
  Endpoint e;
  e.host = env.at("HPCMON_MARIADB_HOST");
  e.port = std::stoi(env.at("HPCMON_MARIADB_PORT"));
  e.user = env.at("HPCMON_DB_USER");
  e.password_file = env.at("HPCMON_DB_PASSWORD_FILE");
  e.connect_timeout_s = 2;
  e.read_timeout_s = 5;
  return e;
}

std::string root_sql(const std::string& sql) {
  const std::string file = private_file(sql);
  const std::string command = "mariadb --defaults-file=" + accounting_env().at("HPCMON_MARIADB_DEFAULTS_FILE") +
                              " -u root -N -B < " + file + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed");
  std::string out;
  std::array<char, 4096> buffer{};
  std::size_t got;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), got);
  const int status = ::pclose(pipe);
  if (status != 0) throw std::runtime_error("root SQL failed: " + out);
  return out;
}

std::string private_file(const std::string& text, unsigned mode) {
  char dir[] = "/tmp/hpcmon-dbtest-XXXXXX";
  if (!::mkdtemp(dir)) throw std::runtime_error("mkdtemp failed");
  const std::string path = std::string(dir) + "/file";
  {
    std::ofstream out(path);
    out << text;
  }
  ::chmod(path.c_str(), mode);
  return path;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("no free port");
  ::close(fd);
  return ntohs(addr.sin_port);
}

Process::Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::setpgid(0, 0);
    for (const auto& [key, value] : env) ::setenv(key.c_str(), value.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);
}

void Process::end() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

Process::~Process() { end(); }

}  // namespace hpcmon::dbhealth::testing
