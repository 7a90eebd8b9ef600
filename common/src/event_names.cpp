#include "hpcmon/event_names.hpp"

#include <papi.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <set>

namespace hpcmon::config {
namespace {

constexpr std::array<std::string_view, 7> perf_events = {
    "task-clock", "cpu-clock", "context-switches", "cpu-migrations",
    "page-faults", "minor-faults", "major-faults"};

constexpr std::string_view perf_prefix = "perf::";
constexpr std::string_view native_separator = ":::";

struct PresetTable {
    bool available = false;
    std::set<std::string, std::less<>> names;
};

// PAPI may already be initialised by the program we live in (a sampler in the same
// daemon, or a user's own code): then we only read its table.
PresetTable read_preset_table() {
    PresetTable table;
    if (PAPI_is_initialized() == PAPI_NOT_INITED) {
        PAPI_disable_component_by_name("rocm_smi");  // else PAPI prints drm noise on lookups
        if (PAPI_library_init(PAPI_VER_CURRENT) != PAPI_VER_CURRENT) return table;
    }
    int code = PAPI_PRESET_MASK;
    if (PAPI_enum_event(&code, PAPI_ENUM_FIRST) != PAPI_OK) return table;
    char name[PAPI_MAX_STR_LEN];
    do {
        if (PAPI_event_code_to_name(code, name) == PAPI_OK) table.names.emplace(name);
    } while (PAPI_enum_event(&code, PAPI_ENUM_ALL) == PAPI_OK);
    table.available = !table.names.empty();
    return table;
}

const PresetTable& preset_table() {
    static std::once_flag once;
    static PresetTable table;
    std::call_once(once, [] { table = read_preset_table(); });
    return table;
}

bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
}

bool looks_like_preset(std::string_view name) {
    if (!name.starts_with("PAPI_") || name.size() == 5) return false;
    return std::all_of(name.begin() + 5, name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

// component:::event[:qualifier...]; the event part may hold "::" (sde:::Lib::Counter).
std::optional<std::string> check_native(std::string_view name, std::size_t separator) {
    const std::string_view component = name.substr(0, separator);
    const std::string_view event = name.substr(separator + native_separator.size());
    const bool component_ok = !component.empty() && !(component[0] >= '0' && component[0] <= '9') &&
                              std::all_of(component.begin(), component.end(), is_word_char);
    if (!component_ok)
        return "bad component name in native event \"" + std::string(name) +
               "\" (expected component:::event)";
    const bool event_ok = !event.empty() && is_word_char(event[0]) &&
                          std::all_of(event.begin(), event.end(), [](char c) {
                              return is_word_char(c) || c == ':' || c == '.' || c == '-' ||
                                     c == '=' || c == '@' || c == '/';
                          });
    if (!event_ok)
        return "bad event name in native event \"" + std::string(name) +
               "\" (expected component:::event)";
    return std::nullopt;
}

}  // namespace

std::span<const std::string_view> perf_software_events() { return perf_events; }

bool papi_preset_table_available() { return preset_table().available; }

std::optional<std::string> check_event_name(std::string_view name) {
    // Appended rather than operator+ on temporaries: GCC 12 at -O3 reports a false -Wrestrict there.
    std::string quoted;
    quoted.reserve(name.size() + 2);
    quoted.append(1, '"').append(name).append(1, '"');
    if (name.empty()) return std::string("empty event name");
    if (name.starts_with(perf_prefix)) {
        const std::string_view event = name.substr(perf_prefix.size());
        if (std::find(perf_events.begin(), perf_events.end(), event) != perf_events.end())
            return std::nullopt;
        std::string known;
        for (auto e : perf_events) known += (known.empty() ? "" : ", ") + std::string(e);
        return "unknown perf software event " + quoted + " (known: " + known + ")";
    }
    if (const auto separator = name.find(native_separator); separator != std::string_view::npos)
        return check_native(name, separator);
    if (looks_like_preset(name)) {
        const PresetTable& table = preset_table();
        if (!table.available || table.names.contains(name)) return std::nullopt;
        return "unknown event " + quoted;
    }
    return "unknown event " + quoted +
           " (expected a PAPI_* preset, perf::<software event> or component:::event)";
}

std::optional<EventKind> event_kind(std::string_view name) {
    if (check_event_name(name)) return std::nullopt;
    if (name.starts_with(perf_prefix)) return EventKind::perf_software;
    if (name.find(native_separator) != std::string_view::npos) return EventKind::native;
    return EventKind::papi_preset;
}

}  // namespace hpcmon::config
