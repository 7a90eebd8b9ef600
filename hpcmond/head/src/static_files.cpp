// The dashboard's files on the API port (static_files.hpp). Every file is opened component by
// component below the folder's descriptor with O_NOFOLLOW, so neither ".." nor a symlink placed
// in the folder can reach another file.
#include "hpcmon/head/static_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>

namespace hpcmon::head {
namespace {

constexpr std::int64_t kMaxFileBytes = 16 * 1024 * 1024;

// The page's own code only: no inline script, no other origin. Inline styles stay allowed
// for the charts, which size their canvases through element styles.
constexpr const char* kPagePolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

struct Descriptor {
  int fd = -1;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

bool allowed_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '/';
}

// "css/app.css" -> {"css", "app.css"}; empty when any part is empty, hidden or not plain.
std::vector<std::string> safe_parts(const std::string& relative) {
  std::vector<std::string> parts;
  if (relative.empty() || relative.size() > 256) return {};
  for (char c : relative)
    if (!allowed_char(c)) return {};
  std::size_t begin = 0;
  while (begin <= relative.size()) {
    const std::size_t end = std::min(relative.find('/', begin), relative.size());
    std::string part = relative.substr(begin, end - begin);
    if (part.empty() || part.front() == '.') return {};
    parts.push_back(std::move(part));
    begin = end + 1;
  }
  return parts;
}

ApiError missing(const std::string& path) {
  return ApiError{ErrorType::not_found, "no such file: " + path, ""};
}

Outcome serve(const std::filesystem::path& dir, const std::string& relative, const Request& request) {
  const std::vector<std::string> parts = safe_parts(relative);
  const std::string type = parts.empty() ? "" : static_content_type(parts.back());
  if (type.empty()) return missing(request.path);
  Descriptor folder{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (folder.fd < 0) return ApiError{ErrorType::unavailable, "the dashboard is not installed", ""};
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    Descriptor next{::openat(folder.fd, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
    if (next.fd < 0) return missing(request.path);
    std::swap(folder.fd, next.fd);
  }
  Descriptor file{::openat(folder.fd, parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
  struct stat info{};
  if (file.fd < 0 || ::fstat(file.fd, &info) != 0 || !S_ISREG(info.st_mode) || info.st_size > kMaxFileBytes)
    return missing(request.path);
  // A validator from size and modification time: the page revalidates on every load (the
  // files are not fingerprinted) and gets 304 without a body when nothing changed.
  char tag[64];
  std::snprintf(tag, sizeof tag, "\"%llx-%llx\"", static_cast<unsigned long long>(info.st_size),
                static_cast<unsigned long long>(info.st_mtim.tv_sec * 1000000000LL + info.st_mtim.tv_nsec));
  RawBody body{type, "", nullptr};
  body.headers = {{"Cache-Control", "no-cache"}, {"ETag", tag}, {"Referrer-Policy", "no-referrer"}};
  if (type.rfind("text/html", 0) == 0) {
    body.headers.emplace_back("Content-Security-Policy", kPagePolicy);
    body.headers.emplace_back("X-Frame-Options", "DENY");
  }
  const auto known = request.headers.find("if-none-match");
  if (known != request.headers.end() && known->second == tag) {
    body.status = 304;
    return body;
  }
  body.text.resize(static_cast<std::size_t>(info.st_size));
  std::size_t done = 0;
  while (done < body.text.size()) {
    const ssize_t got = ::read(file.fd, body.text.data() + done, body.text.size() - done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return ApiError{ErrorType::internal, "cannot read " + request.path, ""};
    done += static_cast<std::size_t>(got);
  }
  return body;
}

}  // namespace

std::filesystem::path default_webui_dir() {
  std::error_code error;
  const std::filesystem::path program = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return "/usr/share/hpcmon/webui";
  return program.parent_path().parent_path() / "share" / "hpcmon" / "webui";
}

bool is_static_path(const std::string& path) {
  return path == "/" || path == "/index.html" || path.rfind("/ui/", 0) == 0;
}

std::string static_content_type(const std::string& name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kTypes = {{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  for (const auto& [extension, type] : kTypes)
    if (name.size() > extension.size() &&
        name.compare(name.size() - extension.size(), extension.size(), extension) == 0)
      return std::string(type);
  return "";
}

void register_static_routes(Router& router, const std::filesystem::path& dir) {
  auto index = [dir](const Request& request) { return serve(dir, "index.html", request); };
  router.get("/", index);
  router.get("/index.html", index);
  router.get_prefix("/ui/", [dir](const Request& request) { return serve(dir, "ui/" + request.path_tail, request); });
}

}  // namespace hpcmon::head
