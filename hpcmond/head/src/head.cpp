// Wires the head daemon: collectors, access, routes, listener (head.hpp).
#include "hpcmon/head/head.hpp"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <thread>

#include "hpcmon/head/api.hpp"
#include "hpcmon/head/api_alerts.hpp"
#include "hpcmon/head/api_history.hpp"
#include "hpcmon/head/live_diagnosis.hpp"
#include "hpcmon/head/db_slowlog_collector.hpp"
#include "hpcmon/head/db_connections.hpp"
#include "hpcmon/dbhealth/db_monitor.hpp"
#include "hpcmon/head/params.hpp"
#include "hpcmon/head/scheduler_stats.hpp"
#include "hpcmon/head/slurm_collector.hpp"
#include "hpcmon/head/static_files.hpp"

namespace hpcmon::head {
namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string short_host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "localhost";
  std::string host(name);
  return host.substr(0, host.find('.'));
}

// Runs `work` every `period` on its own thread until destroyed.
class Periodic {
 public:
  Periodic(double period_s, std::function<void()> work)
      : period_(period_s), work_(std::move(work)), thread_([this] { loop(); }) {}
  // Runs the work now instead of at the end of the current period.
  void wake() {
    {
      std::lock_guard lock(mutex_);
      woken_ = true;
    }
    wake_.notify_all();
  }
  ~Periodic() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    do {
      lock.unlock();
      work_();
      lock.lock();
      wake_.wait_for(lock, period_, [this] { return stopping_ || woken_; });
      woken_ = false;
    } while (!stopping_);
  }
  std::chrono::duration<double> period_;
  std::function<void()> work_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace

std::string agent_listener_problem(const config::Api& api) {
  const bool loopback = api.agent_listen_address.rfind("127.", 0) == 0;
  const bool tls = !api.agent_tls_cert_file.empty() || !api.agent_tls_key_file.empty();
  if (!loopback && !tls)
    return "api.agent_listen_address " + api.agent_listen_address +
           " is not loopback: set api.agent_tls_cert_file and api.agent_tls_key_file (agents "
           "push their token over HTTPS only)";
  if (api.agent_port == api.port &&
      (api.agent_listen_address == api.listen_address || api.listen_address == "0.0.0.0" ||
       api.agent_listen_address == "0.0.0.0"))
    return "api.agent_port " + std::to_string(api.agent_port) +
           " is the API's port: the agents' listener needs a port of its own";
  return "";
}

