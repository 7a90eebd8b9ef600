// Access control of the API: open, token or per-user (MUNGE) reads; writes always need the
// human-scoped token, agent pushes the agent-scoped one.
// Owns: reading token files (regular, not a symlink, mode 0600 or stricter), constant-time
// comparison, the decision for each request.
// Never: logs or returns a token, or accepts a token file others can read.
#pragma once

#include <optional>
#include <string>

#include "hpcmon/config.hpp"
#include "hpcmon/head/http.hpp"

namespace hpcmon::head {

// Equal in time independent of where the strings differ.
bool constant_time_equal(const std::string& a, const std::string& b);

enum class Scope { read, human_write, agent_push };

class Access {
 public:
  // Throws std::runtime_error when a needed token file is missing or unsafe.
  explicit Access(const config::Api& api);
  // Sets request.user / sees_all, or refuses.
  std::optional<ApiError> check(Request& request, Scope scope) const;
  const std::string& mode() const { return mode_; }

 private:
  std::optional<ApiError> check_munge(Request& request) const;
  std::string mode_;
  std::string human_token_;
  std::string agent_token_;
  std::string admin_group_;
};

}  // namespace hpcmon::head
