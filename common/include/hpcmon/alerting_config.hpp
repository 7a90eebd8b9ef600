// What the configuration knows about alerting beyond its table rows: the names of the
// built-in rules (alerting.disabled_builtins), durations ("30s", "5m", 90) and the small
// description template language ({{ $value }}, {{ $labels.node }}) that rules are checked
// against when the file is read. The head daemon's alert engine (hpcmond/alerts) uses the
// same functions, so a file that loads never fails later at evaluation.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hpcmon::config {

// NodeDown, NodeCpuHigh, NodeMemoryHigh, NodeDiskFull, JobIdle, JobMemoryNearLimit,
// RecordMissing.
const std::vector<std::string_view>& builtin_alert_names();

// Seconds of "90", "90s", "1.5m", "2h", "1d"; nothing for anything else or a negative value.
std::optional<double> parse_duration_text(std::string_view text);

// The template's error ("unknown field ...", "unclosed {{"), or nothing when it is valid.
std::optional<std::string> check_alert_template(std::string_view text);

// Fills a checked template: {{ $value }} is the value (up to 6 significant digits),
// {{ $labels.x }} the label x (empty when absent).
std::string render_alert_template(std::string_view text, double value,
                                  const std::map<std::string, std::string>& labels);

}  // namespace hpcmon::config
