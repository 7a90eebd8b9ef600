// Token files (token_file.hpp).
#include "hpcmon/token_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "hpcmon/safe_dirs.hpp"

namespace hpcmon {

std::string read_token_file(const std::string& path, std::string& error) {
  safe::Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd.ok()) {
    error = path + ": cannot open token file: " + std::strerror(errno);
    return {};
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    error = path + ": token file is not a regular file";
    return {};
  }
  if (st.st_uid != ::geteuid() && st.st_uid != 0) {
    error = path + ": token file belongs to uid " + std::to_string(st.st_uid) + ", not to uid " +
            std::to_string(::geteuid()) + " or root";
    return {};
  }
  if (st.st_mode & 077) {
    error = path + ": token file must not be readable by group or others (mode 0600)";
    return {};
  }
  std::string text;
  char buffer[512];
  ssize_t n;
  while (text.size() < 4096 && ((n = ::read(fd.get(), buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR)))
    if (n > 0) text.append(buffer, static_cast<std::size_t>(n));
  const std::size_t line_end = text.find_first_of("\r\n");
  if (line_end != std::string::npos) text.resize(line_end);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
  if (text.size() < kMinTokenLength) {
    error = path + ": token shorter than " + std::to_string(kMinTokenLength) + " characters";
    return {};
  }
  error.clear();
  return text;
}

}  // namespace hpcmon
