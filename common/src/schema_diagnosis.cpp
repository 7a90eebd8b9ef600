// Schema rows of the `diagnosis` section: the thresholds of the job diagnosis (diagnosis/,
// docs/diagnosis.md). Kept apart from schema.cpp so the section has one home.
#include "hpcmon/config_schema.hpp"
#include "field_builders.hpp"

namespace hpcmon::config {
namespace {

template <class T>
Field diagnosis_field(std::string_view key, ValueType type, T Diagnosis::*member, double min,
                      double max, std::string_view doc) {
    return detail::ranged(detail::section_field(key, type, &Config::diagnosis, member, doc), min, max);
}

Field fraction(std::string_view key, double Diagnosis::*member, std::string_view doc) {
    return diagnosis_field(key, ValueType::number, member, 0, 1, doc);
}

}  // namespace

Section make_diagnosis_section() {
    using T = ValueType;
    return {"diagnosis",
            "Thresholds of the job diagnosis shown by `hpcmon report` and the API "
            "(docs/diagnosis.md): when a rule reports a finding.",
            {diagnosis_field("min_finding_s", T::number, &Diagnosis::min_finding_s, 0, 86400,
                             "Effects smaller than this many seconds are never reported (the "
                             "machine's noise)."),
             fraction("load_balance_min", &Diagnosis::load_balance_min,
                      "POP load balance (mean / max useful time) below this: load imbalance."),
             fraction("wait_fraction", &Diagnosis::wait_fraction,
                      "Waiting in receives or rooted collectives, as a fraction of a rank's "
                      "wall time, above this: late sender or serialisation."),
             diagnosis_field("wait_per_call_min_s", T::number, &Diagnosis::wait_per_call_min_s, 0,
                             3600,
                             "Mean wait per waiting call below this many seconds: many tiny "
                             "waits (a message storm), not a late sender."),
             fraction("collective_fraction", &Diagnosis::collective_fraction,
                      "Time in collectives beyond waiting, as a fraction of a rank's wall "
                      "time, above this: collective-dominated."),
             diagnosis_field("small_message_bytes", T::integer, &Diagnosis::small_message_bytes,
                             1, 1LL << 40, "Messages below this many bytes are small."),
             diagnosis_field("small_message_min_count", T::integer,
                             &Diagnosis::small_message_min_count, 1, 1e15,
                             "Fewest small messages sent by a rank for a message storm."),
             diagnosis_field("small_message_rate", T::number, &Diagnosis::small_message_rate, 0,
                             1e12, "Small messages sent per second of wall time above this: "
                                   "a message storm."),
             diagnosis_field("barrier_min_calls", T::integer, &Diagnosis::barrier_min_calls, 1,
                             1e15, "Fewest MPI_Barrier calls of a rank for barrier overuse."),
             diagnosis_field("barrier_rate", T::number, &Diagnosis::barrier_rate, 0, 1e12,
                             "Barriers per second of wall time above this: barrier overuse."),
             diagnosis_field("memory_growth_fraction", T::number,
                             &Diagnosis::memory_growth_fraction, 0, 1000,
                             "Resident memory growth over the run (or a rank's high-water above "
                             "the other ranks' median), relative to the base, above this: memory "
                             "growth."),
             diagnosis_field("memory_growth_min_bytes", T::integer,
                             &Diagnosis::memory_growth_min_bytes, 0, 1e18,
                             "Memory growth below this many bytes is never reported."),
             fraction("cpu_use_min", &Diagnosis::cpu_use_min,
                      "CPU time / wall time of a rank below this: low CPU use (sleeping, "
                      "blocked); every rank: an idle job."),
             fraction("io_fraction", &Diagnosis::io_fraction,
                      "Time in MPI-IO calls, as a fraction of a rank's wall time, above this: "
                      "I/O-bound."),
             fraction("cpu_request_use_min", &Diagnosis::cpu_request_use_min,
                      "CPU used / (allocated cores x wall time) below this: cores requested "
                      "far above use."),
             fraction("memory_request_use_min", &Diagnosis::memory_request_use_min,
                      "Memory high-water / requested memory below this: memory requested far "
                      "above use."),
             diagnosis_field("network_latency_s", T::number, &Diagnosis::network_latency_s, 0, 1,
                             "Per-message cost of the transfer model that separates transfer "
                             "from waiting (an upper bound: generous)."),
             diagnosis_field("network_bandwidth_bytes_per_s", T::number,
                             &Diagnosis::network_bandwidth_bytes_per_s, 1, 1e15,
                             "Bandwidth of the transfer model (a lower bound: modest)."),
             diagnosis_field("live_interval_s", T::number, &Diagnosis::live_interval_s, 0, 86400,
                             "Seconds between two evaluations of the running jobs' findings from the "
                             "agents' pushes by the head daemon (served live, and as job.finding for "
                             "alert rules). 0: no live evaluation.")},
            {}};
}

}  // namespace hpcmon::config
