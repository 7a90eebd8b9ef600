// slurmctld's and slurmdbd's RPC statistics through libslurm, and the collector that turns
// them into views, history and alert samples (scheduler_stats.hpp).
#include "hpcmon/head/scheduler_stats.hpp"

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <slurm/slurmdb.h>

#include <algorithm>
#include <chrono>

#include "hpcmon/head/record_index.hpp"
#include "hpcmon/history.hpp"

extern "C" {
// Exported by libslurm (22.05) but not declared in its public headers.
void slurm_free_stats_response_msg(stats_info_response_msg_t* msg);
}

namespace hpcmon::head {
namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double seconds_of_us(double us) { return us / 1e6; }

// Slurm's List of slurmdb_rpc_obj_t into counters by id.
void add_rpc_list(List list, std::map<std::uint32_t, RpcCounter>& out) {
  if (!list) return;
  ListIterator it = slurm_list_iterator_create(list);
  while (auto* rpc = static_cast<slurmdb_rpc_obj_t*>(slurm_list_next(it))) {
    RpcCounter& counter = out[rpc->id];
    counter.count += rpc->cnt;
    counter.time_us += rpc->time;
  }
  slurm_list_iterator_destroy(it);
}

// Whether slurmctld sends its accounting to slurmdbd (one RPC, at start).
bool accounting_through_slurmdbd(std::string& why_not) {
  slurm_conf_t* conf = nullptr;
  if (slurm_load_ctl_conf(0, &conf) != SLURM_SUCCESS || !conf) {
    why_not = std::string("slurmctld's configuration not readable: ") + slurm_strerror(slurm_get_errno());
    return false;
  }
  const std::string type = conf->accounting_storage_type ? conf->accounting_storage_type : "";
  slurm_free_ctl_conf(conf);
  if (type == "accounting_storage/slurmdbd") return true;
  why_not = "not configured (AccountingStorageType=" + (type.empty() ? std::string("none") : type) + ")";
  return false;
}

}  // namespace

std::optional<DaemonReading> read_controller_stats(std::string& error) {
  stats_info_request_msg_t request{};
  request.command_id = STAT_COMMAND_GET;  // never STAT_COMMAND_RESET: that is the admin's sdiag -r
  stats_info_response_msg_t* stats = nullptr;
  if (slurm_get_statistics(&stats, &request) != SLURM_SUCCESS || !stats) {
    error = std::string("slurm_get_statistics: ") + slurm_strerror(slurm_get_errno());
    return std::nullopt;
  }
  DaemonReading r;
  r.t_ns = now_ns();
  r.since_s = stats->req_time_start;
  for (std::uint32_t i = 0; i < stats->rpc_type_size; ++i)
    r.types[stats->rpc_type_id[i]] = {stats->rpc_type_cnt[i], stats->rpc_type_time[i]};
  for (std::uint32_t i = 0; i < stats->rpc_user_size; ++i) {
    RpcCounter& user = r.users[stats->rpc_user_id[i]];
    user.count += stats->rpc_user_cnt[i];
    user.time_us += stats->rpc_user_time[i];
  }
  double pending = 0;
  for (std::uint32_t i = 0; i < stats->rpc_queue_type_count; ++i) pending += stats->rpc_queue_count[i];
  auto& g = r.gauges;
  g["server_threads"] = stats->server_thread_count;
  g["agent_queue_size"] = stats->agent_queue_size;
  g["agent_count"] = stats->agent_count;
  g["agent_threads"] = stats->agent_thread_count;
  g["dbd_agent_queue_size"] = stats->dbd_agent_queue_size;
  g["pending_rpcs"] = pending;
  g["jobs_pending"] = stats->jobs_pending;
  g["jobs_running"] = stats->jobs_running;
  g["schedule_last_cycle_s"] = seconds_of_us(stats->schedule_cycle_last);
  g["schedule_max_cycle_s"] = seconds_of_us(stats->schedule_cycle_max);
  g["schedule_mean_cycle_s"] =
      stats->schedule_cycle_counter ? seconds_of_us(static_cast<double>(stats->schedule_cycle_sum) / stats->schedule_cycle_counter) : 0;
  g["schedule_mean_depth"] =
      stats->schedule_cycle_counter ? static_cast<double>(stats->schedule_cycle_depth) / stats->schedule_cycle_counter : 0;
  g["schedule_queue_length"] = stats->schedule_queue_len;
  g["backfill_active"] = stats->bf_active ? 1 : 0;
  g["backfill_last_cycle_s"] = seconds_of_us(stats->bf_cycle_last);
  g["backfill_max_cycle_s"] = seconds_of_us(stats->bf_cycle_max);
  g["backfill_mean_cycle_s"] =
      stats->bf_cycle_counter ? seconds_of_us(static_cast<double>(stats->bf_cycle_sum) / stats->bf_cycle_counter) : 0;
  g["backfill_last_depth"] = stats->bf_last_depth;
  g["backfill_mean_depth"] = stats->bf_cycle_counter ? static_cast<double>(stats->bf_depth_sum) / stats->bf_cycle_counter : 0;
  g["backfill_queue_length"] = stats->bf_queue_len;
  g["backfill_last_cycle_time"] = static_cast<double>(stats->bf_when_last_cycle);
  auto& c = r.counters;
  c["jobs_submitted"] = stats->jobs_submitted;
  c["jobs_started"] = stats->jobs_started;
  c["jobs_completed"] = stats->jobs_completed;
  c["jobs_canceled"] = stats->jobs_canceled;
  c["jobs_failed"] = stats->jobs_failed;
  c["schedule_cycles"] = stats->schedule_cycle_counter;
  c["backfill_cycles"] = stats->bf_cycle_counter;
  c["backfilled_jobs"] = stats->bf_last_backfilled_jobs;
  slurm_free_stats_response_msg(stats);
  return r;
}

