// The `alerting` section: its table rows (built-in rules, channels, state file) and the
// reader of alerting.rules, a list of mappings checked key by key with file:line:col errors.
#include "hpcmon/alerting_config.hpp"
#include "hpcmon/config_schema.hpp"
#include "field_builders.hpp"
#include "structured_keys.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>

namespace hpcmon::config {
namespace {

using detail::absolute_file;
using detail::checked;
using detail::ranged;

template <class T>
Field alerting_field(std::string_view key, ValueType type, T Alerting::*member,
                     std::string_view doc) {
    return detail::section_field(key, type, &Config::alerting, member, doc);
}

std::optional<std::string> empty_or_http_url(std::string_view text) {
    if (text.empty() || text.starts_with("http://") || text.starts_with("https://"))
        return std::nullopt;
    return "must be empty or start with http:// or https://, got \"" + std::string(text) + "\"";
}

std::optional<std::string> builtin_name(std::string_view text) {
    const auto& names = builtin_alert_names();
    if (std::find(names.begin(), names.end(), text) != names.end()) return std::nullopt;
    std::string known;
    for (auto name : names) known += (known.empty() ? "" : ", ") + std::string(name);
    return "unknown built-in rule \"" + std::string(text) + "\" (known: " + known + ")";
}

std::optional<std::string> mail_address(std::string_view text) {
    if (text.find('@') == std::string_view::npos || text.find_first_of(" <>\r\n") != std::string_view::npos)
        return "expected a mail address (name@host), got \"" + std::string(text) + "\"";
    return std::nullopt;
}

std::optional<std::string> host_name(std::string_view text) {
    if (text.find_first_of(" /:@\r\n") != std::string_view::npos)
        return "expected a host name or address, got \"" + std::string(text) + "\"";
    return std::nullopt;
}

}  // namespace

const std::vector<std::string_view>& builtin_alert_names() {
    static const std::vector<std::string_view> names = {
        "NodeDown", "NodeCpuHigh", "NodeMemoryHigh", "NodeDiskFull",
        "JobIdle",  "JobMemoryNearLimit", "RecordMissing",
        "SchedulerRpcSlow", "SchedulerAgentQueueGrowing", "SchedulerUserFlooding", "SchedulerBackfillSlow"};
    return names;
}

Section make_alerting_section() {
    using T = ValueType;
    Field disabled = alerting_field("disabled_builtins", T::string_list, &Alerting::disabled_builtins,
                                    "Built-in rules turned off: NodeDown, NodeCpuHigh, "
                                    "NodeMemoryHigh, NodeDiskFull, JobIdle, JobMemoryNearLimit, "
                                    "RecordMissing, SchedulerRpcSlow, SchedulerAgentQueueGrowing, "
                                    "SchedulerUserFlooding, SchedulerBackfillSlow.");
    disabled.check = builtin_name;
    disabled.unique_items = true;
    Field smtp_to = alerting_field("smtp_to", T::string_list, &Alerting::smtp_to,
                                   "Recipients of alert mails; empty turns the SMTP channel off.");
    smtp_to.check = mail_address;
    smtp_to.unique_items = true;
    return {"alerting",
            "Alert rules of the head daemon (alerting.rules, see docs/alerting.md), its "
            "built-in rules and the channels alerts are sent to.",
            {alerting_field("enabled", T::boolean, &Alerting::enabled,
                            "Evaluate rules at all. false: no alerts, no channels."),
             ranged(alerting_field("evaluation_interval_s", T::number,
                                   &Alerting::evaluation_interval_s,
                                   "Seconds between two evaluations of every rule."),
                    0.05, 3600),
             checked(alerting_field("state_file", T::string, &Alerting::state_file,
                                    "File of alert states and acknowledgements, rewritten "
                                    "atomically at each change; read back at start."),
                     absolute_file),
             ranged(alerting_field("resolved_history", T::integer, &Alerting::resolved_history,
                                   "Resolved alerts kept for GET /api/v1/alerts; the oldest go "
                                   "first."),
                    0, 1000000),
             disabled,
             ranged(alerting_field("node_down_intervals", T::integer,
                                   &Alerting::node_down_intervals,
                                   "NodeDown: agent pushes missed (of agent.push_interval_s) "
                                   "before a node is down."),
                    1, 10000),
             ranged(alerting_field("threshold_for_s", T::number, &Alerting::threshold_for_s,
                                   "NodeCpuHigh, NodeMemoryHigh, NodeDiskFull: seconds a "
                                   "system.* threshold must hold before firing."),
                    0, 604800),
             ranged(alerting_field("job_idle_for_s", T::number, &Alerting::job_idle_for_s,
                                   "JobIdle: seconds a running step must stay idle."),
                    0, 604800),
             ranged(alerting_field("job_idle_cpu_below", T::number, &Alerting::job_idle_cpu_below,
                                   "JobIdle: cores in use by the step's processes below which "
                                   "it is idle."),
                    0, 1000000),
             ranged(alerting_field("job_memory_fraction", T::number,
                                   &Alerting::job_memory_fraction,
                                   "JobMemoryNearLimit: share of the memory limit (cgroup, else "
                                   "Slurm's request) a step's RSS may reach."),
                    0, 1),
             ranged(alerting_field("record_missing_after_s", T::number,
                                   &Alerting::record_missing_after_s,
                                   "RecordMissing: seconds after a step's end (merge pending) or "
                                   "a monitored Slurm job's end before its record counts as "
                                   "missing."),
                    0, 604800),
             alerting_field("log", T::boolean, &Alerting::log,
                            "Log channel: one line per firing and resolved alert."),
             ranged(alerting_field("queue_size", T::integer, &Alerting::queue_size,
                                   "Notifications each channel holds while delivering; the "
                                   "oldest are dropped (and counted) beyond it."),
                    1, 1000000),
             checked(alerting_field("webhook_url", T::string, &Alerting::webhook_url,
                                    "URL alerts are POSTed to as JSON; empty: no webhook."),
                     empty_or_http_url),
             ranged(alerting_field("webhook_timeout_s", T::number, &Alerting::webhook_timeout_s,
                                   "Seconds one delivery may take (webhook, Alertmanager, "
                                   "SMTP)."),
                    0.1, 600),
             ranged(alerting_field("webhook_max_retries", T::integer,
                                   &Alerting::webhook_max_retries,
                                   "Retries of a failed delivery before it is dropped and "
                                   "counted (every channel but the log)."),
                    0, 100),
             ranged(alerting_field("webhook_backoff_s", T::number, &Alerting::webhook_backoff_s,
                                   "Pause before the first retry; doubled at each retry, at "
                                   "most 300 s."),
                    0.01, 300),
             checked(alerting_field("alertmanager_url", T::string, &Alerting::alertmanager_url,
                                    "Base URL of a Prometheus Alertmanager (its v2 API); empty: "
                                    "none."),
                     empty_or_http_url),
             checked(alerting_field("smtp_host", T::string, &Alerting::smtp_host,
                                    "SMTP relay for alert mails; empty turns mail off."),
                     host_name),
             ranged(alerting_field("smtp_port", T::integer, &Alerting::smtp_port,
                                   "TCP port of the SMTP relay."),
                    1, 65535),
             checked(alerting_field("smtp_from", T::string, &Alerting::smtp_from,
                                    "Sender address of alert mails."),
                     mail_address),
             smtp_to},
            {}};
}

std::optional<double> parse_duration_text(std::string_view text) {
    double scale = 1;
    if (!text.empty()) {
        switch (text.back()) {
        case 's': scale = 1; text.remove_suffix(1); break;
        case 'm': scale = 60; text.remove_suffix(1); break;
        case 'h': scale = 3600; text.remove_suffix(1); break;
        case 'd': scale = 86400; text.remove_suffix(1); break;
        default: break;
        }
    }
    double value = 0;
    const char* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, value);
    if (text.empty() || result.ec != std::errc() || result.ptr != end || !std::isfinite(value) ||
        value < 0)
        return std::nullopt;
    return value * scale;
}

