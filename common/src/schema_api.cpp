// Schema rows of the `api` section: the head daemon's REST listener, its access mode and the
// periods of its collectors. Kept apart from schema.cpp so the section has one home.
#include "hpcmon/config_schema.hpp"
#include "field_builders.hpp"

namespace hpcmon::config {
namespace {

using detail::absolute_file;
using detail::checked;
using detail::ranged;

template <class T>
Field api_field(std::string_view key, ValueType type, T Api::*member, std::string_view doc) {
    return detail::section_field(key, type, &Config::api, member, doc);
}

std::optional<std::string> empty_or_absolute_file(std::string_view text) {
    if (text.empty()) return std::nullopt;
    return absolute_file(text);
}

std::optional<std::string> not_empty(std::string_view text) {
    if (text.empty()) return "must not be empty";
    return std::nullopt;
}

}  // namespace

Section make_api_section() {
    using T = ValueType;
    Field access = api_field("access", T::choice, &Api::access,
                             "Who may read: open (anyone who reaches the port), token (a "
                             "human-scoped bearer token), user (MUNGE credential; own jobs only, "
                             "admin group sees all).");
    access.choices = {"open", "token", "user"};
    return {"api",
            "The head daemon's REST API and /metrics: listener, access control, collector "
            "periods.",
            {checked(api_field("listen_address", T::string, &Api::listen_address,
                               "IPv4 address the API listens on."),
                     not_empty),
             ranged(api_field("port", T::integer, &Api::port, "TCP port of the API."), 1, 65535),
             checked(api_field("agent_listen_address", T::string, &Api::agent_listen_address,
                               "IPv4 address of the agents' listener (POST /api/v1/agent/push "
                               "only). Off loopback it needs agent_tls_cert_file and "
                               "agent_tls_key_file."),
                     not_empty),
             ranged(api_field("agent_port", T::integer, &Api::agent_port,
                              "TCP port of the agents' listener; not the API's port."),
                    1, 65535),
             checked(api_field("agent_tls_cert_file", T::string, &Api::agent_tls_cert_file,
                               "PEM certificate (chain) of the agents' listener; set with "
                               "agent_tls_key_file it serves HTTPS. Empty: plain HTTP, loopback "
                               "only."),
                     empty_or_absolute_file),
             checked(api_field("agent_tls_key_file", T::string, &Api::agent_tls_key_file,
                               "PEM private key of agent_tls_cert_file (mode 0600)."),
                     empty_or_absolute_file),
             access,
             checked(api_field("token_file", T::string, &Api::token_file,
                               "File (mode 0600) holding the human-scoped token (reads in token "
                               "mode, acknowledgements)."),
                     absolute_file),
             checked(api_field("agent_token_file", T::string, &Api::agent_token_file,
                               "File (mode 0600) holding the agent-scoped token for pushes."),
                     absolute_file),
             checked(api_field("admin_group", T::string, &Api::admin_group,
                               "Unix group whose members see every user's jobs in user mode."),
                     not_empty),
             ranged(api_field("max_body_bytes", T::integer, &Api::max_body_bytes,
                              "Largest request body accepted; larger ones get 413."),
                    1024, 1073741824),
             ranged(api_field("record_scan_interval_s", T::number, &Api::record_scan_interval_s,
                              "Seconds between two scans of hpc.record_dir for new records."),
                    0.1, 86400),
             ranged(api_field("slurm_poll_interval_s", T::number, &Api::slurm_poll_interval_s,
                              "Seconds between two loads of Slurm's node, partition and job "
                              "state (the minimum interval between RPCs)."),
                    0.5, 3600),
             ranged(api_field("merge_timeout_s", T::number, &Api::merge_timeout_s,
                              "Seconds after a step's end to wait for missing node partials "
                              "before merging without them (flagged)."),
                    0, 86400),
             checked(api_field("webui_dir", T::string, &Api::webui_dir,
                               "Folder of the dashboard served at / and /ui/ on the API port. Empty: "
                               "share/hpcmon/webui beside the folder of the hpcmond program."),
                     empty_or_absolute_file)},
            {}};
}

}  // namespace hpcmon::config
