// Every route of the head daemon's API (docs/api.md). Handlers only read collectors and
// return data or a typed error; the adapter in router.cpp writes the envelope.
#include <algorithm>
#include <chrono>
#include <mutex>

#include "hpcmon/head/api.hpp"
#include "hpcmon/head/api_alerts.hpp"
#include "hpcmon/head/api_history.hpp"
#include "hpcmon/head/api_record.hpp"
#include "hpcmon/head/api_trace.hpp"
#include "hpcmon/head/api_scheduler.hpp"
#include "hpcmon/head/live_diagnosis.hpp"
#include "hpcmon/head/params.hpp"
#include "hpcmon/head/static_files.hpp"

namespace hpcmon::head {
namespace {

using nlohmann::json;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ApiError bad(const std::string& parameter, const std::string& message) {
  return ApiError{ErrorType::bad_parameter, message, parameter};
}

json snapshot_json(const Snapshot& snapshot, const std::string& prefix) {
  json metrics = json::object();
  for (const auto& metric : snapshot.metrics)
    if (metric.name.compare(0, prefix.size(), prefix) == 0)
      metrics[metric.name] = {{"value", metric.value}, {"unit", metric.unit}};
  return metrics;
}

json step_json(const StepSummary& step) {
  json out = {{"id", step.key.job + "." + step.key.step},
              {"step", step.key.step},
              {"restart_count", step.key.restart_count},
              {"run", step.key.run},
              {"start", step.start_ns ? json(format_time(step.start_ns)) : json(nullptr)},
              {"end", step.end_ns ? json(format_time(step.end_ns)) : json(nullptr)},
              {"exit_status", step.exit_status_known ? json(step.exit_status) : json(nullptr)},
              {"partial", step.partial},
              {"partial_reason", step.partial_reason},
              {"merge", step.merge_state},
              {"nodes_reported", step.nodes_reported},
              {"nodes_missing", step.nodes_missing},
              {"summary", step.summary},
              {"diagnosis", step.diagnosis}};
  return out;
}

json job_json(const JobSummary& job, bool with_steps) {
  json out = {{"cluster", job.cluster},
              {"job", job.job},
              {"user", job.user},
              {"name", job.job_name},
              {"account", job.account},
              {"partition", job.partition},
              {"node_list", job.node_list},
              {"node_count", job.node_count},
              {"state", job.state},
              {"source", "record"},
              {"submit", job.submit_ns ? json(format_time(job.submit_ns)) : json(nullptr)},
              {"submit_source", job.submit_source},
              {"start", job.start_ns ? json(format_time(job.start_ns)) : json(nullptr)},
              {"end", job.end_ns ? json(format_time(job.end_ns)) : json(nullptr)},
              {"steps", job.steps.size()}};
  if (with_steps) {
    json steps = json::array();
    for (const auto& step : job.steps) steps.push_back(step_json(step));
    out["steps"] = steps;
  }
  return out;
}

std::int64_t job_start_ns(const json& job) {
  if (!job.contains("start") || !job["start"].is_string()) return 0;
  return parse_time_ns(job["start"].get<std::string>()).value_or(0);
}

// Records and Slurm's running and pending jobs in one list; a job in both shows its
// Slurm state (it is still running) with the record's steps.
std::vector<json> all_jobs(const Services& services, bool with_steps) {
  std::vector<json> out;
  const auto jobs = services.records.jobs();
  for (const auto& job : *jobs) out.push_back(job_json(job, with_steps));
  if (services.slurm) {
    for (const auto& active : services.slurm->active_jobs()) {
      // The same job, not an older one of a wrapped id: equal submit times, or (without
      // Slurm's) a record that started after Slurm's submit.
      const std::int64_t submit = active.contains("submit") && active["submit"].is_string()
                                      ? parse_time_ns(active["submit"].get<std::string>()).value_or(0)
                                      : 0;
      auto same = std::find_if(out.begin(), out.end(), [&](const json& job) {
        if (job["job"] != active["job"] || job["cluster"] != active["cluster"] || job["source"] != "record")
          return false;
        if (job.value("submit_source", "") == "slurm")
          return job["submit"].is_string() &&
                 parse_time_ns(job["submit"].get<std::string>()).value_or(-1) / 1000000000 == submit / 1000000000;
        return job_start_ns(job) >= submit;
      });
      if (same != out.end()) {
        (*same)["state"] = active["state"];
        (*same)["source"] = "slurm+record";
        (*same)["slurm"] = active;
      } else {
        json job = active;
        job["source"] = "slurm";
        out.push_back(job);
      }
    }
  }
  return out;
}

Outcome list_jobs(const Services& services, const Request& request) {
  const auto user = request.param("user");
  const auto state = request.param("state");
  std::int64_t since = 0, until = INT64_MAX;
  if (auto text = request.param("since")) {
    auto t = parse_time_ns(*text);
    if (!t) return bad("since", "not an RFC 3339 time or epoch seconds: \"" + *text + "\"");
    since = *t;
  }
  if (auto text = request.param("until")) {
    auto t = parse_time_ns(*text);
    if (!t) return bad("until", "not an RFC 3339 time or epoch seconds: \"" + *text + "\"");
    until = *t;
  }
  if (since > until) return bad("since", "since is after until");
  std::uint64_t limit = 100, offset = 0;
  if (auto text = request.param("limit")) {
    auto n = parse_count(*text, 10000);
    if (!n || *n == 0) return bad("limit", "expected an integer from 1 to 10000, got \"" + *text + "\"");
    limit = *n;
  }
  if (auto text = request.param("offset")) {
    auto n = parse_count(*text, 1000000000);
    if (!n) return bad("offset", "expected a non-negative integer, got \"" + *text + "\"");
    offset = *n;
  }
  std::vector<json> matching;
  for (auto& job : all_jobs(services, false)) {
    const std::string owner = job.value("user", "");
    if (!request.sees_all && owner != request.user) continue;
    if (user && owner != *user) continue;
    if (state && job.value("state", "") != *state) continue;
    const std::int64_t start = job_start_ns(job);
    if ((request.param("since") || request.param("until")) && (start < since || start > until))
      continue;
    matching.push_back(std::move(job));
  }
  json page = json::array();
  for (std::size_t i = offset; i < matching.size() && page.size() < limit; ++i)
    page.push_back(matching[i]);
  return json{{"total", matching.size()}, {"offset", offset}, {"limit", limit}, {"jobs", page}};
}

Outcome one_job(const Services& services, const Request& request) {
  const auto id = parse_job_id(request.path_tail);
  if (!id)
    return bad("id", "not a Slurm job id (12, 12_3, 12+1, 12.batch, 12.0) or local-<host>-<start>-<pid>: \"" + request.path_tail + "\"");
  // A wrapped id names several jobs: the newest (latest start; Slurm's active job first) is
  // answered, the others are listed in "other_runs" by submit and start time.
  // Only the runs the caller may see take part: job ids inside records are written by users,
  // so another user's record naming this id must not hide the caller's job.
  std::vector<json> runs;
  bool others_exist = false;
  std::string slurm_user;  // the owner Slurm gives the id, when it knows the job
  for (auto& job : all_jobs(services, true)) {
    if (job.value("job", "") != id->job) continue;
    if (job.value("source", "") != "record" && slurm_user.empty()) slurm_user = job.value("user", "");
    if (!request.sees_all && job.value("user", "") != request.user) {
      others_exist = true;
      continue;
    }
    runs.push_back(std::move(job));
  }
  if (runs.empty() && others_exist)
    return ApiError{ErrorType::forbidden, "job " + id->job + " belongs to another user", ""};
  // A record-only run whose owner is not Slurm's owner of the id: shown, but flagged.
  for (auto& job : runs)
    if (job.value("source", "") == "record" && !slurm_user.empty() && job.value("user", "") != slurm_user)
      job["owner_differs_from_slurm"] = slurm_user;
  std::stable_sort(runs.begin(), runs.end(), [](const json& a, const json& b) {
    const bool a_active = a.value("source", "") != "record", b_active = b.value("source", "") != "record";
    if (a_active != b_active) return a_active;
    return job_start_ns(a) > job_start_ns(b);
  });
  for (auto& job : runs) {
    json others = json::array();
    for (const auto& other : runs)
      if (&other != &job)
        others.push_back({{"submit", other.value("submit", json(nullptr))},
                          {"submit_source", other.value("submit_source", "slurm")},
                          {"start", other.value("start", json(nullptr))},
                          {"end", other.value("end", json(nullptr))},
                          {"user", other.value("user", "")}});
    job["other_runs"] = others;
    // Findings of its running steps from the agents' pushes (live_diagnosis.hpp).
    if (services.live && job.value("source", "") != "record")
      if (json live = services.live->for_job(id->job); !live.is_null()) job["live_diagnosis"] = std::move(live);
    if (!id->step.empty()) {
      json steps = json::array();
      if (job.contains("steps") && job["steps"].is_array())
        for (const auto& step : job["steps"])
          if (step.value("step", "") == id->step) steps.push_back(step);
      if (steps.empty())
        return ApiError{ErrorType::not_found, "no step " + id->step + " of job " + id->job, ""};
      job["steps"] = steps;
    }
    return job;
  }
  return ApiError{ErrorType::not_found, "no job " + id->job, ""};
}

Outcome history(const Services& services, const Request& request) {
  const std::int64_t now = now_ns();
  std::int64_t end = now, start = now - 3600LL * 1000000000LL;
  if (auto text = request.param("end")) {
    auto t = parse_time_ns(*text);
    if (!t) return bad("end", "not an RFC 3339 time or epoch seconds: \"" + *text + "\"");
    end = *t;
  }
  if (auto text = request.param("start")) {
    auto t = parse_time_ns(*text);
    if (!t) return bad("start", "not an RFC 3339 time or epoch seconds: \"" + *text + "\"");
    start = *t;
  } else {
    start = end - 3600LL * 1000000000LL;
  }
  if (start > end) return bad("start", "start is after end");
  double step_s = 0;
  if (auto text = request.param("step")) {
    auto d = parse_duration_s(*text);
    if (!d) return bad("step", "expected a positive duration in seconds, got \"" + *text + "\"");
    step_s = *d;
  }
  const std::string prefix = request.param("metric").value_or("");
  json samples = json::array();
  for (const auto& snapshot :
       services.system.history(start, end, static_cast<std::int64_t>(step_s * 1e9))) {
    json values = json::object();
    for (const auto& metric : snapshot->metrics)
      if (metric.name.compare(0, prefix.size(), prefix) == 0) values[metric.name] = metric.value;
    samples.push_back({{"timestamp", format_time(snapshot->t_ns)}, {"values", values}});
  }
  return json{{"node", services.node},
              {"start", format_time(start)},
              {"end", format_time(end)},
              {"step_s", step_s},
              {"interval_s", services.system.interval_s()},
              {"samples", samples}};
}

}  // namespace

void register_routes(Router& router, Services& services) {
  Services* s = &services;
  router.set_guard([s](Request& request) -> std::optional<ApiError> {
    if (request.path == "/api/v1/health" || is_static_path(request.path)) return std::nullopt;
    const Scope scope = request.method == "GET" ? Scope::read : Scope::human_write;
    return std::atomic_load(&s->access)->check(request, scope);
  });

  router.get("/api/v1/health", [s](const Request&) -> Outcome {
    const double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - s->started).count();
    return json{{"status", "ok"},
                {"node", s->node},
                {"cluster", s->cluster},
                {"uptime_s", uptime},
                {"access", std::atomic_load(&s->access)->mode()},
                {"system_sources", s->system.sources()},
                {"system_sources_unavailable", s->system.unavailable()},
                {"record_scans", s->records.stats().scans},
                {"history", history_health(*s)},
                {"slurm", s->slurm != nullptr},
                {"alerts", alerts_summary(*s)}};
  });