namespace {

// Calls on_text for literal text and on_field for each "{{ ... }}" (trimmed); returns an
// error for an unclosed field.
template <class Text, class FieldFn>
std::optional<std::string> walk_template(std::string_view text, Text on_text, FieldFn on_field) {
    while (!text.empty()) {
        const auto open = text.find("{{");
        if (open == std::string_view::npos) {
            on_text(text);
            break;
        }
        on_text(text.substr(0, open));
        const auto close = text.find("}}", open + 2);
        if (close == std::string_view::npos) return std::string("unclosed \"{{\" in template");
        std::string_view field = text.substr(open + 2, close - open - 2);
        while (!field.empty() && field.front() == ' ') field.remove_prefix(1);
        while (!field.empty() && field.back() == ' ') field.remove_suffix(1);
        if (auto error = on_field(field)) return error;
        text.remove_prefix(close + 2);
    }
    return std::nullopt;
}

bool label_name(std::string_view name) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
}

}  // namespace

std::optional<std::string> check_alert_template(std::string_view text) {
    return walk_template(
        text, [](std::string_view) {},
        [](std::string_view field) -> std::optional<std::string> {
            if (field == "$value") return std::nullopt;
            if (field.starts_with("$labels.") && label_name(field.substr(8))) return std::nullopt;
            return "unknown template field \"{{ " + std::string(field) +
                   " }}\" (known: {{ $value }}, {{ $labels.<name> }})";
        });
}

