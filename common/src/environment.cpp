// HPCMON_<SECTION>__<KEY>=value overrides, their export, and the YAML dump; all driven
// by the schema table.
#include "internal.hpp"
#include "structured_keys.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace hpcmon::config {
namespace {

constexpr std::string_view prefix = "HPCMON_";
constexpr std::string_view separator = "__";

std::string upper(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

std::string variable_name(const Section& section, const Field& field) {
    return std::string(prefix) + upper(section.name) + std::string(separator) + upper(field.key);
}

// A list is "a,b,c", optionally in brackets: "[a, b]". Empty text is an empty list.
Value parse_list(const Field& field, const detail::Location& at, const std::string& path,
                 std::string_view text) {
    text = trim(text);
    if (text.starts_with('[') && text.ends_with(']')) text = trim(text.substr(1, text.size() - 2));
    std::vector<std::string> items;
    if (text.empty()) return items;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        const std::string item(trim(text.substr(start, comma - start)));
        const std::string item_path = path + "[" + std::to_string(items.size()) + "]";
        if (item.empty()) detail::fail(at, item_path, "empty list item");
        if (field.check)
            if (auto error = field.check(item)) detail::fail(at, item_path, *error);
        if (auto first = std::find(items.begin(), items.end(), item);
            field.unique_items && first != items.end())
            detail::fail(at, item_path,
                         "\"" + item + "\" is listed twice (first as " + path + "[" +
                             std::to_string(first - items.begin()) + "])");
        items.push_back(item);
        if (comma == text.size()) break;
        start = comma + 1;
    }
    return items;
}

std::string environment_text(const Value& value) {
    if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
        std::string out;
        for (const auto& item : *list) out += (out.empty() ? "" : ",") + item;
        return out;
    }
    if (const auto* text = std::get_if<std::string>(&value)) return *text;
    return format_value(value);
}

}  // namespace

namespace detail {

std::vector<std::string> process_environment() {
    std::vector<std::string> pairs;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry)
        pairs.emplace_back(*entry);
    return pairs;
}

void apply_environment_pairs(Config& config, const std::vector<std::string>& pairs,
                             Origins& origins) {
    std::vector<std::pair<std::string, std::string>> overrides;
    for (const std::string& pair : pairs) {
        const std::size_t equals = pair.find('=');
        const std::string name = pair.substr(0, equals);
        if (!name.starts_with(prefix) || name.find(separator, prefix.size()) == std::string::npos)
            continue;
        overrides.emplace_back(name, equals == std::string::npos ? "" : pair.substr(equals + 1));
    }
    std::sort(overrides.begin(), overrides.end());
    for (const auto& [name, text] : overrides) {
        const Location at{name};
        const std::string_view rest = std::string_view(name).substr(prefix.size());
        const std::size_t split = rest.find(separator);
        const std::string section_name = lower(rest.substr(0, split));
        const std::string key = lower(rest.substr(split + separator.size()));
        const std::string path = section_name + "." + key;
        const Section* section = find_section(section_name);
        if (section == nullptr) {
            std::vector<std::string_view> names;
            for (const Section& s : schema()) names.push_back(s.name);
            fail(at, path,
                 "unknown section \"" + section_name + "\"" + suggestion(section_name, names));
        }
        const Field* field = find_field(*section, key);
        if (field == nullptr) {
            std::vector<std::string_view> names;
            for (const Field& f : section->fields) names.push_back(f.key);
            fail(at, path, "unknown key \"" + key + "\"" + suggestion(key, names));
        }
        Value value;
        if (field->type == ValueType::string_list) {
            value = parse_list(*field, at, path, text);
        } else {
            auto parsed = parse_scalar(*field, trim(text), false);
            if (auto* error = std::get_if<std::string>(&parsed)) fail(at, path, *error);
            value = std::get<Value>(std::move(parsed));
            if (auto error = check_value(*field, value, trim(text)); !error.empty())
                fail(at, path, error);
        }
        field->set(config, value);
        origins.by_key[path] = at;
        config.env_overrides.push_back(name);
    }
}

}  // namespace detail

void apply_environment(Config& config, const std::vector<std::string>& name_value_pairs) {
    detail::Origins origins{config.source, {}};
    detail::apply_environment_pairs(config, name_value_pairs, origins);
    detail::run_cross_checks(config, origins);
}

void apply_environment(Config& config) {
    apply_environment(config, detail::process_environment());
}

std::vector<std::string> to_environment(const Config& config) {
    std::vector<std::string> out;
    for (const Section& section : schema())
        for (const Field& field : section.fields)
            out.push_back(variable_name(section, field) + "=" +
                          environment_text(field.get(config)));
    return out;
}

std::string to_yaml(const Config& config) {
    std::string out = "# hpcmon effective configuration, from " + config.source + "\n";
    for (const std::string& name : config.env_overrides)
        out += "# overridden by " + name + "\n";
    for (const Section& section : schema()) {
        out += std::string(section.name) + ":\n";
        for (const Field& field : section.fields)
            out += "  " + std::string(field.key) + ": " + format_value(field.get(config)) + "\n";
        out += detail::structured_yaml(config, section.name);
    }
    return out;
}

}  // namespace hpcmon::config
