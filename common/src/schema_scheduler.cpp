// Schema rows of the `scheduler` section: how often the head daemon reads slurmctld's and
// slurmdbd's RPC statistics, and the thresholds of the built-in scheduler alert rules
// (hpcmond/head/src/scheduler_stats.cpp, docs/scheduler.md).
#include "hpcmon/config_schema.hpp"
#include "field_builders.hpp"

namespace hpcmon::config {
namespace {

template <class T>
Field scheduler_field(std::string_view key, ValueType type, T Scheduler::*member, double min, double max,
                      std::string_view doc) {
    return detail::ranged(detail::section_field(key, type, &Config::scheduler, member, doc), min, max);
}

}  // namespace

Section make_scheduler_section() {
    using T = ValueType;
    Field enabled = detail::section_field("enabled", T::boolean, &Config::scheduler, &Scheduler::enabled,
                                          "Read the scheduler's RPC statistics (one RPC to slurmctld per interval).");
    Field slurmdbd = detail::section_field("slurmdbd", T::boolean, &Config::scheduler, &Scheduler::slurmdbd,
                                           "Also read slurmdbd's statistics when Slurm accounts through slurmdbd "
                                           "(three RPCs to slurmdbd per interval: connect, statistics, close).");
    return {"scheduler",
            "The scheduler's RPC statistics in the head daemon (docs/scheduler.md): what sdiag and "
            "`sacctmgr show stats` show, read through libslurm, and the built-in scheduler alert rules.",
            {enabled,
             scheduler_field("interval_s", T::number, &Scheduler::interval_s, 1, 3600,
                             "Seconds between two reads of the statistics."),
             slurmdbd,
             scheduler_field("rpc_latency_max_s", T::number, &Scheduler::rpc_latency_max_s, 0, 3600,
                             "SchedulerRpcSlow: an RPC type's mean time per call over an interval above "
                             "this many seconds."),
             scheduler_field("agent_queue_max", T::integer, &Scheduler::agent_queue_max, 0, 1e9,
                             "SchedulerAgentQueueGrowing: slurmctld's agent queue above this many requests..."),
             scheduler_field("agent_queue_for_s", T::number, &Scheduler::agent_queue_for_s, 0, 86400,
                             "...for this many seconds."),
             scheduler_field("user_share_max", T::number, &Scheduler::user_share_max, 0, 1,
                             "SchedulerUserFlooding: one user's share of a daemon's RPCs over an interval "
                             "above this fraction..."),
             scheduler_field("user_rate_min", T::number, &Scheduler::user_rate_min, 0, 1e9,
                             "...while that user sends at least this many RPCs per second (one user alone "
                             "on a quiet cluster is not flooding it)."),
             scheduler_field("backfill_cycle_max_s", T::number, &Scheduler::backfill_cycle_max_s, 0, 86400,
                             "SchedulerBackfillSlow: the last backfill cycle took longer than this many "
                             "seconds."),
             scheduler_field("alert_for_s", T::number, &Scheduler::alert_for_s, 0, 86400,
                             "Seconds the slow-RPC, flooding and backfill conditions must hold before "
                             "their alert fires.")},
            {}};
}

}  // namespace hpcmon::config
