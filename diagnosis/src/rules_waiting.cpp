// Rules about ranks waiting for each other: serialisation (waiting in a broadcast or scatter
// for one rank's work), late senders (waiting in receives), load imbalance (uneven useful
// time, waited for in the other collectives). One cause is reported once: an imbalance whose
// slowest rank is already named as a late sender or a serialising rank is not repeated.
#include <algorithm>
#include <map>
#include <set>

#include "rules.hpp"

namespace hpcmon::diagnosis {
namespace {

double useful_median_without(const JobProfile& profile, std::int32_t rank) {
  std::vector<double> others;
  for (const auto& r : profile.ranks)
    if (r.rank != rank) others.push_back(r.useful_s);
  return median(others);
}

// MPI functions of `ranks` whose waiting passes `keep`, largest waiting first, with the time.
template <class Keep>
std::vector<std::pair<std::string, double>> waited_in(const JobProfile& profile, const std::vector<std::int32_t>& ranks,
                                                      Keep keep) {
  std::map<std::string, double> by_function;
  for (std::int32_t rank : ranks)
    if (const RankProfile* r = profile.find(rank))
      for (const auto& call : r->calls)
        if (call.wait_s > 0 && keep(call)) by_function[call.row->function] += call.wait_s;
  std::vector<std::pair<std::string, double>> out(by_function.begin(), by_function.end());
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

std::vector<std::string> names(const std::vector<std::pair<std::string, double>>& functions) {
  std::vector<std::string> out;
  for (const auto& f : functions) out.push_back(f.first);
  return out;
}

// "MPI_Recv, MPI_Wait" (titles) or, with times, "MPI_Recv 0.400 s, MPI_Wait 0.010 s" (evidence).
std::string calls_text(const std::vector<std::pair<std::string, double>>& functions, bool with_times = true) {
  std::string out;
  for (std::size_t i = 0; i < functions.size() && i < 3; ++i)
    out += (i ? ", " : "") + functions[i].first + (with_times ? " " + seconds_text(functions[i].second) : "");
  return out.empty() ? "MPI" : out;
}

bool is_rooted(const CallProfile& call) {
  const auto& f = call.row->function;
  return f == "MPI_Bcast" || f == "MPI_Scatter" || f == "MPI_Scatterv";
}

bool is_receive_side(const CallProfile& call) {
  const auto& f = call.row->function;
  return call.family == "wait" ||
         (call.family == "point-to-point" && (f.find("recv") != std::string::npos || f.find("Recv") != std::string::npos ||
                                              f.find("robe") != std::string::npos));
}

void serialisation(const RuleInput& in, Analysis& out) {
  const auto& t = in.t;
  if (in.profile.ranks.size() < 2) return;
  const auto waiting = ranks_where(in.profile, [&](const RankProfile& r) {
    return r.rooted_wait_s >= std::max(t.min_finding_s, t.wait_fraction * r.wall_s);
  });
  if (waiting.empty()) return;
  const RankProfile* culprit = nullptr;
  for (const auto& r : in.profile.ranks)
    if (std::find(waiting.begin(), waiting.end(), r.rank) == waiting.end() && (!culprit || r.useful_s > culprit->useful_s))
      culprit = &r;
  if (!culprit) return;
  const double others = useful_median_without(in.profile, culprit->rank);
  const double excess = culprit->useful_s - others;
  if (excess < t.min_finding_s) return;
  double waited = 0;
  for (std::int32_t w : waiting) waited += in.profile.find(w)->rooted_wait_s;
  const auto functions = waited_in(in.profile, waiting, is_rooted);
  Finding f;
  f.rule = "serialisation";
  f.severity = "warning";
  f.title = "Serialisation on " + ranks_text({culprit->rank}) + ": it works alone for " + seconds_text(excess) +
            " while " + ranks_text(waiting) + " wait" + (waiting.size() == 1 ? "s" : "") + " for it in " +
            calls_text(functions, false);
  f.ranks = {culprit->rank};
  f.affected_ranks = waiting;
  f.calls = names(functions);
  f.quantity = excess;
  f.unit = "s";
  f.figures = {{"useful_s", culprit->useful_s}, {"others_useful_median_s", others}, {"waited_s", waited},
               {"load_balance", in.pop.load_balance}};
  f.evidence.push_back(ranks_text({culprit->rank}) + " spent " + seconds_text(culprit->useful_s) +
                       " outside MPI; the median of the other ranks " + seconds_text(others));
  for (std::int32_t w : waiting) {
    const RankProfile* r = in.profile.find(w);
    f.evidence.push_back(ranks_text({w}) + " waited " + seconds_text(r->rooted_wait_s) + " (" +
                         percent_text(r->rooted_wait_s / std::max(r->wall_s, 1e-12)) +
                         " of its wall time) in broadcasts or scatters");
    if (f.evidence.size() >= 6) break;
  }
  f.suggestion = "Parallelise what " + ranks_text({culprit->rank}) +
                 " does alone before the broadcast (input reading, setup): distribute it over the ranks, read "
                 "with MPI-IO, or overlap it with work the other ranks can do meanwhile.";
  out.findings.push_back(std::move(f));
}

void late_sender(const RuleInput& in, Analysis& out) {
  const auto& t = in.t;
  const auto waiting = ranks_where(in.profile, [&](const RankProfile& r) {
    return r.receive_wait_s >= std::max(t.min_finding_s, t.wait_fraction * r.wall_s) && r.receive_wait_calls > 0 &&
           r.receive_wait_s / static_cast<double>(r.receive_wait_calls) >= t.wait_per_call_min_s;
  });
  if (waiting.empty()) return;
  // The likely late sender of a waiting rank: of the ranks sending to it, the busiest outside MPI.
  std::map<std::int32_t, const RankProfile*> sender_of;
  for (const auto& row : in.rec.traffic) {
    if (row.dst_world != 0 || row.src == row.dst || row.messages == 0) continue;
    const RankProfile* sender = in.profile.find(row.src);
    const RankProfile*& best = sender_of[row.dst];
    if (sender && (!best || sender->useful_s > best->useful_s)) best = sender;
  }
  std::set<std::int32_t> senders;
  double waited = 0;
  std::vector<std::pair<double, std::int32_t>> by_wait;  // (wait, waiting rank), largest first
  for (std::int32_t w : waiting) {
    const auto found = sender_of.find(w);
    if (found != sender_of.end() && found->second) senders.insert(found->second->rank);
    waited += in.profile.find(w)->receive_wait_s;
    by_wait.emplace_back(in.profile.find(w)->receive_wait_s, w);
  }
  std::stable_sort(by_wait.begin(), by_wait.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  const std::vector<std::int32_t> culprits(senders.begin(), senders.end());
  const auto functions = waited_in(in.profile, waiting, is_receive_side);
  Finding f;
  f.rule = "late_sender";
  f.severity = "warning";
  f.title = ranks_text(waiting) + " wait" + (waiting.size() == 1 ? "s " : " ") + seconds_text(waited) + " in " +
            calls_text(functions, false) +
            (culprits.empty() ? " for messages that arrive late (sender unknown: no traffic rows)"
                              : " for messages from " + ranks_text(culprits) + " (late sender" +
                                    (culprits.size() == 1 ? ")" : "s)"));
  f.ranks = culprits;
  f.affected_ranks = waiting;
  f.calls = names(functions);
  f.quantity = waited;
  f.unit = "s";
  f.figures = {{"waited_s", waited}};
  if (culprits.size() == 1) {
    const RankProfile* s = in.profile.find(culprits.front());
    const double others = useful_median_without(in.profile, s->rank);
    f.figures.push_back({"sender_useful_s", s->useful_s});
    f.figures.push_back({"others_useful_median_s", others});
    f.evidence.push_back(ranks_text({s->rank}) + " spent " + seconds_text(s->useful_s) +
                         " outside MPI before its sends; the median of the other ranks " + seconds_text(others));
  }
  for (std::size_t i = 0; i < by_wait.size() && i < 5; ++i) {
    const RankProfile* r = in.profile.find(by_wait[i].second);
    const auto found = sender_of.find(r->rank);
    f.evidence.push_back(ranks_text({r->rank}) + " waited " + seconds_text(r->receive_wait_s) + " (" +
                         percent_text(r->receive_wait_s / std::max(r->wall_s, 1e-12)) + " of its wall time) over " +
                         count_text(static_cast<double>(r->receive_wait_calls)) + " receive or wait calls" +
                         (found != sender_of.end() && found->second
                              ? ", most likely for " + ranks_text({found->second->rank})
                              : std::string()));
  }
  f.suggestion = (culprits.empty() ? std::string("Messages arrive late: ")
                                   : ranks_text(culprits) + (culprits.size() == 1 ? " sends late: " : " send late: ")) +
                 "balance the work done before the send, send as soon as the data is ready, and post receives "
                 "early (MPI_Irecv) so the receiver can work until it needs the data (MPI_Wait).";
  out.findings.push_back(std::move(f));
}

void load_imbalance(const RuleInput& in, Analysis& out) {
  const auto& t = in.t;
  const PopMetrics& pop = in.pop;
  if (in.profile.ranks.size() < 2 || !(pop.load_balance < t.load_balance_min)) return;
  const std::int32_t slowest = pop.useful_max_rank;
  const double others = useful_median_without(in.profile, slowest);
  const double excess = pop.useful_max_s - others;
  if (excess < t.min_finding_s) return;
  for (const auto& f : out.findings)
    if ((f.rule == "late_sender" || f.rule == "serialisation") &&
        std::find(f.ranks.begin(), f.ranks.end(), slowest) != f.ranks.end())
      return;  // the same cause, already reported with the calls it costs
  const auto slow = ranks_where(in.profile, [&](const RankProfile& r) { return r.useful_s >= others + 0.5 * excess; });
  const auto waiting = ranks_where(in.profile, [&](const RankProfile& r) { return r.useful_s < others + 0.5 * excess; });
  const auto functions = waited_in(in.profile, waiting, [](const CallProfile&) { return true; });
  Finding f;
  f.rule = "load_imbalance";
  f.severity = "warning";
  f.title = "Load imbalance: " + ranks_text(slow) + " compute" + (slow.size() == 1 ? "s " : " ") +
            seconds_text(excess) + " longer than the other ranks (load balance " + percent_text(pop.load_balance) + ")";
  f.ranks = slow;
  f.affected_ranks = waiting;
  f.calls = names(functions);
  f.quantity = excess;
  f.unit = "s";
  f.figures = {{"load_balance", pop.load_balance},
               {"useful_max_s", pop.useful_max_s},
               {"useful_mean_s", pop.useful_mean_s},
               {"others_useful_median_s", others}};
  f.evidence.push_back(ranks_text({slowest}) + " spent " + seconds_text(pop.useful_max_s) +
                       " outside MPI; the median of the other ranks " + seconds_text(others) + ", the mean " +
                       seconds_text(pop.useful_mean_s));
  if (!functions.empty())
    f.evidence.push_back(ranks_text(waiting) + " waited for it in " + calls_text(functions));
  f.suggestion =
      "Distribute the work evenly: partition by cost rather than by size, or balance dynamically "
      "(over-decomposition, work stealing); check whether " + ranks_text(slow) +
      " has more data, a slower core, or extra duties.";
  out.findings.push_back(std::move(f));
}

}  // namespace

void waiting_rules(const RuleInput& in, Analysis& out) {
  if (in.profile.ranks.empty()) {
    out.not_evaluated.push_back("load_imbalance, serialisation, late_sender: no rank rows (no MPI part)");
    return;
  }
  if (!in.profile.has_mpi_rows)
    out.not_evaluated.push_back("serialisation, late_sender: no per-function MPI rows");
  serialisation(in, out);
  late_sender(in, out);
  load_imbalance(in, out);
}

}  // namespace hpcmon::diagnosis
