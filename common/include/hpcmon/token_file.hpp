// Bearer token files (library hpcmon_safe_files): the one reader used by the head daemon (its
// API and agent tokens) and the node agent (its push token).
// Rules (architecture "Access"): opened with O_NOFOLLOW; a regular file owned by the reading
// uid or root, with no group or other access (mode 0600 or stricter); its first line, without
// trailing blanks, is the token, at least 16 characters. Errors name the file, never the token.
#pragma once

#include <string>

namespace hpcmon {

inline constexpr std::size_t kMinTokenLength = 16;

// The token, or empty with `error` set to a one-line reason.
std::string read_token_file(const std::string& path, std::string& error);

}  // namespace hpcmon