int run(const config::Config& config, std::atomic<bool>& stop, std::atomic<bool>* reload) {
  Log log(config.general.log_level == "off");
  std::shared_ptr<const Access> access;
  try {
    access = std::make_shared<const Access>(config.api);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "hpcmond: %s\n", error.what());
    return 1;
  }
  // The agents' listener is checked before anything starts: a plain-HTTP push port off
  // loopback would carry the agent token in clear.
  TlsPem tls;
  std::string problem = agent_listener_problem(config.api);
  if (problem.empty())
    problem = read_tls_files(config.api.agent_tls_cert_file, config.api.agent_tls_key_file, tls);
  if (!problem.empty()) {
    std::fprintf(stderr, "hpcmond: %s\n", problem.c_str());
    return 1;
  }
  const double interval = config.general.node_sample_interval_s;
  SystemCollector system(interval, static_cast<std::size_t>(3600 / interval) + 1);
  system.start();
  if (const std::string overlap = canonical_dir_problem(config); !overlap.empty()) {
    std::fprintf(stderr, "hpcmond: %s\n", overlap.c_str());
    return 1;
  }
  RecordIndex records(config.hpc.record_dir, canonical_record_dir(config), config.api.merge_timeout_s, log,
                      config.diagnosis);
  std::unique_ptr<history::Store> history_store;  // opened (log replayed) before the API answers
  try {
    history_store = open_history(config, log);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "hpcmond: %s\n", error.what());
    return 1;
  }
  std::unique_ptr<SlurmCollector> slurm = SlurmCollector::connect(config.api.slurm_poll_interval_s, log);

  if (slurm) {
    records.set_submit_times([&slurm] {
      SubmitTimes times;
      for (const auto& job : slurm->active_jobs()) {
        if (!job.contains("submit") || !job["submit"].is_string()) continue;
        if (auto t = parse_time_ns(job["submit"].get<std::string>()))
          times[{job.value("cluster", slurm->cluster()), job.value("job", "")}] = *t;
      }
      return times;
    });
  }
  std::atomic<Periodic*> scanner_handle{nullptr};
  AgentStore agents([&] {
    if (Periodic* scanner = scanner_handle.load()) scanner->wake();
  });
  Services services{short_host_name(), slurm ? slurm->cluster() : "local", system, records,
                    slurm.get(), &agents, access};
  services.history = history_store.get();
  // The accounting database's health, read on a thread of its own (db_connections.hpp).
  std::unique_ptr<dbhealth::DbMonitor> db_monitor =
      start_db_monitor(config.accounting_db, services.cluster, history_store.get(), log);
  services.db = db_monitor.get();
  // The scheduler's RPC statistics: read before alerting starts, so its rules see them.
  std::unique_ptr<SchedulerCollector> scheduler;
  if (slurm && config.scheduler.enabled) {
    scheduler = std::make_unique<SchedulerCollector>(config.scheduler, slurm->cluster(), history_store.get(), log);
    services.scheduler = scheduler.get();
  }
  // Alert states are restored before the API answers, so no restart shows an empty list.
  // Findings of running jobs from the agents' pushes, before alerting (job.finding samples).
  LiveDiagnosis live(agents, config.diagnosis);
  if (config.diagnosis.live_interval_s > 0) services.live = &live;
  std::unique_ptr<Alerting> alerting;
  if (config.alerting.enabled) alerting = std::make_unique<Alerting>(config, services, log);
  services.alerting = alerting.get();
  Router router;
  register_routes(router, services);
  // The accounting database's slow log, followed and analysed on a thread of its own
  // (db_slowlog_collector.hpp); GET /api/v1/db shows it beside the connection health.
  const std::unique_ptr<SlowLogCollector> slowlog =
      start_slowlog_collector(config.accounting_db, services.cluster, history_store.get(), log, db_monitor.get());
  services.db_statements = slowlog.get();
  register_db_routes(router, slowlog.get(), services.db);
  register_db_connection_routes(router, db_monitor.get());
  register_static_routes(router, config.api.webui_dir.empty() ? default_webui_dir()
                                                               : std::filesystem::path(config.api.webui_dir));
  HttpServer server(router, static_cast<std::size_t>(config.api.max_body_bytes));
  services.requests = &server.request_counter();
  const std::string failure =
      server.start(config.api.listen_address, static_cast<std::uint16_t>(config.api.port));
  if (!failure.empty()) {
    std::fprintf(stderr, "hpcmond: %s\n", failure.c_str());
    return 1;
  }
  Router agent_router;
  register_agent_routes(agent_router, services);
  HttpServer agent_server(agent_router, static_cast<std::size_t>(config.api.max_body_bytes));
  const std::string agent_failure = agent_server.start(
      config.api.agent_listen_address, static_cast<std::uint16_t>(config.api.agent_port), 1, tls);
  if (!agent_failure.empty()) {
    std::fprintf(stderr, "hpcmond: agent listener: %s\n", agent_failure.c_str());
    return 1;
  }
  log.info("head daemon listening on " + config.api.listen_address + ":" +
           std::to_string(server.port()) + " (access " + access->mode() + "), agents on " +
           (tls.enabled() ? "https://" : "http://") + config.api.agent_listen_address + ":" +
           std::to_string(agent_server.port()));
  Periodic scanner(config.api.record_scan_interval_s, [&] { records.scan(now_ns()); });
  std::unique_ptr<Periodic> live_evaluator;
  if (services.live)
    live_evaluator = std::make_unique<Periodic>(config.diagnosis.live_interval_s, [&] { live.evaluate(now_ns()); });
  HistoryFeeder history_feeder(config, services, log);
  scanner_handle = &scanner;
  std::unique_ptr<Periodic> poller;
  if (slurm) poller = std::make_unique<Periodic>(config.api.slurm_poll_interval_s, [&] { slurm->poll(); });
  std::unique_ptr<Periodic> scheduler_reader;
  if (scheduler)
    scheduler_reader = std::make_unique<Periodic>(config.scheduler.interval_s, [&] { scheduler->collect_once(); });

  while (!stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (reload && reload->exchange(false)) {
      try {
        const config::Config fresh = config::load_file(config.source);
        std::atomic_store(&services.access, std::make_shared<const Access>(fresh.api));
        if (alerting) alerting->apply(fresh);  // rules and thresholds; alert states kept
        log.info("configuration reloaded from " + config.source +
                 " (access policy and tokens; listener and periods need a restart)");
      } catch (const std::exception& error) {
        log.warning(std::string("reload refused, running configuration kept: ") + error.what());
      }
    }
  }
  agent_server.stop();
  server.stop();
  services.alerting = nullptr;
  alerting.reset();
  scanner_handle = nullptr;
  poller.reset();
  scheduler_reader.reset();
  system.stop();
  return 0;
}

}  // namespace hpcmon::head
