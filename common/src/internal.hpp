// Pieces shared by the YAML loader and the environment overrides (not installed).
#pragma once

#include "hpcmon/config_schema.hpp"

#include <map>
#include <string>
#include <string_view>
#include <variant>

namespace hpcmon::config::detail {

// Where a value came from: a file position (1-based), or an environment variable (line 0).
struct Location {
    std::string file;
    int line = 0;
    int column = 0;
};

// "section.key" -> where its current value was set; keys not listed keep their default.
struct Origins {
    std::string source;
    std::map<std::string, Location> by_key;
};

[[noreturn]] void fail(const Location& at, std::string key_path, std::string message);

// Parses one scalar text for a non-list field. `quoted` text is a YAML string and never
// a number or bool. Returns the value or the error message.
std::variant<Value, std::string> parse_scalar(const Field& field, std::string_view text,
                                              bool quoted);

// Range and item checks shared by both sources; the error message or "".
std::string check_value(const Field& field, const Value& value, std::string_view text);

// " (did you mean \"x\"?)" for a near miss among the candidates, else "".
std::string suggestion(std::string_view word, const std::vector<std::string_view>& candidates);

// Rules between keys, reported where the offending key was last set.
void run_cross_checks(const Config& config, const Origins& origins);

// YAML document -> Config (defaults for absent keys); records origins.
Config parse_yaml(std::string_view yaml, const std::string& name, Origins& origins);

std::vector<std::string> process_environment();  // "NAME=value" of this process

void apply_environment_pairs(Config& config, const std::vector<std::string>& pairs,
                             Origins& origins);

// Light line scanner, independent of yaml-cpp: first tab in an indentation, and the
// key path a line belongs to (for errors raised before or without a node tree).
struct TabPosition {
    int line = 0;  // 1-based; 0 = none
    int column = 0;
};
TabPosition find_tab_indent(std::string_view yaml);
std::string key_path_at_line(std::string_view yaml, int line);

}  // namespace hpcmon::config::detail
