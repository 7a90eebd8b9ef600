// Access decisions (access.hpp).
#include "hpcmon/head/access.hpp"

#include <fcntl.h>
#include <grp.h>
#include <munge.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "hpcmon/head/record_index.hpp"
#include "hpcmon/token_file.hpp"

namespace hpcmon::head {

bool constant_time_equal(const std::string& a, const std::string& b) {
  const std::size_t length = std::max(a.size(), b.size());
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < length; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    difference |= static_cast<unsigned char>(x ^ y);
  }
  return difference == 0;
}

namespace {

std::string bearer(const Request& request) {
  auto it = request.headers.find("authorization");
  if (it == request.headers.end()) return "";
  const std::string& value = it->second;
  if (value.size() > 7 && (value.compare(0, 7, "Bearer ") == 0 || value.compare(0, 7, "bearer ") == 0))
    return value.substr(7);
  return "";
}

bool in_group(const std::string& user, uid_t uid, const std::string& group_name) {
  group entry{};
  group* found = nullptr;
  std::vector<char> buffer(16384);
  if (getgrnam_r(group_name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found)
    return false;
  for (char** member = found->gr_mem; member && *member; ++member)
    if (user == *member) return true;
  passwd pw{};
  passwd* pw_found = nullptr;
  char pw_buffer[4096];
  return getpwuid_r(uid, &pw, pw_buffer, sizeof pw_buffer, &pw_found) == 0 && pw_found &&
         pw_found->pw_gid == found->gr_gid;
}

}  // namespace

Access::Access(const config::Api& api) : mode_(api.access), admin_group_(api.admin_group) {
  // Writes need the human token in every mode; without the file, writes are refused.
  std::string error;
  human_token_ = read_token_file(api.token_file, error);
  if (human_token_.empty() && mode_ == "token") throw std::runtime_error(error);
  agent_token_ = read_token_file(api.agent_token_file, error);
}

std::optional<ApiError> Access::check_munge(Request& request) const {
  auto it = request.headers.find("x-munge-credential");
  if (it == request.headers.end())
    return ApiError{ErrorType::unauthorized, "a MUNGE credential (X-Munge-Credential) is required", ""};
  munge_ctx_t context = munge_ctx_create();
  if (const char* socket = std::getenv("HPCMON_MUNGE_SOCKET"))
    munge_ctx_set(context, MUNGE_OPT_SOCKET, socket);
  uid_t uid = 0;
  gid_t gid = 0;
  const munge_err_t status = munge_decode(it->second.c_str(), context, nullptr, nullptr, &uid, &gid);
  munge_ctx_destroy(context);
  if (status != EMUNGE_SUCCESS)
    return ApiError{ErrorType::unauthorized,
                    std::string("MUNGE credential refused: ") + munge_strerror(status), ""};
  request.user = user_name(uid);
  request.sees_all = uid == 0 || in_group(request.user, uid, admin_group_);
  return std::nullopt;
}

std::optional<ApiError> Access::check(Request& request, Scope scope) const {
  const std::string presented = bearer(request);
  if (scope == Scope::agent_push) {
    if (presented.empty()) return ApiError{ErrorType::unauthorized, "an agent token is required", ""};
    if (agent_token_.empty() || !constant_time_equal(presented, agent_token_))
      return ApiError{ErrorType::forbidden, "token not valid for agent pushes", ""};
    return std::nullopt;
  }
  if (scope == Scope::human_write) {
    if (presented.empty()) return ApiError{ErrorType::unauthorized, "a token is required to write", ""};
    if (human_token_.empty() || !constant_time_equal(presented, human_token_))
      return ApiError{ErrorType::forbidden, "token not valid for this request", ""};
    return std::nullopt;
  }
  if (mode_ == "open") {
    request.sees_all = true;
    return std::nullopt;
  }
  if (mode_ == "token") {
    if (presented.empty()) return ApiError{ErrorType::unauthorized, "a token is required", ""};
    if (!constant_time_equal(presented, human_token_))
      return ApiError{ErrorType::forbidden, "token not valid", ""};
    request.sees_all = true;
    return std::nullopt;
  }
  // User mode: services (Prometheus, the web view's backend) may read everything with the
  // human token; people prove their uid with MUNGE.
  if (!presented.empty()) {
    if (human_token_.empty() || !constant_time_equal(presented, human_token_))
      return ApiError{ErrorType::forbidden, "token not valid", ""};
    request.sees_all = true;
    return std::nullopt;
  }
  request.sees_all = false;
  return check_munge(request);
}

}  // namespace hpcmon::head
