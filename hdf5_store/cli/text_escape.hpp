// Escaping of user-controlled strings (job names, command lines, paths) for each output.
#pragma once

#include <string>

namespace hpcmon::cli {

// For a terminal: control characters and DEL become \xNN, backslash becomes \\, so a job
// name cannot move the cursor, change colours or forge extra lines.
std::string escape_terminal(const std::string& s);

// One CSV field (RFC 4180): quoted when needed, quotes doubled, control characters escaped
// as for the terminal, and a leading = + - @ prefixed with ' so spreadsheets do not run it
// as a formula.
std::string csv_text(const std::string& s);

}  // namespace hpcmon::cli