std::string render_alert_template(std::string_view text, double value,
                                  const std::map<std::string, std::string>& labels) {
    std::string out;
    walk_template(
        text, [&](std::string_view literal) { out += literal; },
        [&](std::string_view field) -> std::optional<std::string> {
            if (field == "$value") {
                char buffer[64];
                std::snprintf(buffer, sizeof buffer, "%.6g", value);
                out += buffer;
            } else if (field.starts_with("$labels.")) {
                auto it = labels.find(std::string(field.substr(8)));
                if (it != labels.end()) out += it->second;
            }
            return std::nullopt;
        });
    return out;
}

namespace detail {
namespace {

const std::vector<std::string_view> kRuleKeys = {"name",     "metric", "match",    "scope",
                                                 "op",       "threshold", "for",   "severity",
                                                 "labels",   "description"};

struct RuleReader {
    const NodePositions& where;
    std::string path;  // alerting.rules[i]

    std::string scalar(const YAML::Node& key, const YAML::Node& value, const std::string& key_path) {
        if (!value.IsScalar())
            fail(where.at_value(value, key), key_path, "expected a string, got " + describe_node(value));
        return value.Scalar();
    }

    std::string one_of(const YAML::Node& key, const YAML::Node& value, const std::string& key_path,
                       const std::vector<std::string_view>& choices) {
        const std::string text = scalar(key, value, key_path);
        if (std::find(choices.begin(), choices.end(), text) != choices.end()) return text;
        std::string list;
        for (auto c : choices) list += (list.empty() ? "" : ", ") + std::string(c);
        fail(where.at(value.Mark()), key_path, "expected one of " + list + "; got \"" + text + "\"");
    }

