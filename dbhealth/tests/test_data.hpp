// Slow-log text captured from a real slurmdbd 22.05 on MariaDB 10.11 (data/): the start of the
// log, the write path of jobs, `sacct -a` over 20 jobs and `sacct -a --name=x`.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace hpcmon::dbhealth::test {

inline std::string read_data(const std::string& name) {
    std::ifstream in(std::filesystem::path(HPCMON_DBHEALTH_DATA) / name, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

inline std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

}  // namespace hpcmon::dbhealth::test
