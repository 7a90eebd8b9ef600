// `hpcmon jobs [ID]`: the head daemon's job list, or one job, as the calling user. The
// request carries a fresh MUNGE credential, so in per-user access mode the daemon knows the
// caller's uid and answers with that user's jobs only (docs/api.md, "Access").
#include <curl/curl.h>
#include <munge.h>

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "text_escape.hpp"

namespace hpcmon::cli {
namespace {

struct JobsOptions {
  std::string id;
  std::string url;
  std::string munge_socket;
  bool raw_json = false;
};

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* body) {
  static_cast<std::string*>(body)->append(data, size * count);
  return size * count;
}

// A MUNGE credential of the calling user, or a one-line reason it could not be made.
bool munge_credential(const std::string& socket, std::string& credential, std::string& why) {
  munge_ctx_t context = munge_ctx_create();
  if (!context) return why = "cannot create a MUNGE context", false;
  if (!socket.empty()) munge_ctx_set(context, MUNGE_OPT_SOCKET, socket.c_str());
  char* encoded = nullptr;
  const munge_err_t status = munge_encode(&encoded, context, nullptr, 0);
  munge_ctx_destroy(context);
  if (status != EMUNGE_SUCCESS) return why = std::string("MUNGE: ") + munge_strerror(status), false;
  credential = encoded;
  std::free(encoded);
  return true;
}

int run_jobs(const JobsOptions& options) {
  std::string credential, why;
  if (!munge_credential(options.munge_socket, credential, why)) {
    std::cerr << "hpcmon: " << why << "\n";
    return kExitRequestFailed;
  }
  const std::string url = options.url + "/api/v1/jobs" + (options.id.empty() ? "" : "/" + options.id);
  CURL* curl = curl_easy_init();
  if (!curl) return std::cerr << "hpcmon: cannot start an HTTP client\n", kExitRequestFailed;
  std::string body;
  curl_slist* headers = curl_slist_append(nullptr, ("X-Munge-Credential: " + credential).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  const CURLcode result = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (result != CURLE_OK) {
    std::cerr << "hpcmon: " << url << ": " << curl_easy_strerror(result) << "\n";
    return kExitRequestFailed;
  }
  const auto reply = nlohmann::json::parse(body, nullptr, false);
  if (reply.is_discarded() || !reply.is_object()) {
    std::cerr << "hpcmon: " << url << ": HTTP " << status << ", not an hpcmon API answer\n";
    return kExitRequestFailed;
  }
  if (status < 200 || status >= 300 || reply.value("status", "") != "success") {
    const auto error = reply.value("error", nlohmann::json::object());
    std::cerr << "hpcmon: HTTP " << status << " " << escape_terminal(error.value("type", "")) << ": "
              << escape_terminal(error.value("message", "")) << "\n";
    return kExitRequestFailed;
  }
  // dump() escapes control characters, so user-chosen job names cannot drive the terminal.
  std::cout << (options.raw_json ? reply["data"].dump() : reply["data"].dump(2)) << "\n";
  return kExitOk;
}

}  // namespace

void add_jobs(CLI::App& app, Action& run) {
  auto options = std::make_shared<JobsOptions>();
  const char* env_url = std::getenv("HPCMON_URL");
  options->url = env_url && *env_url ? env_url : "http://127.0.0.1:3001";
  auto* cmd = app.add_subcommand("jobs", "your jobs from the head daemon (MUNGE proves who you are)");
  cmd->add_option("id", options->id, "one job, in Slurm's syntax: 12, 12_3, 12+1, 12.batch");
  cmd->add_option("--url", options->url, "the head daemon (default $HPCMON_URL, else http://127.0.0.1:3001)");
  cmd->add_option("--munge-socket", options->munge_socket, "munged's socket, if not the default");
  cmd->add_flag("--json", options->raw_json, "one line of JSON instead of indented JSON");
  cmd->callback([options, &run] { run = [options] { return run_jobs(*options); }; });
}

}  // namespace hpcmon::cli
