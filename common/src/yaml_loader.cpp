// Walks yaml-cpp's node tree in document order and fills Config through the schema.
// yaml-cpp 0.7 keeps every pair of a mapping (a lookup returns the first duplicate), so
// iterating the pairs finds duplicate keys with both positions.
#include "internal.hpp"
#include "structured_keys.hpp"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

namespace hpcmon::config {
namespace detail {
namespace {

struct Walker {
    const std::string& file;
    std::string_view text;
    Origins& origins;

    Location at(const YAML::Mark& mark) const {
        if (mark.is_null()) return {file, 1, 1};
        return {file, mark.line + 1, mark.column + 1};
    }

    // A null value has no useful mark of its own (it points at the next token).
    Location at_value(const YAML::Node& value, const YAML::Node& key) const {
        return value.IsNull() ? at(key.Mark()) : at(value.Mark());
    }

    // An empty block item ("-" alone) is marked at the next token; report its dash.
    Location at_null_item(const YAML::Mark& mark) const {
        if (mark.is_null()) return {file, 1, 1};
        std::size_t pos = std::min<std::size_t>(mark.pos, text.size());
        while (pos > 0 && (text[pos - 1] == ' ' || text[pos - 1] == '\n' || text[pos - 1] == '\r'))
            --pos;
        if (pos == 0 || text[pos - 1] != '-') return at(mark);
        const std::size_t dash = pos - 1;
        const std::size_t line_start = text.rfind('\n', dash) == std::string_view::npos
                                           ? 0
                                           : text.rfind('\n', dash) + 1;
        const auto line = std::count(text.begin(), text.begin() + static_cast<long>(dash), '\n');
        return {file, static_cast<int>(line) + 1, static_cast<int>(dash - line_start) + 1};
    }

    NodePositions positions() const {
        return {[this](const YAML::Mark& mark) { return at(mark); },
                [this](const YAML::Node& value, const YAML::Node& key) { return at_value(value, key); },
                [this](const YAML::Node& item) {
                    return item.IsNull() ? at_null_item(item.Mark()) : at(item.Mark());
                }};
    }

    // Quoted scalars carry the non-specific tag "!"; plain ones "?"; !!str forces a string.
    static bool is_quoted(const YAML::Node& scalar) {
        return scalar.Tag() == "!" || scalar.Tag() == "tag:yaml.org,2002:str";
    }

    static std::string position(const YAML::Mark& mark) {
        return std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    }

    static std::string describe(const YAML::Node& node) {
        if (node.IsMap()) return "a mapping";
        if (node.IsSequence()) return "a list";
        if (node.IsNull()) return "an empty value";
        return (is_quoted(node) ? "a quoted string \"" : "\"") + node.Scalar() + "\"";
    }

    static std::vector<std::string_view> names_of(const Section& section) {
        std::vector<std::string_view> names;
        for (const Field& field : section.fields) names.push_back(field.key);
        return names;
    }

    static std::vector<std::string_view> section_names() {
        std::vector<std::string_view> names;
        for (const Section& section : schema()) names.push_back(section.name);
        return names;
    }

    Config walk(const YAML::Node& root) {
        Config config = defaults();
        config.source = file;
        if (!root.IsMap())
            fail(at(root.Mark()), "(document)",
                 "expected a mapping of sections, got " + describe(root));
        std::map<std::string, std::string> seen;
        for (const auto& pair : root) {
            const YAML::Node& key = pair.first;
            if (!key.IsScalar())
                fail(at(key.Mark()), "(document)", "expected a section name, got " + describe(key));
            const std::string& name = key.Scalar();
            const Section* section = find_section(name);
            if (section == nullptr)
                fail(at(key.Mark()), name,
                     "unknown section \"" + name + "\"" + suggestion(name, section_names()));
            if (auto first = seen.find(name); first != seen.end())
                fail(at(key.Mark()), name,
                     "duplicate section \"" + name + "\" (first at " + first->second + ")");
            seen.emplace(name, position(key.Mark()));
            walk_section(*section, key, pair.second, config);
        }
        return config;
    }

    void walk_section(const Section& section, const YAML::Node& section_key,
                      const YAML::Node& body, Config& config) {
        const std::string name(section.name);
        if (body.IsNull()) return;  // "general:" with every key commented out
        if (!body.IsMap())
            fail(at_value(body, section_key), name,
                 "expected a mapping of keys, got " + describe(body));
        std::map<std::string, std::string> seen;
        for (const auto& pair : body) {
            const YAML::Node& key = pair.first;
            if (!key.IsScalar())
                fail(at(key.Mark()), name, "expected a key name, got " + describe(key));
            const std::string path = name + "." + key.Scalar();
            const Field* field = find_field(section, key.Scalar());
            if (field == nullptr) {
                if (auto reader = find_structured_key(section.name, key.Scalar())) {
                    if (auto first = seen.find(key.Scalar()); first != seen.end())
                        fail(at(key.Mark()), path,
                             "duplicate key \"" + key.Scalar() + "\" (first at " + first->second + ")");
                    seen.emplace(key.Scalar(), position(key.Mark()));
                    reader(key, pair.second, path, positions(), config);
                    origins.by_key[path] = at(key.Mark());
                    continue;
                }
            }
            if (field == nullptr)
                fail(at(key.Mark()), path,
                     "unknown key \"" + key.Scalar() + "\"" +
                         suggestion(key.Scalar(), names_of(section)));
            if (auto first = seen.find(key.Scalar()); first != seen.end())
                fail(at(key.Mark()), path,
                     "duplicate key \"" + key.Scalar() + "\" (first at " + first->second + ")");
            seen.emplace(key.Scalar(), position(key.Mark()));
            field->set(config, read_value(*field, path, key, pair.second));
            origins.by_key[path] = at(key.Mark());
        }
    }

