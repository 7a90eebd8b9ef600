// Pure parsers for API parameters: times (RFC 3339 or epoch seconds), durations, counts,
// and Slurm's job id syntax. Each returns nothing on bad input; the caller names the
// parameter in its error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hpcmon::head {

// "2026-11-27T21:00:00Z", "2026-11-27T21:00:00.5+01:00", or "1795813200" / "1795813200.25"
// (seconds since the epoch). Nanoseconds since the epoch, UTC.
std::optional<std::int64_t> parse_time_ns(std::string_view text);

// Positive seconds, e.g. "15", "0.5" (Prometheus-style "15s", "5m", "1h" also accepted).
inline constexpr double kMaxDurationS = 86400;  // one day: no longer duration is accepted
std::optional<double> parse_duration_s(std::string_view text);

// A non-negative decimal integer no larger than `max`.
std::optional<std::uint64_t> parse_count(std::string_view text, std::uint64_t max);

// Slurm's job id syntax: "12", "12_3" (array task), "12+1" (het component), each optionally
// followed by ".batch", ".extern", ".interactive" or ".<step number>".
struct JobId {
  std::string job;   // record-key form: "12", "12_3", "12+1"
  std::string step;  // empty: every step
};
std::optional<JobId> parse_job_id(std::string_view text);

// RFC 3339 UTC with milliseconds, e.g. "2026-11-27T21:00:00.000Z".
std::string format_time(std::int64_t ns);

}  // namespace hpcmon::head