    std::vector<std::pair<std::string, std::string>> label_map(const YAML::Node& key,
                                                               const YAML::Node& value,
                                                               const std::string& key_path,
                                                               bool reserved_allowed) {
        if (value.IsNull()) return {};
        if (!value.IsMap())
            fail(where.at_value(value, key), key_path,
                 "expected a mapping of label names to values, got " + describe_node(value));
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& pair : value) {
            const YAML::Node& name = pair.first;
            if (!name.IsScalar() || !label_name(name.Scalar()))
                fail(where.at(name.Mark()), key_path,
                     "expected a label name (letters, digits, _), got " + describe_node(name));
            const std::string item_path = key_path + "." + name.Scalar();
            if (!reserved_allowed && (name.Scalar() == "alertname" || name.Scalar() == "severity"))
                fail(where.at(name.Mark()), item_path,
                     "label \"" + name.Scalar() + "\" is set by the rule itself");
            for (const auto& [existing, ignored] : out)
                if (existing == name.Scalar())
                    fail(where.at(name.Mark()), item_path,
                         "duplicate label \"" + name.Scalar() + "\"");
            out.emplace_back(name.Scalar(), scalar(name, pair.second, item_path));
        }
        return out;
    }

    double number(const YAML::Node& key, const YAML::Node& value, const std::string& key_path) {
        const std::string text = scalar(key, value, key_path);
        double out = 0;
        std::string_view view = text;
        if (view.size() > 1 && view[0] == '+') view.remove_prefix(1);
        const auto result = std::from_chars(view.data(), view.data() + view.size(), out);
        const bool quoted = value.Tag() == "!";
        if (quoted || result.ec != std::errc() || result.ptr != view.data() + view.size() ||
            !std::isfinite(out))
            fail(where.at(value.Mark()), key_path,
                 std::string("expected a finite number, got ") + (quoted ? "a quoted string " : "") +
                     "\"" + text + "\"");
        return out;
    }

    AlertRule read(const YAML::Node& item) {
        if (!item.IsMap())
            fail(where.at_item(item), path, "expected a mapping (one rule), got " + describe_node(item));
        AlertRule rule;
        std::map<std::string, std::string> seen;
        for (const auto& pair : item) {
            const YAML::Node& key = pair.first;
            const YAML::Node& value = pair.second;
            if (!key.IsScalar())
                fail(where.at(key.Mark()), path, "expected a key name, got " + describe_node(key));
            const std::string& name = key.Scalar();
            const std::string key_path = path + "." + name;
            if (std::find(kRuleKeys.begin(), kRuleKeys.end(), name) == kRuleKeys.end())
                fail(where.at(key.Mark()), key_path,
                     "unknown key \"" + name + "\"" + suggestion(name, kRuleKeys));
            const Location key_at = where.at(key.Mark());
            if (auto first = seen.find(name); first != seen.end())
                fail(key_at, key_path, "duplicate key \"" + name + "\" (first at " + first->second + ")");
            seen.emplace(name, std::to_string(key_at.line) + ":" + std::to_string(key_at.column));
            if (name == "name") {
                rule.name = scalar(key, value, key_path);
                if (!label_name(rule.name))
                    fail(where.at(value.Mark()), key_path,
                         "expected a rule name of letters, digits and _, got \"" + rule.name + "\"");
                const auto& builtins = builtin_alert_names();
                if (std::find(builtins.begin(), builtins.end(), rule.name) != builtins.end())
                    fail(where.at(value.Mark()), key_path,
                         "\"" + rule.name + "\" is the name of a built-in rule");
            } else if (name == "metric") {
                rule.metric = scalar(key, value, key_path);
                const bool ok = !rule.metric.empty() &&
                                std::all_of(rule.metric.begin(), rule.metric.end(), [](char c) {
                                    return std::islower(static_cast<unsigned char>(c)) ||
                                           std::isdigit(static_cast<unsigned char>(c)) || c == '_' ||
                                           c == '.';
                                });
                if (!ok)
                    fail(where.at(value.Mark()), key_path,
                         "expected a metric name (lower case, digits, _ and .), got \"" +
                             rule.metric + "\"");
            } else if (name == "match") {
                rule.match = label_map(key, value, key_path, true);
            } else if (name == "scope") {
                rule.scope = one_of(key, value, key_path, {"cluster", "node", "job"});
            } else if (name == "op") {
                rule.op = one_of(key, value, key_path, {">", ">=", "<", "<=", "==", "!="});
            } else if (name == "threshold") {
                rule.threshold = number(key, value, key_path);
            } else if (name == "for") {
                const std::string text = scalar(key, value, key_path);
                const auto seconds = parse_duration_text(text);
                if (!seconds || *seconds > 604800)
                    fail(where.at(value.Mark()), key_path,
                         "expected a duration from 0 to 7d (90, 90s, 5m, 2h, 1d), got \"" + text + "\"");
                rule.for_s = *seconds;
            } else if (name == "severity") {
                rule.severity = one_of(key, value, key_path, {"info", "warning", "critical"});
            } else if (name == "labels") {
                rule.labels = label_map(key, value, key_path, false);
            } else if (name == "description") {
                rule.description = scalar(key, value, key_path);
                if (auto error = check_alert_template(rule.description))
                    fail(where.at(value.Mark()), key_path, *error);
            }
        }
        for (const char* required : {"name", "metric", "threshold"})
            if (!seen.count(required))
                fail(where.at(item.Mark()), path, std::string("missing key \"") + required + "\"");
        return rule;
    }
};

void read_rules(const YAML::Node& key, const YAML::Node& value, const std::string& path,
                const NodePositions& where, Config& config) {
    if (value.IsNull()) {
        config.alerting.rules.clear();
        return;
    }
    if (!value.IsSequence())
        fail(where.at_value(value, key), path, "expected a list of rules, got " + describe_node(value));
    std::vector<AlertRule> rules;
    std::map<std::string, std::size_t> first_index;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const YAML::Node item = value[i];
        RuleReader reader{where, path + "[" + std::to_string(i) + "]"};
        AlertRule rule = reader.read(item);
        if (auto first = first_index.find(rule.name); first != first_index.end())
            fail(where.at(item["name"].Mark()), reader.path + ".name",
                 "rule \"" + rule.name + "\" is defined twice (first as " + path + "[" +
                     std::to_string(first->second) + "])");
        first_index.emplace(rule.name, i);
        rules.push_back(std::move(rule));
    }
    config.alerting.rules = std::move(rules);
}