std::optional<DaemonReading> read_dbd_stats(std::string& error) {
  std::uint16_t flags = 0;
  void* connection = slurmdb_connection_get(&flags);
  if (!connection) {
    error = std::string("slurmdbd not reachable: ") + slurm_strerror(slurm_get_errno());
    return std::nullopt;
  }
  slurmdb_stats_rec_t* stats = nullptr;
  const int rc = slurmdb_get_stats(connection, &stats);
  std::optional<DaemonReading> out;
  if (rc != SLURM_SUCCESS || !stats) {
    error = std::string("slurmdb_get_stats: ") + slurm_strerror(rc == SLURM_SUCCESS ? slurm_get_errno() : rc);
  } else {
    DaemonReading r;
    r.t_ns = now_ns();
    r.since_s = stats->time_start;
    add_rpc_list(stats->rpc_list, r.types);
    add_rpc_list(stats->user_list, r.users);
    if (const slurmdb_rollup_stats_t* rollup = stats->dbd_rollup_stats) {
      r.counters["rollups_hour"] = rollup->count[DBD_ROLLUP_HOUR];
      r.gauges["rollup_hour_last_s"] = seconds_of_us(static_cast<double>(rollup->time_last[DBD_ROLLUP_HOUR]));
      r.gauges["rollup_hour_max_s"] = seconds_of_us(static_cast<double>(rollup->time_max[DBD_ROLLUP_HOUR]));
    }
    out = std::move(r);
  }
  if (stats) slurmdb_destroy_stats_rec(stats);
  slurmdb_connection_close(&connection);
  return out;
}

SchedulerCollector::SchedulerCollector(const config::Scheduler& settings, std::string cluster, history::Store* store,
                                       Log& log)
    : settings_(settings), cluster_(std::move(cluster)), store_(store), log_(log),
      controller_("slurmctld", controller_rpc_name, [](std::uint32_t uid) { return user_name(uid); }),
      dbd_("slurmdbd", dbd_rpc_name, [](std::uint32_t uid) { return user_name(uid); }) {
  if (!settings_.slurmdbd) {
    dbd_status_ = "disabled (scheduler.slurmdbd: false)";
  } else {
    ++controller_rpcs_;
    std::string why_not;
    dbd_configured_ = accounting_through_slurmdbd(why_not);
    dbd_status_ = dbd_configured_ ? "ok" : why_not;
  }
  if (!dbd_configured_) log_.info("scheduler statistics: slurmdbd's are not read: " + dbd_status_);
}

void SchedulerCollector::collect_once() {
  const auto started = std::chrono::steady_clock::now();
  auto view = std::make_shared<SchedulerView>();
  view->cluster = cluster_;
  view->collected_ns = now_ns();
  view->interval_s = settings_.interval_s;
  ++collections_;
  ++controller_rpcs_;
  if (auto reading = read_controller_stats(view->controller_error)) {
    view->controller = controller_.update(*reading);
  } else {
    ++errors_;
    log_.once("scheduler:ctld", "scheduler statistics: " + view->controller_error);
  }
  view->dbd_status = dbd_status_;
  if (dbd_configured_ && dbd_skip_ > 0) {
    // slurmdbd failed lately: retried after 1, 2, 4, ... 16 intervals, not hammered (each
    // failed connection also prints libslurm's own error lines).
    --dbd_skip_;
    view->dbd_status = dbd_last_error_ + " (retrying)";
  } else if (dbd_configured_) {
    dbd_rpcs_ += 3;  // persistent connection, statistics, close
    std::string error;
    if (auto reading = read_dbd_stats(error)) {
      view->dbd = dbd_.update(*reading);
      view->dbd_status = "ok";
      dbd_backoff_ = 0;
    } else {
      ++errors_;
      view->dbd_status = dbd_last_error_ = error;
      dbd_backoff_ = dbd_backoff_ ? std::min(16, dbd_backoff_ * 2) : 1;
      dbd_skip_ = dbd_backoff_;
      log_.once("scheduler:dbd", "scheduler statistics: " + error);
    }
  }
  view->collections = collections_;
  view->errors = errors_;
  view->controller_rpcs = controller_rpcs_;
  view->dbd_rpcs = dbd_rpcs_;
  if (store_) store_scheduler_view(*store_, *view);
  view->last_cost_us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started).count();
  std::lock_guard lock(mutex_);
  latest_ = std::move(view);
}

std::shared_ptr<const SchedulerView> SchedulerCollector::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

}  // namespace hpcmon::head
