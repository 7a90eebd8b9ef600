// Scalar parsing and checks shared by the YAML file and the environment overrides, so a
// value means the same and fails the same way from both.
#include "internal.hpp"
#include "structured_keys.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace hpcmon::config {

namespace {
std::string format_error(const std::string& file, int line, int column,
                         const std::string& key_path, const std::string& message) {
    std::string out = file;
    if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
    if (!key_path.empty()) out += ": " + key_path;
    return out + ": " + message;
}
}  // namespace

ConfigError::ConfigError(std::string file, int line, int column, std::string key_path,
                         std::string message)
    : std::runtime_error(format_error(file, line, column, key_path, message)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      key_path_(std::move(key_path)),
      message_(std::move(message)) {}

Config defaults() {
    Config config;
    config.source = "(defaults)";
    return config;
}

std::filesystem::path default_path() {
    const char* env = std::getenv("HPCMON_CONFIG");
    if (env != nullptr && *env != '\0') return env;
    return "/etc/hpcmon/performance_monitoring_config.yaml";
}

bool same_settings(const Config& a, const Config& b) {
    for (const Section& section : schema())
        for (const Field& field : section.fields)
            if (field.get(a) != field.get(b)) return false;
    return detail::same_structured(a, b);
}

namespace detail {

void fail(const Location& at, std::string key_path, std::string message) {
    throw ConfigError(at.file, at.line, at.column, std::move(key_path), std::move(message));
}

namespace {

std::string quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string got(std::string_view text, bool quoted) {
    return quoted ? "got a quoted string " + quote(text) : "got " + quote(text);
}

// The whole text must be the number; YAML allows one leading '+'.
template <class T>
bool parse_whole(std::string_view text, T& out) {
    if (text.size() > 1 && text[0] == '+' && text[1] != '-') text.remove_prefix(1);
    const char* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, out);
    return result.ec == std::errc() && result.ptr == end;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

}  // namespace

std::variant<Value, std::string> parse_scalar(const Field& field, std::string_view text,
                                              bool quoted) {
    switch (field.type) {
    case ValueType::boolean:
        if (!quoted && (text == "true" || text == "True" || text == "TRUE")) return Value(true);
        if (!quoted && (text == "false" || text == "False" || text == "FALSE"))
            return Value(false);
        return "expected true or false, " + got(text, quoted);
    case ValueType::integer: {
        std::int64_t number = 0;
        if (quoted || !parse_whole(text, number))
            return "expected an integer, " + got(text, quoted);
        return Value(number);
    }
    case ValueType::number: {
        double number = 0;
        if (quoted || !parse_whole(text, number))
            return "expected a number, " + got(text, quoted);
        if (!std::isfinite(number)) return "expected a finite number, " + got(text, quoted);
        return Value(number);
    }
    case ValueType::string:
    case ValueType::choice: return Value(std::string(text));
    case ValueType::string_list: break;
    }
    return "expected a list of strings, " + got(text, quoted);
}

std::string check_value(const Field& field, const Value& value, std::string_view text) {
    double number = 0;
    if (const auto* d = std::get_if<double>(&value)) number = *d;
    if (const auto* i = std::get_if<std::int64_t>(&value)) number = static_cast<double>(*i);
    switch (field.type) {
    case ValueType::integer:
    case ValueType::number:
        if (number < field.min || number > field.max)
            return "value " + std::string(text) + " is out of range " + format_range(field);
        return {};
    case ValueType::choice: {
        const auto& s = std::get<std::string>(value);
        if (std::find(field.choices.begin(), field.choices.end(), s) != field.choices.end())
            return {};
        std::string choices;
        for (auto c : field.choices) choices += (choices.empty() ? "" : ", ") + std::string(c);
        return "expected one of " + choices + "; got " + quote(s) +
               suggestion(s, field.choices);
    }
    case ValueType::string:
        if (field.check)
            if (auto error = field.check(std::get<std::string>(value))) return *error;
        return {};
    default: return {};
    }
}

std::string suggestion(std::string_view typed, const std::vector<std::string_view>& candidates) {
    std::string lowered(typed);
    std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const std::string_view word = lowered;
    std::string_view best;
    std::size_t best_distance = 3;  // at most two edits away, or an abbreviation
    for (auto candidate : candidates) {
        const bool abbreviation = word.size() >= 3 && candidate.starts_with(word);
        const std::size_t distance = abbreviation ? 1 : edit_distance(word, candidate);
        if (distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    if (best.empty()) return {};
    return " (did you mean " + quote(best) + "?)";
}

void run_cross_checks(const Config& config, const Origins& origins) {
    for (const Section& section : schema()) {
        for (const CrossCheck& rule : section.cross_checks) {
            const auto error = rule.check(config);
            if (!error) continue;
            const std::string path = std::string(section.name) + "." + std::string(rule.key);
            const auto origin = origins.by_key.find(path);
            fail(origin != origins.by_key.end() ? origin->second : Location{origins.source},
                 path, *error);
        }
    }
}

}  // namespace detail
}  // namespace hpcmon::config