    Value read_value(const Field& field, const std::string& path, const YAML::Node& key,
                     const YAML::Node& value) {
        if (field.type == ValueType::string_list) return read_list(field, path, key, value);
        if (!value.IsScalar())
            fail(at_value(value, key), path,
                 std::string("expected ") + expected(field) + ", got " + describe(value));
        auto parsed = parse_scalar(field, value.Scalar(), is_quoted(value));
        if (auto* error = std::get_if<std::string>(&parsed)) fail(at(value.Mark()), path, *error);
        Value result = std::get<Value>(std::move(parsed));
        if (auto error = check_value(field, result, value.Scalar()); !error.empty())
            fail(at(value.Mark()), path, error);
        return result;
    }

    Value read_list(const Field& field, const std::string& path, const YAML::Node& key,
                    const YAML::Node& value) {
        if (!value.IsSequence())
            fail(at_value(value, key), path, "expected a list of strings, got " + describe(value));
        std::vector<std::string> items;
        std::map<std::string, std::size_t> first_index;
        for (std::size_t i = 0; i < value.size(); ++i) {
            const YAML::Node item = value[i];
            const std::string item_path = path + "[" + std::to_string(i) + "]";
            const Location item_at = item.IsNull() ? at_null_item(item.Mark()) : at(item.Mark());
            if (!item.IsScalar())
                fail(item_at, item_path, "expected a string, got " + describe(item));
            if (field.check)
                if (auto error = field.check(item.Scalar())) fail(item_at, item_path, *error);
            if (auto first = first_index.find(item.Scalar());
                field.unique_items && first != first_index.end())
                fail(item_at, item_path,
                     "\"" + item.Scalar() + "\" is listed twice (first as " + path + "[" +
                         std::to_string(first->second) + "])");
            first_index.emplace(item.Scalar(), i);
            items.push_back(item.Scalar());
        }
        return items;
    }

    static const char* expected(const Field& field) {
        switch (field.type) {
        case ValueType::boolean: return "true or false";
        case ValueType::integer: return "an integer";
        case ValueType::number: return "a number";
        case ValueType::string_list: return "a list of strings";
        default: return "a string";
        }
    }
};

}  // namespace

Config parse_yaml(std::string_view yaml, const std::string& name, Origins& origins) {
    origins.source = name;
    if (const TabPosition tab = find_tab_indent(yaml); tab.line > 0)
        fail({name, tab.line, tab.column}, key_path_at_line(yaml, tab.line),
             "tab character in indentation (YAML indents with spaces only)");
    std::vector<YAML::Node> documents;
    try {
        documents = YAML::LoadAll(std::string(yaml));
    } catch (const YAML::Exception& error) {
        const int line = error.mark.is_null() ? 1 : error.mark.line + 1;
        const int column = error.mark.is_null() ? 1 : error.mark.column + 1;
        fail({name, line, column}, key_path_at_line(yaml, line), "syntax error: " + error.msg);
    }
    if (documents.empty() || (documents.size() == 1 && documents[0].IsNull()))
        fail({name, 1, 1}, "(document)", "empty configuration file");
    if (documents.size() > 1) {
        const YAML::Mark mark = documents[1].Mark();
        fail(mark.is_null() ? Location{name, 1, 1} : Location{name, mark.line + 1, mark.column + 1},
             "(document)", "more than one YAML document (expected exactly one)");
    }
    Walker walker{name, yaml, origins};
    return walker.walk(documents[0]);
}

}  // namespace detail

Config load_string(std::string_view yaml, std::string_view name) {
    detail::Origins origins;
    Config config = detail::parse_yaml(yaml, std::string(name), origins);
    detail::run_cross_checks(config, origins);
    return config;
}

Config load_file(const std::filesystem::path& path, Environment env) {
    const std::string name = path.string();
    std::error_code ignored;
    if (std::filesystem::is_directory(path, ignored))
        throw ConfigError(name, 0, 0, "", "cannot read: is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(name, 0, 0, "", "cannot open: " + std::string(std::strerror(errno)));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw ConfigError(name, 0, 0, "", "cannot read");
    detail::Origins origins;
    Config config = detail::parse_yaml(text.str(), name, origins);
    if (env == Environment::apply)
        detail::apply_environment_pairs(config, detail::process_environment(), origins);
    detail::run_cross_checks(config, origins);
    return config;
}

}  // namespace hpcmon::config
