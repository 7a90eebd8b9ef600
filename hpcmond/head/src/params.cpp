// Parsers of API parameters (params.hpp). Pure functions, tested on text.
#include "hpcmon/head/params.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <ctime>

namespace hpcmon::head {
namespace {

bool digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  out = value;
  return true;
}

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

std::optional<std::int64_t> parse_rfc3339(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  int year, month, day, hour, minute, second;
  if (!digits(t, 0, 4, year) || t.size() < 20 || t[4] != '-' || !digits(t, 5, 2, month) ||
      t[7] != '-' || !digits(t, 8, 2, day) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') ||
      !digits(t, 11, 2, hour) || t[13] != ':' || !digits(t, 14, 2, minute) || t[16] != ':' ||
      !digits(t, 17, 2, second))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  std::size_t pos = 19;
  std::int64_t fraction_ns = 0;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    std::int64_t scale = 100000000;
    const std::size_t begin = pos;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
      fraction_ns += (t[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == begin) return std::nullopt;
  }
  if (pos >= t.size()) return std::nullopt;
  std::int64_t offset_s = 0;
  if (t[pos] == 'Z' || t[pos] == 'z') {
    ++pos;
  } else if (t[pos] == '+' || t[pos] == '-') {
    int oh, om;
    if (!digits(t, pos + 1, 2, oh) || pos + 3 >= t.size() || t[pos + 3] != ':' ||
        !digits(t, pos + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_s = (oh * 3600 + om * 60) * (t[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != t.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::int64_t seconds = timegm(&tm) - offset_s;
  return seconds * 1000000000LL + fraction_ns;
}

}  // namespace

std::optional<std::int64_t> parse_time_ns(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.find('-') != std::string_view::npos && text.size() >= 20) return parse_rfc3339(text);
  double seconds = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(seconds) ||
      seconds < 0 || seconds > 1e11)
    return std::nullopt;
  return static_cast<std::int64_t>(std::llround(seconds * 1e9));
}

std::optional<double> parse_duration_s(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double unit = 1;
  switch (text.back()) {
    case 's': unit = 1; text.remove_suffix(1); break;
    case 'm': unit = 60; text.remove_suffix(1); break;
    case 'h': unit = 3600; text.remove_suffix(1); break;
    default: break;
  }
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value) || value <= 0 || value * unit > kMaxDurationS)
    return std::nullopt;  // the cap keeps a step's nanoseconds far inside int64
  return value * unit;
}

std::optional<std::uint64_t> parse_count(std::string_view text, std::uint64_t max) {
  if (!all_digits(text)) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

std::optional<JobId> parse_job_id(std::string_view text) {
  JobId id;
  // A run outside Slurm: local-<host>-<start>-<pid>, whole (record_stem's character set).
  if (text.rfind("local-", 0) == 0 && text.size() > 6 && text.size() <= 200) {
    for (char c : text)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '+')
        return std::nullopt;
    id.job = std::string(text);
    return id;
  }
  const std::size_t dot = text.find('.');
  std::string_view job = text.substr(0, dot);
  if (dot != std::string_view::npos) {
    const std::string_view step = text.substr(dot + 1);
    if (step != "batch" && step != "extern" && step != "interactive" && !all_digits(step))
      return std::nullopt;
    id.step = std::string(step);
  }
  const std::size_t separator = job.find_first_of("_+");
  if (!all_digits(job.substr(0, separator)) || job.size() > 32) return std::nullopt;
  if (separator != std::string_view::npos && !all_digits(job.substr(separator + 1)))
    return std::nullopt;
  id.job = std::string(job);
  return id;
}

std::string format_time(std::int64_t ns) {
  const std::time_t seconds = static_cast<std::time_t>(ns / 1000000000LL);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", text, static_cast<int>((ns / 1000000) % 1000));
  return out;
}

}  // namespace hpcmon::head