  // The latest sample changes once per interval while dashboards poll it far more often:
  // the envelope of the unfiltered answer is rendered once per sample.
  struct Rendered {
    std::mutex mutex;
    std::shared_ptr<const Snapshot> snapshot;
    std::shared_ptr<const std::string> body;  // shared with responses still being sent
  };
  auto rendered = std::make_shared<Rendered>();
  router.get("/api/v1/metrics", [s, rendered](const Request& request) -> Outcome {
    auto snapshot = s->system.latest();
    if (!snapshot) return ApiError{ErrorType::unavailable, "no sample yet", ""};
    const auto prefix = request.param("metric");
    auto data = [&] {
      return json{{"node", s->node},
                  {"timestamp", format_time(snapshot->t_ns)},
                  {"interval_s", s->system.interval_s()},
                  {"metrics", snapshot_json(*snapshot, prefix.value_or(""))}};
    };
    if (prefix) return data();
    std::lock_guard lock(rendered->mutex);
    if (rendered->snapshot != snapshot) {
      rendered->body = std::make_shared<const std::string>(to_response(Outcome(data())).body);
      rendered->snapshot = snapshot;
    }
    return RawBody{"application/json", "", rendered->body};
  });

  if (s->history) register_history_routes(router, services);  // the durable store
  else router.get("/api/v1/metrics/history", [s](const Request& request) { return history(*s, request); });

