// Rules about how ranks communicate: collective-dominated time, small-message storms,
// barrier overuse, I/O-bound ranks (MPI-IO). Each names the ranks over its threshold; the
// headline quantity is the largest rank's.
#include <algorithm>
#include <map>

#include "rules.hpp"

namespace hpcmon::diagnosis {
namespace {

// The rank of `ranks` with the largest `figure`.
template <class Figure>
const RankProfile* largest(const JobProfile& profile, const std::vector<std::int32_t>& ranks, Figure figure) {
  const RankProfile* best = nullptr;
  for (std::int32_t rank : ranks) {
    const RankProfile* r = profile.find(rank);
    if (r && (!best || figure(*r) > figure(*best))) best = r;
  }
  return best;
}

template <class Keep>
std::vector<std::string> functions_of(const RankProfile& r, Keep keep) {
  std::vector<const CallProfile*> calls;
  for (const auto& c : r.calls)
    if (keep(c)) calls.push_back(&c);
  std::stable_sort(calls.begin(), calls.end(), [](auto* a, auto* b) { return a->row->total_s > b->row->total_s; });
  std::vector<std::string> out;
  for (auto* c : calls) out.push_back(c->row->function);
  return out;
}

// "rank 3 spends" / "ranks 0-3 spend".
std::string ranks_verb(const std::vector<std::int32_t>& ranks, const char* one, const char* many) {
  return ranks_text(ranks) + " " + (ranks.size() == 1 ? one : many);
}

std::string first_functions(const std::vector<std::string>& functions) {
  std::string out;
  for (std::size_t i = 0; i < functions.size() && i < 3; ++i) out += (i ? ", " : "") + functions[i];
  return out;
}

void collective_dominated(const RuleInput& in, Analysis& out) {
  const auto& t = in.t;
  const auto ranks = ranks_where(in.profile, [&](const RankProfile& r) {
    return r.collective_transfer_s >= std::max(t.min_finding_s, t.collective_fraction * r.wall_s);
  });
  if (ranks.empty()) return;
  const RankProfile* top = largest(in.profile, ranks, [](const RankProfile& r) { return r.collective_transfer_s; });
  const auto functions = functions_of(*top, [](const CallProfile& c) { return c.family == "collective"; });
  std::uint64_t calls = 0, bytes = 0;
  for (const auto& c : top->calls)
    if (c.family == "collective") calls += c.row->calls, bytes += c.row->bytes;
  Finding f;
  f.rule = "collective_dominated";
  f.severity = "warning";
  f.title = "Collective-dominated: " + ranks_verb(ranks, "spends", "spend") + " up to " + seconds_text(top->collective_transfer_s) +
            " (" + percent_text(top->collective_transfer_s / std::max(top->wall_s, 1e-12)) +
            " of the wall time) in collectives, not counting waits, mostly " + first_functions(functions);
  f.ranks = ranks;
  f.calls = functions;
  f.quantity = top->collective_transfer_s;
  f.unit = "s";
  f.figures = {{"collective_calls", static_cast<double>(calls)},
               {"collective_bytes", static_cast<double>(bytes)},
               {"collective_wait_s", top->collective_wait_s + top->rooted_wait_s}};
  f.evidence.push_back(ranks_text({top->rank}) + ": " + count_text(static_cast<double>(calls)) + " collective calls, " +
                       bytes_text(static_cast<double>(bytes)) + ", " + seconds_text(top->collective_transfer_s) +
                       " beyond waiting for other ranks");
  f.suggestion =
      "Call collectives less often with more data each (aggregate reductions), overlap them with computation "
      "(MPI_Iallreduce ... MPI_Wait), use smaller communicators where only some ranks need the result, or replace "
      "all-to-all patterns by neighbourhood exchanges.";
  out.findings.push_back(std::move(f));
}

void small_message_storm(const RuleInput& in, Analysis& out) {
  const auto& t = in.t;
  const auto ranks = ranks_where(in.profile, [&](const RankProfile& r) {
    return r.small_sends >= static_cast<std::uint64_t>(t.small_message_min_count) && r.wall_s > 0 &&
           static_cast<double>(r.small_sends) / r.wall_s >= t.small_message_rate;
  });
  if (ranks.empty()) return;
  const RankProfile* top = largest(in.profile, ranks, [](const RankProfile& r) { return double(r.small_sends); });
  Finding f;
  f.rule = "small_message_storm";
  f.severity = "warning";
  f.title = "Small-message storm: " + ranks_verb(ranks, "sends", "send") + " up to " +
            count_text(static_cast<double>(top->small_sends)) + " messages below " +
            bytes_text(static_cast<double>(t.small_message_bytes)) + " (" +
            count_text(static_cast<double>(top->small_sends) / top->wall_s) + " per second)";
  f.ranks = ranks;
  f.calls = functions_of(*top, [](const CallProfile& c) {
    return c.family == "point-to-point" && c.row->function.find("end") != std::string::npos;
  });
  f.quantity = static_cast<double>(top->small_sends);
  f.unit = "messages";
  f.figures = {{"rate_per_s", static_cast<double>(top->small_sends) / top->wall_s}, {"send_time_s", top->small_send_s}};
  std::vector<const record::TrafficRow*> peers;
  for (const auto& row : in.rec.traffic)
    if (row.src == top->rank && row.messages > 0) peers.push_back(&row);
  std::stable_sort(peers.begin(), peers.end(), [](auto* a, auto* b) { return a->messages > b->messages; });
  for (std::size_t i = 0; i < peers.size() && i < 3; ++i)
    f.evidence.push_back(ranks_text({top->rank}) + " sent " + count_text(double(peers[i]->messages)) +
                         " messages to " + (peers[i]->dst_world ? "another world's " : std::string()) +
                         ranks_text({peers[i]->dst}) + ", " +
                         bytes_text(double(peers[i]->bytes) / double(peers[i]->messages)) + " each on average");
  f.evidence.push_back(ranks_text({top->rank}) + " spent " + seconds_text(top->small_send_s) +
                       " in those sends; each message pays the full latency");
  f.suggestion =
      "Aggregate small messages into fewer large ones (pack into a buffer or a derived datatype), send once per "
      "peer per step, or use persistent requests or neighbourhood collectives.";
  out.findings.push_back(std::move(f));
}

void barrier_overuse(const RuleInput& in, Analysis& out) {
  const auto& t = in.t;
  const auto ranks = ranks_where(in.profile, [&](const RankProfile& r) {
    return r.barriers >= static_cast<std::uint64_t>(t.barrier_min_calls) && r.wall_s > 0 &&
           static_cast<double>(r.barriers) / r.wall_s >= t.barrier_rate;
  });
  if (ranks.empty()) return;
  const RankProfile* top = largest(in.profile, ranks, [](const RankProfile& r) { return double(r.barriers); });
  Finding f;
  f.rule = "barrier_overuse";
  f.severity = "warning";
  f.title = "Barrier overuse: " + ranks_verb(ranks, "calls", "call") + " MPI_Barrier up to " +
            count_text(static_cast<double>(top->barriers)) + " times (" +
            count_text(static_cast<double>(top->barriers) / top->wall_s) + " per second), " +
            seconds_text(top->barrier_s) + " in barriers";
  f.ranks = ranks;
  f.calls = {"MPI_Barrier"};
  f.quantity = static_cast<double>(top->barriers);
  f.unit = "calls";
  f.figures = {{"rate_per_s", static_cast<double>(top->barriers) / top->wall_s}, {"barrier_s", top->barrier_s}};
  f.evidence.push_back(ranks_text({top->rank}) + ": " + count_text(double(top->barriers)) + " barriers in " +
                       seconds_text(top->wall_s) + " of wall time");
  f.suggestion =
      "Remove barriers that order nothing: MPI's point-to-point and collective calls already synchronise what "
      "they exchange. Keep barriers for timing or I/O phases only.";
  out.findings.push_back(std::move(f));
}

void io_bound(const RuleInput& in, Analysis& out) {
  const auto& t = in.t;
  const auto ranks = ranks_where(in.profile, [&](const RankProfile& r) {
    return r.io_s >= std::max(t.min_finding_s, t.io_fraction * r.wall_s);
  });
  if (ranks.empty()) return;
  const RankProfile* top = largest(in.profile, ranks, [](const RankProfile& r) { return r.io_s; });
  Finding f;
  f.rule = "io_bound";
  f.severity = "warning";
  f.title = "I/O-bound: " + ranks_verb(ranks, "spends", "spend") + " up to " + seconds_text(top->io_s) + " (" +
            percent_text(top->io_s / std::max(top->wall_s, 1e-12)) + " of the wall time) in MPI-IO, " +
            bytes_text(static_cast<double>(top->io_bytes));
  f.ranks = ranks;
  f.calls = functions_of(*top, [](const CallProfile& c) { return c.family == "file-io"; });
  f.quantity = top->io_s;
  f.unit = "s";
  f.figures = {{"io_bytes", static_cast<double>(top->io_bytes)},
               {"io_bytes_per_s", top->io_s > 0 ? double(top->io_bytes) / top->io_s : 0}};
  f.evidence.push_back(ranks_text({top->rank}) + " moved " + bytes_text(double(top->io_bytes)) + " in " +
                       seconds_text(top->io_s) + " through " + first_functions(f.calls));
  if (ranks.size() < in.profile.ranks.size())
    f.evidence.push_back("only " + ranks_text(ranks) + " of " + count_text(double(in.profile.ranks.size())) +
                         " ranks do this I/O: the others wait for it");
  f.suggestion =
      "Spread I/O over the ranks with collective MPI-IO (MPI_File_write_all) instead of funnelling it through few "
      "ranks, write less often or in larger blocks, sync only at checkpoints, and overlap I/O with computation "
      "(MPI_File_iwrite).";
  out.findings.push_back(std::move(f));
}

}  // namespace

void communication_rules(const RuleInput& in, Analysis& out) {
  if (!in.profile.has_mpi_rows) {
    out.not_evaluated.push_back(
        "collective_dominated, small_message_storm, barrier_overuse, io_bound: no per-function MPI rows");
    return;
  }
  collective_dominated(in, out);
  small_message_storm(in, out);
  barrier_overuse(in, out);
  io_bound(in, out);
}

}  // namespace hpcmon::diagnosis
