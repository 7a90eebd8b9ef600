#include "hpcmon/trace_analysis.hpp"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <tuple>

namespace hpcmon::store {
namespace {

constexpr std::uint64_t kSlice = 65536;

bool is_send(const std::string& f) {
  return f == "MPI_Send" || f == "MPI_Ssend" || f == "MPI_Bsend" || f == "MPI_Rsend" || f == "MPI_Isend" ||
         f == "MPI_Issend" || f == "MPI_Ibsend" || f == "MPI_Irsend";
}
// Blocking collectives whose every rank must arrive before any can leave.
bool is_synchronizing(const std::string& f) {
  return f == "MPI_Barrier" || f == "MPI_Allreduce" || f == "MPI_Alltoall" || f == "MPI_Alltoallv" ||
         f == "MPI_Allgather" || f == "MPI_Allgatherv" || f == "MPI_Reduce_scatter" ||
         f == "MPI_Reduce_scatter_block";
}

std::string ms(std::int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f ms", double(ns) * 1e-6);
  return buf;
}

}  // namespace

int latency_bin(std::int64_t ns) {
  if (ns <= 0) return 0;
  const int k = 64 - __builtin_clzll(std::uint64_t(ns));
  return std::min(k, kLatencyBins - 1);
}

TraceSummary summarize_trace(const TraceReader& reader) {
  const TraceInfo& info = reader.info();
  TraceSummary out;
  out.events = info.events;
  out.dropped = info.dropped;
  std::map<std::uint16_t, FunctionLatency> fns;
  std::map<std::tuple<std::int32_t, std::int32_t, std::string>, WaitEdge> edges;
  using Key = std::tuple<std::int32_t, std::int32_t, std::int32_t>;  // source, destination, tag
  std::map<Key, std::deque<std::int64_t>> send_starts;                // sends not yet matched
  struct PendingRecv {
    std::int32_t rank;
    std::int64_t start;
  };
  std::map<Key, std::deque<PendingRecv>> recvs;  // receives seen before their send (lower rank)
  // k-th synchronizing collective of each rank on MPI_COMM_WORLD: (rank, entry) of every rank.
  std::map<std::pair<std::uint16_t, std::uint64_t>, std::vector<std::pair<std::int32_t, std::int64_t>>> colls;
  std::map<std::pair<std::int32_t, std::uint16_t>, std::uint64_t> coll_seq;
  std::int32_t max_rank = -1;
  auto add_wait = [&](std::int32_t waiter, std::int32_t waited_for, const char* kind, std::int64_t ns) {
    WaitEdge& e = edges[{waiter, waited_for, kind}];
    e.waiter = waiter;
    e.waited_for = waited_for;
    e.kind = kind;
    ++e.count;
    e.wait_ns += std::max<std::int64_t>(ns, 0);
  };
  auto late_sender = [&](std::int32_t receiver, std::int64_t recv_start, std::int32_t sender, std::int64_t send_start) {
    ++out.messages_matched;
    if (send_start > recv_start) add_wait(receiver, sender, "late_sender", send_start - recv_start);
  };
  for (std::uint64_t at = 0; at < info.events; at += kSlice) {
    for (const record::TraceEvent& e : reader.read(at, kSlice)) {
      max_rank = std::max(max_rank, e.rank);
      const std::string name = e.function < info.function_names.size() ? info.function_names[e.function] : "MPI_?";
      FunctionLatency& f = fns[e.function];
      f.function = name;
      const std::int64_t d = std::max<std::int64_t>(e.end_ns - e.start_ns, 0);
      ++f.calls;
      f.total_ns += d;
      f.max_ns = std::max(f.max_ns, d);
      ++f.hist[std::size_t(latency_bin(d))];
      if (e.comm != 0) continue;
      if (e.peer >= 0 && is_send(name)) {
        auto& waiting = recvs[{e.rank, e.peer, e.tag}];
        if (!waiting.empty()) {
          late_sender(waiting.front().rank, waiting.front().start, e.rank, e.start_ns);
          waiting.pop_front();
        } else {
          send_starts[{e.rank, e.peer, e.tag}].push_back(e.start_ns);
        }
      } else if (e.peer >= 0 && name == "MPI_Recv") {
        auto& waiting = send_starts[{e.peer, e.rank, e.tag}];
        if (!waiting.empty()) {
          late_sender(e.rank, e.start_ns, e.peer, waiting.front());
          waiting.pop_front();
        } else {
          recvs[{e.peer, e.rank, e.tag}].push_back({e.rank, e.start_ns});
        }
      } else if (is_synchronizing(name)) {
        const std::uint64_t k = coll_seq[{e.rank, e.function}]++;
        colls[{e.function, k}].push_back({e.rank, e.start_ns});
      }
    }
  }
  for (const auto& [key, q] : recvs) out.receives_unmatched += q.size();
  for (const auto& [key, arrivals] : colls) {
    if (arrivals.size() < 2) continue;
    const auto last = *std::max_element(arrivals.begin(), arrivals.end(),
                                        [](const auto& a, const auto& b) { return a.second < b.second; });
    for (const auto& [rank, start] : arrivals)
      if (rank != last.first) add_wait(rank, last.first, "collective", last.second - start);
  }
  out.ranks = std::uint32_t(max_rank + 1);
  out.rank_wait_ns.assign(out.ranks, 0);
  for (auto& [key, e] : edges) {
    out.rank_wait_ns[std::size_t(e.waiter)] += e.wait_ns;
    out.waits.push_back(e);
  }
  std::sort(out.waits.begin(), out.waits.end(), [](const WaitEdge& a, const WaitEdge& b) { return a.wait_ns > b.wait_ns; });
  for (auto& [id, f] : fns) out.functions.push_back(f);
  std::sort(out.functions.begin(), out.functions.end(),
            [](const FunctionLatency& a, const FunctionLatency& b) { return a.total_ns > b.total_ns; });
  return out;
}

nlohmann::json trace_summary_json(const TraceSummary& s) {
  nlohmann::json fns = nlohmann::json::array(), waits = nlohmann::json::array();
  for (const auto& f : s.functions) {
    nlohmann::json hist = nlohmann::json::array();
    for (int b = 0; b < kLatencyBins; ++b)
      if (f.hist[std::size_t(b)])
        hist.push_back({{"ge_ns", b == 0 ? 0 : std::int64_t(1) << (b - 1)},
                        {"lt_ns", b == 0 ? 1 : std::int64_t(1) << b},
                        {"count", f.hist[std::size_t(b)]}});
    fns.push_back({{"function", f.function}, {"calls", f.calls}, {"total_ns", f.total_ns}, {"max_ns", f.max_ns},
                   {"histogram_log2_ns", hist}});
  }
  for (const auto& w : s.waits)
    waits.push_back({{"waiter", w.waiter}, {"waited_for", w.waited_for}, {"kind", w.kind}, {"count", w.count},
                     {"wait_ns", w.wait_ns}});
  return {{"events", s.events},   {"dropped", s.dropped},
          {"ranks", s.ranks},     {"messages_matched", s.messages_matched},
          {"receives_unmatched", s.receives_unmatched},
          {"functions", fns},     {"waits", waits},
          {"rank_wait_ns", s.rank_wait_ns}};
}

std::string trace_summary_text(const TraceSummary& s) {
  std::string out = "Trace: " + std::to_string(s.events) + " events of " + std::to_string(s.ranks) + " ranks";
  if (s.dropped) out += " (" + std::to_string(s.dropped) + " dropped: the buffers filled up)";
  out += "; " + std::to_string(s.messages_matched) + " messages matched\n\nLatency by function (log2 buckets):\n";
  char line[256];
  for (const auto& f : s.functions) {
    std::snprintf(line, sizeof line, "  %-24s %10llu calls  total %s  max %s\n", f.function.c_str(),
                  static_cast<unsigned long long>(f.calls), ms(f.total_ns).c_str(), ms(f.max_ns).c_str());
    out += line;
    for (int b = 0; b < kLatencyBins; ++b) {
      if (!f.hist[std::size_t(b)]) continue;
      std::snprintf(line, sizeof line, "      < %-12lld ns %10llu\n", static_cast<long long>(std::int64_t(1) << b),
                    static_cast<unsigned long long>(f.hist[std::size_t(b)]));
      out += line;
    }
  }
  out += "\nWho waits for whom (by time waited):\n";
  if (s.waits.empty()) out += "  nobody waited\n";
  for (const auto& w : s.waits) {
    std::snprintf(line, sizeof line, "  rank %d waits for rank %d: %s over %llu %s\n", w.waiter, w.waited_for,
                  ms(w.wait_ns).c_str(), static_cast<unsigned long long>(w.count),
                  w.kind == "late_sender" ? "late sends" : "collectives");
    out += line;
  }
  out += "\nWait per rank:\n";
  for (std::size_t r = 0; r < s.rank_wait_ns.size(); ++r) out += "  rank " + std::to_string(r) + ": " + ms(s.rank_wait_ns[r]) + "\n";
  return out;
}

std::int64_t median_bucket_ns(const FunctionLatency& f) {
  std::uint64_t seen = 0;
  for (int b = 0; b < kLatencyBins; ++b) {
    seen += f.hist[std::size_t(b)];
    if (f.calls && seen * 2 >= f.calls) return b == 0 ? 1 : std::int64_t(1) << b;
  }
  return 0;
}

std::string trace_report_section(const TraceSummary& s, std::size_t top) {
  std::string out = "Trace (docs/tracing.md): " + std::to_string(s.events) + " MPI calls of " +
                    std::to_string(s.ranks) + " ranks, ";
  out += s.dropped ? std::to_string(s.dropped) + " dropped (the trace buffers filled up: the waits are partial)\n"
                   : "none dropped\n";
  char line[256];
  out += "  Top waits (who waits for whom):\n";
  if (s.waits.empty()) out += "    nobody waited\n";
  for (std::size_t i = 0; i < s.waits.size() && i < top; ++i) {
    const WaitEdge& w = s.waits[i];
    std::snprintf(line, sizeof line, "    rank %d waits for rank %d: %s over %llu %s\n", w.waiter, w.waited_for,
                  ms(w.wait_ns).c_str(), static_cast<unsigned long long>(w.count),
                  w.kind == "late_sender" ? "late sends" : "collectives");
    out += line;
  }
  if (s.waits.size() > top) out += "    ... " + std::to_string(s.waits.size() - top) + " more (hpcmon trace summary)\n";
  out += "  Latency per function:\n";
  for (const auto& f : s.functions) {
    std::snprintf(line, sizeof line, "    %-24s %10llu calls  total %s  median < %lld ns  max %s\n", f.function.c_str(),
                  static_cast<unsigned long long>(f.calls), ms(f.total_ns).c_str(),
                  static_cast<long long>(median_bucket_ns(f)), ms(f.max_ns).c_str());
    out += line;
  }
  return out;
}

}  // namespace hpcmon::store
