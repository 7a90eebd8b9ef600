// The scheduler's RPC statistics in the head's API (docs/api.md, docs/scheduler.md):
// GET /api/v1/scheduler, their /metrics lines, and the samples of the built-in scheduler
// alert rules. The collection itself is scheduler_stats.hpp; its history series are served
// by GET /api/v1/metrics/history?metric=scheduler.
#pragma once

#include <string>
#include <vector>

#include "hpcmon/alerts/engine.hpp"
#include "hpcmon/head/http.hpp"
#include "hpcmon/head/scheduler_stats.hpp"

namespace hpcmon::head {

struct Services;

// GET /api/v1/scheduler: 503 without Slurm, with scheduler.enabled false, or before the first read.
void register_scheduler_routes(Router& router, Services& services);
// The hpcmon_scheduler_* lines of /metrics ("" without a collector or a read).
std::string scheduler_prometheus_text(const Services& services);
// scheduler.rpc_latency_s, scheduler.user_rpc_share, scheduler.agent_queue_size,
// scheduler.backfill_last_cycle_s of the latest read (docs/alerting.md).
std::vector<alerts::Sample> scheduler_alert_samples(const Services& services);

}  // namespace hpcmon::head
