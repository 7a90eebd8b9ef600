// Record file names and folders (docs/job-record.md, "File names").
#include <ctime>

#include "hpcmon/store.hpp"

namespace hpcmon::store {
namespace {

// Keeps names inside their folder: no '/', no "..", nothing a shell would trip on.
std::string safe_part(const std::string& s) {
  if (s.empty()) return "-";
  std::string out = s;
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '+' || c == '-';
    if (!ok) c = '-';
  }
  return out;
}

std::filesystem::path day_folder(const std::filesystem::path& record_dir, const std::string& user,
                                 std::int64_t start_ns) {
  std::time_t secs = static_cast<std::time_t>(start_ns / 1'000'000'000);
  if (start_ns < 0 && start_ns % 1'000'000'000 != 0) --secs;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char year[16], month[16], day[16];
  std::snprintf(year, sizeof year, "%04d", (tm.tm_year + 1900) % 10000);
  std::snprintf(month, sizeof month, "%02d", tm.tm_mon + 1);
  std::snprintf(day, sizeof day, "%02d", tm.tm_mday);
  return record_dir / safe_part(user) / year / month / day;
}

}  // namespace

std::string record_stem(const record::RecordKey& key) {
  return safe_part(key.cluster) + "." + safe_part(key.job) + "." + safe_part(key.step) + ".r" +
         std::to_string(key.restart_count) + "." + std::to_string(key.run);
}

std::filesystem::path record_path(const std::filesystem::path& record_dir, const std::string& user,
                                  std::int64_t start_ns, const record::RecordKey& key) {
  return day_folder(record_dir, user, start_ns) / (record_stem(key) + ".h5");
}

std::filesystem::path node_partial_path(const std::filesystem::path& record_dir, const std::string& user,
                                        std::int64_t start_ns, const record::RecordKey& key,
                                        const std::string& node) {
  return day_folder(record_dir, user, start_ns) / (record_stem(key) + "." + safe_part(node) + ".part.h5");
}

std::string format_rank_ranges(const std::vector<std::int32_t>& ranks) {
  std::string out;
  for (std::size_t i = 0; i < ranks.size();) {
    std::size_t j = i;
    while (j + 1 < ranks.size() && ranks[j + 1] == ranks[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += std::to_string(ranks[i]);
    if (j > i) out += "-" + std::to_string(ranks[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace hpcmon::store
