// yaml-cpp either rejects tab indentation with a vague message ("illegal map value") or
// accepts it in places; and a syntax error has no node tree to name a key. This scanner
// reads the text line by line to find both.
#include "internal.hpp"

#include <vector>

namespace hpcmon::config::detail {
namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        if (line.ends_with('\r')) line.remove_suffix(1);
        lines.push_back(line);
        start = end + 1;
    }
    return lines;
}

std::size_t indent_of(std::string_view line) {
    std::size_t i = 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    return i;
}

bool is_key_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

// "name: ..." or "name:" -> name; anything else -> "".
std::string_view key_of(std::string_view content) {
    std::size_t i = 0;
    while (i < content.size() && is_key_char(content[i])) ++i;
    if (i == 0 || i >= content.size() || content[i] != ':') return {};
    if (i + 1 < content.size() && content[i + 1] != ' ' && content[i + 1] != '\t') return {};
    return content.substr(0, i);
}

}  // namespace

TabPosition find_tab_indent(std::string_view yaml) {
    const auto lines = split_lines(yaml);
    for (std::size_t n = 0; n < lines.size(); ++n) {
        const std::string_view line = lines[n];
        const std::size_t indent = indent_of(line);
        const std::string_view content = line.substr(indent);
        if (content.empty() || content.front() == '#') continue;
        const std::size_t tab = line.substr(0, indent).find('\t');
        if (tab != std::string_view::npos)
            return {static_cast<int>(n) + 1, static_cast<int>(tab) + 1};
    }
    return {};
}

std::string key_path_at_line(std::string_view yaml, int target) {
    struct Open {
        std::size_t indent;
        std::string_view key;
    };
    std::vector<Open> open;
    auto join = [&open](std::string_view last) {
        std::string path;
        for (const Open& o : open) path += (path.empty() ? "" : ".") + std::string(o.key);
        if (!last.empty()) path += (path.empty() ? "" : ".") + std::string(last);
        return path.empty() ? std::string("(document)") : path;
    };
    const auto lines = split_lines(yaml);
    for (std::size_t n = 0; n < lines.size() && static_cast<int>(n) < target; ++n) {
        const std::size_t indent = indent_of(lines[n]);
        const std::string_view content = lines[n].substr(indent);
        const bool is_target = static_cast<int>(n) + 1 == target;
        if (content.empty() || content.front() == '#') {
            if (is_target) return join({});
            continue;
        }
        // A list item may sit at its parent key's indentation ("events:\n- a").
        const bool item = content.starts_with("- ") || content == "-";
        while (!open.empty() && (item ? open.back().indent > indent : open.back().indent >= indent))
            open.pop_back();
        const std::string_view key = item ? std::string_view{} : key_of(content);
        if (is_target) return join(key);
        if (!key.empty()) open.push_back({indent, key});
    }
    return join({});
}

}  // namespace hpcmon::config::detail