  router.get("/api/v1/metrics/hpc", [s](const Request&) -> Outcome {
    const ScanStats stats = s->records.stats();
    json out = {{"cluster", s->cluster},
                {"records",
                 {{"jobs", s->records.jobs()->size()},
                  {"files_read", stats.files_read},
                  {"files_skipped", stats.files_skipped},
                  {"merges", stats.merges},
                  {"merge_writes", stats.merge_writes},
                  {"scans", stats.scans}}}};
    if (s->slurm) {
      std::size_t running = 0, pending = 0;
      for (const auto& job : s->slurm->active_jobs()) {
        running += job.value("state", "") == "running";
        pending += job.value("state", "") == "pending";
      }
      out["slurm"] = {{"nodes", s->slurm->nodes().size()},
                      {"partitions", s->slurm->partitions()},
                      {"jobs_running", running},
                      {"jobs_pending", pending},
                      {"rpcs", s->slurm->rpc_count()},
                      {"last_update", format_time(s->slurm->last_update_ns())}};
    } else {
      out["slurm"] = nullptr;
    }
    out["alerts"] = alerts_summary(*s);
    return out;
  });

  register_alert_routes(router, services);
  register_scheduler_routes(router, services);

  router.get("/api/v1/jobs", [s](const Request& request) { return list_jobs(*s, request); });
  router.get_prefix("/api/v1/jobs/", [s](const Request& request) {
    if (is_trace_summary_request(request.path_tail)) return job_trace_summary(*s, request, one_job);
    return is_record_request(request.path_tail) ? job_record(*s, request, one_job) : one_job(*s, request);
  });

