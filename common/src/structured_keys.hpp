// Keys whose value is more than a scalar or a list of strings (alerting.rules: a list of
// mappings). The YAML walker hands such a key's node to its reader, which validates it with
// the same "file:line:col: key.path: message" errors as every other key. Not installed.
#pragma once

#include "internal.hpp"

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <string_view>

namespace hpcmon::config::detail {

// Positions of nodes in the file being read (the walker's own rules for null nodes).
struct NodePositions {
    std::function<Location(const YAML::Mark&)> at;
    std::function<Location(const YAML::Node& value, const YAML::Node& key)> at_value;
    std::function<Location(const YAML::Node& item)> at_item;  // a list item, "-" alone too
};

using StructuredReader = void (*)(const YAML::Node& key, const YAML::Node& value,
                                  const std::string& path, const NodePositions& where,
                                  Config& config);

// The reader of section.key, or null when the key is an ordinary schema field.
StructuredReader find_structured_key(std::string_view section, std::string_view key);

// The structured keys of a section as YAML lines ("  rules: [...]"), for to_yaml().
std::string structured_yaml(const Config& config, std::string_view section);

// True when the structured keys of a and b hold the same values.
bool same_structured(const Config& a, const Config& b);

// Text of a node for messages: a mapping, a list, an empty value, "text".
std::string describe_node(const YAML::Node& node);

}  // namespace hpcmon::config::detail
