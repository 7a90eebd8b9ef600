// Tier specifications ("raw:7d", "1m:90d", "1h:5y") and selector matching (history.hpp).
#include <charconv>

#include "hpcmon/history.hpp"

namespace hpcmon::history {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

std::optional<std::int64_t> parse_span(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = kSecond; break;
    case 'm': unit = 60 * kSecond; break;
    case 'h': unit = 3600 * kSecond; break;
    case 'd': unit = 86400 * kSecond; break;
    case 'w': unit = 7 * 86400 * kSecond; break;
    case 'y': unit = 365 * 86400 * kSecond; break;
    default: return std::nullopt;
  }
  std::int64_t count = 0;
  const auto digits = text.substr(0, text.size() - 1);
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  if (error != std::errc() || end != digits.data() + digits.size() || count <= 0) return std::nullopt;
  if (count > INT64_MAX / unit / 4) return std::nullopt;
  return count * unit;
}

}  // namespace

std::optional<Tier> parse_tier(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  const std::string_view resolution(text.data(), colon), retention(text.data() + colon + 1, text.size() - colon - 1);
  Tier tier;
  if (resolution != "raw") {
    auto span = parse_span(resolution);
    if (!span) return std::nullopt;
    tier.resolution_ns = *span;
  }
  auto keep = parse_span(retention);
  if (!keep) return std::nullopt;
  tier.retention_ns = *keep;
  return tier;
}

std::string check_tiers(const std::vector<Tier>& tiers) {
  if (tiers.empty()) return "at least the raw tier is needed";
  if (tiers.size() > 8) return "at most 8 tiers";
  if (tiers.front().resolution_ns != 0) return "the first tier must be raw";
  for (std::size_t i = 1; i < tiers.size(); ++i) {
    if (tiers[i].resolution_ns <= tiers[i - 1].resolution_ns)
      return "resolutions must increase from one tier to the next";
    if (tiers[i].resolution_ns % kSecond != 0) return "resolutions must be whole seconds";
    if (tiers[i].retention_ns < tiers[i - 1].retention_ns)
      return "a coarser tier must be kept at least as long as a finer one";
    if (tiers[i].retention_ns < tiers[i].resolution_ns) return "a tier must be kept longer than its resolution";
  }
  return "";
}

std::vector<Tier> default_tiers() {
  return {{0, 7 * 86400 * kSecond}, {60 * kSecond, 90 * 86400 * kSecond}, {3600 * kSecond, 5 * 365 * 86400 * kSecond}};
}

bool matches(const Selector& selector, const std::string& metric, const Labels& labels) {
  if (selector.metric_prefix ? metric.compare(0, selector.metric.size(), selector.metric) != 0
                             : (!selector.metric.empty() && metric != selector.metric))
    return false;
  for (const LabelMatcher& matcher : selector.labels) {
    auto it = labels.find(matcher.label);
    const std::string& value = it == labels.end() ? std::string() : it->second;
    switch (matcher.op) {
      case LabelMatcher::Op::equal:
        if (value != matcher.value) return false;
        break;
      case LabelMatcher::Op::not_equal:
        if (value == matcher.value) return false;
        break;
      case LabelMatcher::Op::prefix:
        if (value.compare(0, matcher.value.size(), matcher.value) != 0) return false;
        break;
    }
  }
  return true;
}

}  // namespace hpcmon::history
