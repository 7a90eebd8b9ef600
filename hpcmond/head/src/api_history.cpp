// The durable history in the head daemon (api_history.hpp): feeding the store, serving
// /api/v1/metrics/history and /api/v1/nodes/{node}/history, and the store's figures.
#include "hpcmon/head/api_history.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>

#include "hpcmon/head/api.hpp"
#include "hpcmon/head/params.hpp"
#include "hpcmon/head/record_index.hpp"

namespace hpcmon::head {
namespace {

using nlohmann::json;
constexpr std::int64_t kS = 1'000'000'000;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

ApiError bad(const std::string& parameter, const std::string& message) {
  return ApiError{ErrorType::bad_parameter, message, parameter};
}

// "cpu.cpu0.user_s" -> metric "cpu.user_s", device "cpu0" (as /metrics splits them).
std::pair<std::string, std::string> split_device(const std::string& name) {
  static const char* kPerDevice[] = {"cpu", "disk", "net", "fs"};
  const auto first = name.find('.');
  const auto last = name.rfind('.');
  if (first != std::string::npos && last != first)
    for (const char* group : kPerDevice)
      if (name.compare(0, first, group) == 0)
        return {name.substr(0, first) + name.substr(last), name.substr(first + 1, last - first - 1)};
  return {name, ""};
}

std::string join_device(const std::string& metric, const history::Labels& labels) {
  auto device = labels.find("device");
  if (device == labels.end()) return metric;
  const auto dot = metric.find('.');
  return metric.substr(0, dot) + "." + device->second + metric.substr(dot);
}

void add(history::Store& store, std::vector<history::Write>& batch, const std::string& metric,
         const history::Labels& labels, std::int64_t t_ns, double value) {
  if (!std::isfinite(value)) return;
  batch.push_back({store.series(metric, labels), t_ns, value});
}

// Numbers of a reading become series "<prefix>.<field>"; an object of numbers becomes one
// series per entry with a device label (core_util: {"cpu0": ...}).
void add_reading(history::Store& store, std::vector<history::Write>& batch, const std::string& prefix,
                 const json& reading, const history::Labels& labels) {
  if (!reading.is_object() || !reading.contains("t_ns") || !reading["t_ns"].is_number_integer()) return;
  const std::int64_t t = reading["t_ns"].get<std::int64_t>();
  for (const auto& [field, value] : reading.items()) {
    if (field == "t_ns") continue;
    if (value.is_number()) {
      add(store, batch, prefix + "." + field, labels, t, value.get<double>());
    } else if (value.is_object()) {
      for (const auto& [device, number] : value.items())
        if (number.is_number()) {
          history::Labels with_device = labels;
          with_device["device"] = device;
          add(store, batch, prefix + "." + field, with_device, t, number.get<double>());
        }
    }
  }
}

// The jobs a caller of the per-user mode owns (records and Slurm's active jobs).
std::set<std::string> owned_jobs(const Services& services, const std::string& user) {
  std::set<std::string> jobs;
  for (const auto& job : *services.records.jobs())
    if (job.user == user) jobs.insert(job.job);
  if (services.slurm)
    for (const auto& job : services.slurm->active_jobs())
      if (job.value("user", "") == user) jobs.insert(job.value("job", ""));
  return jobs;
}

double seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

Outcome history_query(const Services& services, const Request& request, const std::string& node_of_path) {
  if (!services.history) return ApiError{ErrorType::unavailable, "history is disabled (history.enabled: false)", ""};
  const std::int64_t now = now_ns();
  std::int64_t end = now;
  if (auto text = request.param("end")) {
    auto t = parse_time_ns(*text);
    if (!t) return bad("end", "not an RFC 3339 time or epoch seconds: \"" + *text + "\"");
    end = *t;
  }
  std::int64_t start = end - 3600 * kS;
  if (auto text = request.param("start")) {
    auto t = parse_time_ns(*text);
    if (!t) return bad("start", "not an RFC 3339 time or epoch seconds: \"" + *text + "\"");
    start = *t;
  }
  if (start > end) return bad("start", "start is after end");
  double step_s = 0;
  if (auto text = request.param("step")) {
    auto d = parse_duration_s(*text);
    if (!d) return bad("step", "expected a positive duration in seconds, got \"" + *text + "\"");
    step_s = *d;
  }
  const std::int64_t step_ns = static_cast<std::int64_t>(step_s * 1e9);
  if (step_ns > 0 && (end - start) / step_ns > 100000)
    return bad("step", "more than 100000 points per series: use a larger step");
  history::Selector selector;
  selector.metric = request.param("metric").value_or("");
  selector.metric_prefix = true;
  const std::string node = node_of_path.empty() ? request.param("node").value_or("") : node_of_path;
  if (!node.empty()) selector.labels.push_back({"node", node, history::LabelMatcher::Op::equal});
  std::string job_filter;
  if (auto text = request.param("job")) {
    auto id = parse_job_id(*text);
    if (!id) return bad("job", "not a Slurm job id (12, 12_3, 12+1, 12.batch, 12.0): \"" + *text + "\"");
    job_filter = id->job;
    selector.labels.push_back({"job", id->job, history::LabelMatcher::Op::equal});
    if (!id->step.empty()) selector.labels.push_back({"step", id->step, history::LabelMatcher::Op::equal});
  }
  const history::RangeResult result = services.history->range(selector, start, end, step_ns);
  // In the per-user mode a caller sees the series of its own jobs and no other job's.
  std::set<std::string> mine;
  if (!request.sees_all) mine = owned_jobs(services, request.user);
  json series = json::array();
  std::map<std::int64_t, json> samples;  // the head's own series by time: the window's old form
  const bool head_form = node.empty() && job_filter.empty();
  for (const auto& one : result.series) {
    auto job = one.labels.find("job");
    if (!request.sees_all && job != one.labels.end() && !mine.count(job->second)) continue;
    json points = json::array();
    for (const auto& p : one.points) {
      points.push_back(json::array({seconds(p.t_ns), p.avg, p.min, p.max, p.count}));
      const auto at_node = one.labels.find("node");
      if (head_form && one.labels.size() <= 2 && at_node != one.labels.end() && at_node->second == services.node &&
          job == one.labels.end())
        samples[p.t_ns][join_device(one.metric, one.labels)] = p.avg;
    }
    series.push_back({{"metric", one.metric}, {"labels", one.labels}, {"points", std::move(points)}});
  }
  json out = {{"node", node.empty() ? services.node : node},
              {"start", format_time(start)},
              {"end", format_time(end)},
              {"step_s", step_s},
              {"resolution_s", seconds(result.resolution_ns)},
              {"interval_s", services.system.interval_s()},
              {"series", std::move(series)}};
  if (head_form) {
    json list = json::array();
    for (auto& [t, values] : samples) list.push_back({{"timestamp", format_time(t)}, {"values", std::move(values)}});
    out["samples"] = std::move(list);
  }
  return out;
}

}  // namespace

std::unique_ptr<history::Store> open_history(const config::Config& config, Log& log) {
  if (!config.history.enabled) return nullptr;
  history::Options options;
  options.dir = config.history.path;
  options.tiers.clear();
  for (const auto& text : config.history.tiers) {
    auto tier = history::parse_tier(text);
    if (!tier) throw history::StoreError("history.tiers: bad tier \"" + text + "\"");
    options.tiers.push_back(*tier);
  }
  options.max_disk_bytes = static_cast<std::uint64_t>(config.history.max_disk_bytes);
  options.sync = config.history.wal_sync == "none"       ? history::SyncMode::none
                 : config.history.wal_sync == "periodic" ? history::SyncMode::periodic
                                                         : history::SyncMode::always;
  options.sync_interval_ns = static_cast<std::int64_t>(config.history.wal_sync_interval_s * 1e9);
  options.block_ns = static_cast<std::int64_t>(config.history.block_duration_s * 1e9);
  options.maintenance_interval_s = config.history.maintenance_interval_s;
  options.log = [&log](const std::string& line) { log.warning(line); };
  try {
    return history::Store::open(std::move(options));
  } catch (const history::StoreLocked& error) {
    // Another daemon owns this folder: serve without durable history rather than corrupt it.
    log.warning(std::string(error.what()) + "; running without durable history (set history.path)");
    return nullptr;
  }
}

std::optional<ApiError> store_push(const Services& services, const std::string& body) {
  if (!services.history) return std::nullopt;
  const json message = json::parse(body, nullptr, false);
  if (message.is_discarded() || !message.is_object() || message.value("kind", "") != "samples" ||
      !message.contains("agent") || !message["agent"].is_object() || !message["agent"].contains("node") ||
      !message["agent"]["node"].is_string() || !message.contains("samples") || !message["samples"].is_object())
    return std::nullopt;
  history::Store& store = *services.history;
  const std::string node = message["agent"]["node"].get<std::string>();
  const json& samples = message["samples"];
  std::vector<history::Write> batch;
  if (samples.contains("node") && samples["node"].is_array())
    for (const auto& reading : samples["node"]) add_reading(store, batch, "node", reading, {{"node", node}});
  if (samples.contains("steps") && samples["steps"].is_array())
    for (const auto& reading : samples["steps"]) {
      if (!reading.is_object()) continue;
      history::Labels labels = {{"node", node}};
      for (const char* key : {"cluster", "job", "step"})
        if (reading.contains(key) && reading[key].is_string()) labels[key] = reading[key].get<std::string>();
      add_reading(store, batch, "step", reading, labels);
    }
  if (!store.append(batch))
    return ApiError{ErrorType::unavailable, "history store refused the samples: " + store.stats().last_error, ""};
  return std::nullopt;
}

void register_history_routes(Router& router, Services& services) {
  Services* s = &services;
  router.get("/api/v1/metrics/history", [s](const Request& request) { return history_query(*s, request, ""); });
  router.get_prefix("/api/v1/nodes/", [s](const Request& request) -> Outcome {
    const std::string suffix = "/history";
    const std::string& tail = request.path_tail;
    if (tail.size() <= suffix.size() || tail.compare(tail.size() - suffix.size(), suffix.size(), suffix) != 0 ||
        tail.find('/') != tail.size() - suffix.size())
      return ApiError{ErrorType::not_found, "no such endpoint: " + request.path, ""};
    return history_query(*s, request, tail.substr(0, tail.size() - suffix.size()));
  });
}

json history_health(const Services& services) {
  if (!services.history) return json{{"enabled", false}};
  const history::Stats stats = services.history->stats();
  return json{{"enabled", true},
              {"path", services.history->options().dir.string()},
              {"series", stats.series},
              {"samples_appended", stats.samples_appended},
              {"writes_refused", stats.appends_refused},
              {"samples_refused", stats.samples_refused},
              {"disk_full", stats.disk_full},
              {"last_error", stats.last_error},
              {"wal_syncs", stats.wal_syncs},
              {"bytes_on_disk", stats.wal_bytes + stats.block_bytes},
              {"blocks", stats.blocks},
              {"head_samples", stats.head_samples},
              {"replayed_samples", stats.replayed_samples},
              {"torn_wal_bytes", stats.torn_wal_bytes}};
}

std::string history_exposition(const Services& services) {
  if (!services.history) return "";
  const history::Stats stats = services.history->stats();
  std::string out;
  auto quoted = [](const std::string& text) {
    std::string escaped;
    for (char c : text) {
      if (c == '\\' || c == '"') escaped += '\\';
      if (c == '\n') escaped += "\\n";
      else escaped += c;
    }
    return escaped;
  };
  const std::string labels = "{cluster=\"" + quoted(services.cluster) + "\",node=\"" + quoted(services.node) + "\"}";
  auto family = [&](const char* name, const char* type, const char* help, double value) {
    char number[64];
    std::snprintf(number, sizeof number, "%.17g", value);
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + labels + " " +
           number + "\n";
  };
  family("hpcmon_history_writes_refused_total", "counter",
         "Writes (pushes, samples of the head) the history store refused: full disk, max_disk_bytes, I/O error",
         static_cast<double>(stats.appends_refused));
  family("hpcmon_history_samples_refused_total", "counter", "Samples in refused writes", static_cast<double>(stats.samples_refused));
  family("hpcmon_history_samples_appended_total", "counter", "Samples stored since the daemon started",
         static_cast<double>(stats.samples_appended));
  family("hpcmon_history_disk_full", "gauge", "1 while the history store refuses writes", stats.disk_full ? 1 : 0);
  family("hpcmon_history_bytes", "gauge", "Bytes of the history store on disk (log and blocks)",
         static_cast<double>(stats.wal_bytes + stats.block_bytes));
  family("hpcmon_history_series", "gauge", "Series in the history store", static_cast<double>(stats.series));
  family("hpcmon_history_wal_syncs_total", "counter", "fdatasync calls of the history log (group commits)",
         static_cast<double>(stats.wal_syncs));
  return out;
}

HistoryFeeder::HistoryFeeder(const config::Config& config, const Services& services, Log& log)
    : services_(services), log_(log), record_dirs_{config.hpc.record_dir, canonical_record_dir(config).string()},
      record_retention_days_(config.history.record_retention_days),
      slurm_interval_s_(config.api.slurm_poll_interval_s) {
  thread_ = std::thread([this] { loop(); });
}

HistoryFeeder::~HistoryFeeder() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void HistoryFeeder::feed_once() {
  const std::int64_t now = now_ns();
  if (services_.history) {
    history::Store& store = *services_.history;
    std::vector<history::Write> batch;
    if (auto snapshot = services_.system.latest(); snapshot && snapshot->t_ns != last_system_ns_) {
      last_system_ns_ = snapshot->t_ns;
      for (const auto& metric : snapshot->metrics) {
        auto [name, device] = split_device(metric.name);
        history::Labels labels = {{"node", services_.node}};
        if (!device.empty()) labels["device"] = device;
        add(store, batch, name, labels, snapshot->t_ns, metric.value);
      }
    }
    if (services_.slurm && now - last_slurm_ns_ >= static_cast<std::int64_t>(slurm_interval_s_ * 1e9)) {
      last_slurm_ns_ = now;
      const history::Labels cluster = {{"cluster", services_.slurm->cluster()}};
      double running = 0, pending = 0, up = 0;
      for (const auto& job : services_.slurm->active_jobs()) {
        running += job.value("state", "") == "running";
        pending += job.value("state", "") == "pending";
      }
      const json nodes = services_.slurm->nodes();
      for (const auto& node : nodes) {
        const std::string state = node.value("state", "");
        const bool is_up = state.find("DOWN") == std::string::npos && state.find("DRAIN") == std::string::npos &&
                           state.find("FAIL") == std::string::npos;
        up += is_up;
        add(store, batch, "slurm.node_up", {{"cluster", services_.slurm->cluster()}, {"node", node.value("name", "")}}, now,
            is_up ? 1 : 0);
      }
      add(store, batch, "slurm.jobs_running", cluster, now, running);
      add(store, batch, "slurm.jobs_pending", cluster, now, pending);
      add(store, batch, "slurm.nodes", cluster, now, static_cast<double>(nodes.size()));
      add(store, batch, "slurm.nodes_up", cluster, now, up);
    }
    store.append(batch);  // a refusal is counted and logged by the store
  }
  if (record_retention_days_ > 0 && now - last_retention_ns_ >= 3600 * kS) {
    last_retention_ns_ = now;
    expire_records(now);
  }
}

std::size_t HistoryFeeder::expire_records(std::int64_t now) {
  if (record_retention_days_ <= 0) return 0;
  const std::int64_t limit = now - static_cast<std::int64_t>(record_retention_days_ * 86400e9);
  std::size_t deleted = 0;
  // Symlinks are neither followed nor deleted: only regular record files of the trees (the
  // users' records and the head's canonical ones).
  for (const std::string& record_dir : record_dirs_) {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(record_dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.ends_with(".h5")) continue;
    struct stat info {};
    if (::lstat(it->path().c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    const std::int64_t mtime = static_cast<std::int64_t>(info.st_mtim.tv_sec) * kS + info.st_mtim.tv_nsec;
    if (mtime < limit && ::unlink(it->path().c_str()) == 0) ++deleted;
  }
  }
  if (deleted)
    log_.info("history.record_retention_days: deleted " + std::to_string(deleted) + " job record files older than " +
              std::to_string(record_retention_days_) + " days");
  return deleted;
}

void HistoryFeeder::loop() {
  std::unique_lock lock(mutex_);
  do {
    lock.unlock();
    feed_once();
    lock.lock();
  } while (!wake_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stopping_; }));
}

}  // namespace hpcmon::head
