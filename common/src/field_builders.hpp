// Builders of schema rows shared by every schema_*.cpp (not installed): one way to bind a key to
// a member of a section, its range, its item check and the common path check.
#pragma once

#include "hpcmon/config_schema.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace hpcmon::config::detail {

template <class S, class T>
Field section_field(std::string_view key, ValueType type, S Config::*section, T S::*member,
                    std::string_view doc) {
    Field field;
    field.key = key;
    field.type = type;
    field.doc = doc;
    field.set = [section, member](Config& config, const Value& value) {
        (config.*section).*member = std::get<T>(value);
    };
    field.get = [section, member](const Config& config) -> Value { return (config.*section).*member; };
    return field;
}

inline Field ranged(Field field, double min, double max) {
    field.min = min;
    field.max = max;
    return field;
}

inline Field checked(Field field, ItemCheck check) {
    field.check = std::move(check);
    return field;
}

inline std::optional<std::string> absolute_file(std::string_view text) {
    if (text.empty() || text.front() != '/')
        return "must be an absolute path, got \"" + std::string(text) + "\"";
    return std::nullopt;
}

}  // namespace hpcmon::config::detail