  router.get("/api/v1/nodes", [s](const Request&) -> Outcome {
    if (!s->slurm) return ApiError{ErrorType::unavailable, "Slurm is not reachable from this daemon", ""};
    return json{{"cluster", s->cluster}, {"nodes", s->slurm->nodes()},
                {"partitions", s->slurm->partitions()}};
  });

  router.get("/api/v1/agents", [s](const Request&) -> Outcome {
    if (!s->agents) return json{{"agents", json::object()}, {"stored", 0}, {"duplicates", 0}};
    return json{{"agents", s->agents->live()},
                {"stored", s->agents->stored()},
                {"duplicates", s->agents->duplicates()}};
  });

  router.get("/metrics", [s](const Request&) -> Outcome {
    return RawBody{"text/plain; version=0.0.4; charset=utf-8", prometheus_text(*s), nullptr};
  });
}

void register_agent_routes(Router& router, Services& services) {
  Services* s = &services;
  router.set_guard([s](Request& request) -> std::optional<ApiError> {
    return std::atomic_load(&s->access)->check(request, Scope::agent_push);
  });
  router.post("/api/v1/agent/push", [s](const Request& request) -> Outcome {
    if (!s->agents) return ApiError{ErrorType::unavailable, "agent pushes are not accepted here", ""};
    if (auto refused = store_push(*s, request.body)) return *refused;  // durable before the answer
    return s->agents->push(request.body);
  });
}

}  // namespace hpcmon::head
