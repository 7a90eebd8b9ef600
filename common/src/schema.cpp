// The table of every configuration key. To add a section: a struct in config.hpp, a member
// of Config, a make_<name>_section() below, a line in schema(), and its rows in
// docs/configuration.md (printed by `hpcmon-config schema`; a test compares them).
#include "hpcmon/config_schema.hpp"
#include "hpcmon/event_names.hpp"
#include "field_builders.hpp"

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cmath>

namespace hpcmon::config {
namespace {

template <class S, class T>
Field make_field(std::string_view key, ValueType type, S Config::*section, T S::*member,
                 std::string_view doc) {
    return detail::section_field(key, type, section, member, doc);
}

template <class S>
Field boolean(std::string_view key, bool S::*member, S Config::*section, std::string_view doc) {
    return make_field(key, ValueType::boolean, section, member, doc);
}

template <class S>
Field number(std::string_view key, double S::*member, S Config::*section, double min, double max,
             std::string_view doc) {
    Field field = make_field(key, ValueType::number, section, member, doc);
    field.min = min;
    field.max = max;
    return field;
}

template <class S>
Field integer(std::string_view key, std::int64_t S::*member, S Config::*section, double min,
              double max, std::string_view doc) {
    Field field = make_field(key, ValueType::integer, section, member, doc);
    field.min = min;
    field.max = max;
    return field;
}

template <class S>
Field choice(std::string_view key, std::string S::*member, S Config::*section,
             std::vector<std::string_view> choices, std::string_view doc) {
    Field field = make_field(key, ValueType::choice, section, member, doc);
    field.choices = std::move(choices);
    return field;
}

template <class S>
Field string(std::string_view key, std::string S::*member, S Config::*section, ItemCheck check,
             std::string_view doc) {
    Field field = make_field(key, ValueType::string, section, member, doc);
    field.check = std::move(check);
    return field;
}

template <class S>
Field string_list(std::string_view key, std::vector<std::string> S::*member, S Config::*section,
                  ItemCheck check, std::string_view doc) {
    Field field = make_field(key, ValueType::string_list, section, member, doc);
    field.check = std::move(check);
    field.unique_items = true;
    return field;
}

std::optional<std::string> absolute_path(std::string_view text) {
    if (text.empty() || text.front() != '/')
        return "must be an absolute path, got \"" + std::string(text) + "\"";
    return std::nullopt;
}

// crit must not be below warn; reported at the crit key.
CrossCheck at_least(std::string_view section, std::string_view crit_key, double System::*crit,
                    std::string_view warn_key, double System::*warn) {
    const std::string warn_path = std::string(section) + "." + std::string(warn_key);
    return {crit_key, [=](const Config& config) -> std::optional<std::string> {
                const double c = config.system.*crit;
                const double w = config.system.*warn;
                if (c >= w) return std::nullopt;
                return "must be at least " + warn_path + " (" + format_value(w) + "), got " +
                       format_value(c);
            }};
}

Section make_general_section() {
    return {"general",
            "Switches and sampling periods for every hpcmon process.",
            {boolean("enabled", &General::enabled, &Config::general,
                     "Monitor at all. false turns every hpcmon component into a no-op."),
             choice("log_level", &General::log_level, &Config::general,
                    {"trace", "debug", "info", "warning", "error", "off"},
                    "Lowest severity that is logged."),
             number("sample_interval_s", &General::sample_interval_s, &Config::general, 0.01,
                    3600, "Seconds between two samples of a process or MPI rank."),
             number("node_sample_interval_s", &General::node_sample_interval_s, &Config::general,
                    0.1, 3600, "Seconds between two node-wide samples of the node agent.")},
            {}};
}

Section make_system_section() {
    auto fraction = [](std::string_view key, double System::*member, std::string_view doc) {
        return number(key, member, &Config::system, 0, 1, doc);
    };
    return {"system",
            "Warning and critical thresholds on node metrics; fractions are 0 to 1 of the "
            "whole resource.",
            {fraction("cpu_util_warn", &System::cpu_util_warn,
                      "Busy share of all cores at which a node is flagged warning."),
             fraction("cpu_util_crit", &System::cpu_util_crit,
                      "Busy share of all cores at which a node is flagged critical."),
             fraction("memory_used_warn", &System::memory_used_warn,
                      "Used share of memory (total minus available) for a warning."),
             fraction("memory_used_crit", &System::memory_used_crit,
                      "Used share of memory (total minus available) for critical."),
             fraction("swap_used_warn", &System::swap_used_warn,
                      "Used share of swap for a warning (no swap: never)."),
             number("load_per_core_warn", &System::load_per_core_warn, &Config::system, 0, 1000,
                    "1-minute load average divided by the number of cores, for a warning."),
             number("load_per_core_crit", &System::load_per_core_crit, &Config::system, 0, 1000,
                    "1-minute load average divided by the number of cores, for critical."),
             fraction("disk_used_warn", &System::disk_used_warn,
                      "Used share of a mounted filesystem for a warning."),
             fraction("disk_used_crit", &System::disk_used_crit,
                      "Used share of a mounted filesystem for critical."),
             integer("oom_kills_warn", &System::oom_kills_warn, &Config::system, 0, 1000000,
                     "OOM kills in one job step that raise a warning; 0 disables.")},
            {at_least("system", "cpu_util_crit", &System::cpu_util_crit, "cpu_util_warn",
                      &System::cpu_util_warn),
             at_least("system", "memory_used_crit", &System::memory_used_crit,
                      "memory_used_warn", &System::memory_used_warn),
             at_least("system", "load_per_core_crit", &System::load_per_core_crit,
                      "load_per_core_warn", &System::load_per_core_warn),
             at_least("system", "disk_used_crit", &System::disk_used_crit, "disk_used_warn",
                      &System::disk_used_warn)}};
}

Section make_hpc_section() {
    return {"hpc",
            "Counters read in every process, MPI tracing, and where job records are written.",
            {string_list("events", &Hpc::events, &Config::hpc, check_event_name,
                         "Counter events, each once: PAPI presets (PAPI_TOT_INS), perf "
                         "software events (perf::task-clock, perf::cpu-clock, "
                         "perf::context-switches, perf::cpu-migrations, perf::page-faults, "
                         "perf::minor-faults, perf::major-faults) or native events "
                         "(sde:::Lib::Counter). Unavailable ones fall back to the next source."),
             boolean("per_thread", &Hpc::per_thread, &Config::hpc,
                     "Also count the events per thread, not only per process."),
             string("record_dir", &Hpc::record_dir, &Config::hpc, absolute_path,
                    "Absolute path of the record directory "
                    "(records are `<user>/<YYYY>/<MM>/<DD>/<key>.h5` below it)."),
             boolean("trace", &Hpc::trace, &Config::hpc,
                     "Trace MPI runs: every MPI call of every rank into the record's /trace "
                     "(docs/tracing.md). Per job: srun/sbatch --hpcmon-trace."),
             integer("trace_events", &Hpc::trace_events, &Config::hpc, 1, 67108864,
                     "Events kept per rank when tracing (40 bytes each); later calls are "
                     "counted as dropped.")},
            {}};
}

// The host part of an http:// URL: "[::1]", "127.0.0.1", "head" (no port, path or user).
std::string_view url_host(std::string_view url) {
    url.remove_prefix(std::string_view("http://").size());
    url = url.substr(0, url.find_first_of("/?#"));
    if (const auto at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
    if (!url.empty() && url.front() == '[') return url.substr(0, url.find(']') + 1);
    return url.substr(0, url.find(':'));
}

bool loopback_host(std::string_view host) {
    if (host == "localhost" || host == "[::1]") return true;
    if (!host.starts_with("127.")) return false;
    return host.find_first_not_of("0123456789.") == std::string_view::npos;
}

std::optional<std::string> head_url(std::string_view text) {
    if (text.empty() || text.rfind("https://", 0) == 0) return std::nullopt;
    if (text.rfind("http://", 0) != 0)
        return "must be empty or start with http:// or https://, got \"" + std::string(text) + "\"";
    // The agent's bearer token travels in clear over http://: only to this machine.
    if (loopback_host(url_host(text))) return std::nullopt;
    return "http:// only to a loopback host (127.0.0.0/8, localhost, [::1]); use https:// for \"" +
           std::string(text) + "\"";
}

std::optional<std::string> any_text(std::string_view) { return std::nullopt; }

std::optional<std::string> optional_absolute_path(std::string_view text) {
    if (text.empty() || text.front() == '/') return std::nullopt;
    return "must be empty or an absolute path, got \"" + std::string(text) + "\"";
}

Section make_agent_section() {
    return {"agent",
            "The node agent (hpcmond --agent): step-event socket, node name, pushes to the head.",
            {string("socket", &Agent::socket, &Config::agent, absolute_path,
                    "Unix socket the SPANK plugin sends step events to (root only, mode 0600)."),
             string("node_name", &Agent::node_name, &Config::agent, any_text,
                    "Node name in pushes; empty means the short host name."),
             string("record_group", &Agent::record_group, &Config::agent, any_text,
                    "Group of the per-user record folders the agent creates when missing."),
             string("head_url", &Agent::head_url, &Config::agent, head_url,
                    "Base URL of the head daemon's agent listener; empty turns pushes off."),
             string("token_file", &Agent::token_file, &Config::agent, absolute_path,
                    "File (mode 0600) holding the agent-scoped push token."),
             string("ca_file", &Agent::ca_file, &Config::agent, optional_absolute_path,
                    "PEM CA bundle that signs the head's certificate when head_url is "
                    "https://; empty means the system's CAs."),
             number("push_interval_s", &Agent::push_interval_s, &Config::agent, 0.1, 3600,
                    "Seconds between two pushes of live samples to the head."),
             string("spool_dir", &Agent::spool_dir, &Config::agent, absolute_path,
                    "Folder where pushes wait while the head is unreachable."),
             integer("spool_max_bytes", &Agent::spool_max_bytes, &Config::agent, 65536, 1e12,
                     "Largest size of the spool; the oldest live samples are dropped first.")},
            {}};
}

bool is_plain_safe(std::string_view text) {
    if (text.empty()) return false;
    static const std::vector<std::string_view> reserved = {
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"};
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (std::find(reserved.begin(), reserved.end(), lower) != reserved.end()) return false;
    double ignored = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), ignored);
    if (error == std::errc() && end == text.data() + text.size()) return false;
    if (text.front() == '-' || text.front() == ':' || text.front() == '.') return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' ||
                          c == '/' || c == '-';
        const bool inner_colon = c == ':' && i + 1 < text.size() && text[i + 1] != ' ';
        if (!word && !inner_colon) return false;
    }
    return true;
}

std::string format_string(std::string_view text) {
    if (is_plain_safe(text)) return std::string(text);
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string format_number(double value) {
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    std::string text(buffer, result.ptr);
    if (text.find_first_of(".en") == std::string::npos) text += ".0";
    return text;
}

}  // namespace

Section make_api_section();  // src/schema_api.cpp
Section make_alerting_section();  // src/schema_alerting.cpp
Section make_history_section();   // src/schema_history.cpp
Section make_diagnosis_section();  // src/schema_diagnosis.cpp
Section make_scheduler_section();  // src/schema_scheduler.cpp
Section make_accounting_db_section();  // src/schema_accounting_db.cpp

const std::vector<Section>& schema() {
    static const std::vector<Section> sections = {make_general_section(), make_system_section(),
                                                  make_hpc_section(), make_agent_section(),
                                                  make_api_section(), make_alerting_section(),
                                                  make_diagnosis_section(), make_accounting_db_section(),
                                                  make_scheduler_section(), make_history_section()};
    return sections;
}

const Section* find_section(std::string_view name) {
    for (const Section& section : schema())
        if (section.name == name) return &section;
    return nullptr;
}

const Field* find_field(const Section& section, std::string_view key) {
    for (const Field& field : section.fields)
        if (field.key == key) return &field;
    return nullptr;
}

std::string_view type_name(const Field& field) {
    switch (field.type) {
    case ValueType::boolean: return "bool";
    case ValueType::integer: return "integer";
    case ValueType::number: return "number";
    case ValueType::string: return "string";
    case ValueType::choice: return "choice";
    case ValueType::string_list: return "list of strings";
    }
    return "?";
}

std::string format_value(const Value& value) {
    struct Formatter {
        std::string operator()(bool b) const { return b ? "true" : "false"; }
        std::string operator()(std::int64_t i) const { return std::to_string(i); }
        std::string operator()(double d) const { return format_number(d); }
        std::string operator()(const std::string& s) const { return format_string(s); }
        std::string operator()(const std::vector<std::string>& list) const {
            std::string out = "[";
            for (std::size_t i = 0; i < list.size(); ++i)
                out += (i ? ", " : "") + format_string(list[i]);
            return out + "]";
        }
    };
    return std::visit(Formatter{}, value);
}

std::string format_range(const Field& field) {
    auto bound = [](double d) {
        if (d == std::floor(d) && std::fabs(d) < 1e15)
            return std::to_string(static_cast<long long>(d));
        return format_number(d);
    };
    switch (field.type) {
    case ValueType::integer:
    case ValueType::number: return "[" + bound(field.min) + ", " + bound(field.max) + "]";
    case ValueType::choice: {
        std::string out = "one of ";
        for (std::size_t i = 0; i < field.choices.size(); ++i)
            out += (i ? ", " : "") + std::string(field.choices[i]);
        return out;
    }
    default: return "";
    }
}

std::string markdown_row(const Section& section, const Field& field) {
    const std::string range = format_range(field);
    return "| `" + std::string(section.name) + "." + std::string(field.key) + "` | " +
           std::string(type_name(field)) + " | `" + format_value(field.get(defaults())) +
           "` | " + (range.empty() ? "" : range + " ") + "| " + std::string(field.doc) + " |";
}

}  // namespace hpcmon::config
