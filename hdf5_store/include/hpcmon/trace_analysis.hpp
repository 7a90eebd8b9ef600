// Trace analysis: what a record's /trace says about waiting (docs/tracing.md, "Analysis"):
// latency histograms per MPI function, the wait-state of each rank for each peer, and the
// rank dependency map (who waits for whom, weighted by the time waited). Owned by the store
// so `hpcmon trace summary`, `hpcmon report` and the head's API compute the same figures;
// it only reads a TraceReader and never writes a record.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hpcmon/trace.hpp"

namespace hpcmon::store {

inline constexpr int kLatencyBins = 48;  // bin 0: 0 ns; bin b: [2^(b-1), 2^b) ns

struct FunctionLatency {
  std::string function;
  std::uint64_t calls = 0;
  std::int64_t total_ns = 0, max_ns = 0;
  std::array<std::uint64_t, kLatencyBins> hist{};
};

// `waiter` spent `wait_ns` blocked on `waited_for`: a blocking receive entered before the
// matching send started (late sender), or a collective on MPI_COMM_WORLD entered before the
// last rank arrived (the last arriver is waited for).
struct WaitEdge {
  std::int32_t waiter = 0, waited_for = 0;
  std::string kind;  // "late_sender" or "collective"
  std::uint64_t count = 0;
  std::int64_t wait_ns = 0;
};

struct TraceSummary {
  std::uint64_t events = 0, dropped = 0;
  std::uint32_t ranks = 0;
  std::uint64_t messages_matched = 0, receives_unmatched = 0;
  std::vector<FunctionLatency> functions;  // by total time, largest first
  std::vector<WaitEdge> waits;             // by wait time, largest first
  std::vector<std::int64_t> rank_wait_ns;  // per rank (index = rank): all its waits
};

int latency_bin(std::int64_t ns);
TraceSummary summarize_trace(const TraceReader& reader);
nlohmann::json trace_summary_json(const TraceSummary& s);
std::string trace_summary_text(const TraceSummary& s);
// The "Trace" section of `hpcmon report`: drops, the `top` longest waits (who waits for
// whom), and per function its calls, total, median bucket and max.
std::string trace_report_section(const TraceSummary& s, std::size_t top = 5);
// The histogram bucket holding the median call of `f` (its upper bound, ns).
std::int64_t median_bucket_ns(const FunctionLatency& f);

}  // namespace hpcmon::store
