// The schema table of hpcmon's configuration: one row per key (name, type, range or
// choices, item check, documentation, and how to read and write it in Config). The loader,
// the environment overrides, to_yaml(), `hpcmon-config schema` and the documentation test
// all walk this one table, so a key exists, validates and is documented in one place.
#pragma once

#include "hpcmon/config.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace hpcmon::config {

enum class ValueType { boolean, integer, number, string, choice, string_list };

using Value = std::variant<bool, std::int64_t, double, std::string, std::vector<std::string>>;

// Returns an error message for a bad string (or list item), nothing when it is fine.
using ItemCheck = std::function<std::optional<std::string>(std::string_view)>;

struct Field {
    std::string_view key;
    ValueType type;
    std::string_view doc;
    double min = 0;  // integer and number: inclusive range
    double max = 0;
    std::vector<std::string_view> choices;  // choice
    ItemCheck check;                        // string and string_list items
    bool unique_items = false;              // string_list
    std::function<void(Config&, const Value&)> set;
    std::function<Value(const Config&)> get;
};

// A rule between keys of one section (e.g. warn <= crit). Returns the offending key and
// the message, or nothing.
struct CrossCheck {
    std::string_view key;
    std::function<std::optional<std::string>(const Config&)> check;
};

struct Section {
    std::string_view name;
    std::string_view doc;
    std::vector<Field> fields;
    std::vector<CrossCheck> cross_checks;
};

const std::vector<Section>& schema();
const Section* find_section(std::string_view name);
const Field* find_field(const Section& section, std::string_view key);

std::string_view type_name(const Field& field);  // as documented: bool, number, ...
std::string format_value(const Value& value);     // YAML text: 0.9, true, "a b", [x, y]
std::string format_range(const Field& field);     // "[0, 1]", "one of a, b", "" if none

// One Markdown table row per key, exactly as docs/configuration.md must contain it.
std::string markdown_row(const Section& section, const Field& field);

}  // namespace hpcmon::config