std::string pairs_yaml(const std::vector<std::pair<std::string, std::string>>& pairs) {
    std::string out = "{";
    for (std::size_t i = 0; i < pairs.size(); ++i)
        out += (i ? ", " : "") + pairs[i].first + ": " + format_value(pairs[i].second);
    return out + "}";
}

}  // namespace

StructuredReader find_structured_key(std::string_view section, std::string_view key) {
    if (section == "alerting" && key == "rules") return read_rules;
    return nullptr;
}

std::string structured_yaml(const Config& config, std::string_view section) {
    if (section != "alerting") return "";
    if (config.alerting.rules.empty()) return "  rules: []\n";
    std::string out = "  rules:\n";
    for (const AlertRule& rule : config.alerting.rules) {
        out += "    - {name: " + format_value(rule.name) + ", metric: " + format_value(rule.metric) +
               ", match: " + pairs_yaml(rule.match) + ", scope: " + rule.scope +
               ", op: " + format_value(rule.op) + ", threshold: " + format_value(rule.threshold) +
               ", for: " + format_value(rule.for_s) + ", severity: " + rule.severity +
               ", labels: " + pairs_yaml(rule.labels) +
               ", description: " + format_value(rule.description) + "}\n";
    }
    return out;
}

bool same_structured(const Config& a, const Config& b) {
    return a.alerting.rules == b.alerting.rules;
}

std::string describe_node(const YAML::Node& node) {
    if (node.IsMap()) return "a mapping";
    if (node.IsSequence()) return "a list";
    if (node.IsNull()) return "an empty value";
    const bool quoted = node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
    return (quoted ? "a quoted string \"" : "\"") + node.Scalar() + "\"";
}

}  // namespace detail
}  // namespace hpcmon::config
