// The agent's loop: one thread polls the event socket and runs the process and node ticks;
// the pusher has its own thread. Steps live in a map keyed by (job id, step).
#include "hpcmon/agent.hpp"

#include <netdb.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "hpcmon/agent/cgroup_limits.hpp"
#include "hpcmon/agent/event_socket.hpp"
#include "hpcmon/agent/live_ranks.hpp"
#include "hpcmon/agent/node_sampler.hpp"
#include "hpcmon/agent/partial_writer.hpp"
#include "hpcmon/agent/process_tree.hpp"
#include "hpcmon/agent/protocol.hpp"
#include "hpcmon/agent/pusher.hpp"
#include "hpcmon/agent/slurm_job_state.hpp"
#include "hpcmon/agent/spool.hpp"
#include "hpcmon/agent/step.hpp"
#include "hpcmon/sampler/process_metrics.hpp"

namespace hpcmon::agent {
namespace {

using nlohmann::json;

std::int64_t monotonic_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t to_ns(double seconds) { return static_cast<std::int64_t>(seconds * 1e9); }

NodeIdentity identify_node() {
  NodeIdentity id;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  id.hostname = host;
  id.fqdn = host;
  addrinfo hints{}, *info = nullptr;
  hints.ai_flags = AI_CANONNAME;
  if (getaddrinfo(host, nullptr, &hints, &info) == 0 && info) {
    if (info->ai_canonname) id.fqdn = info->ai_canonname;
    freeaddrinfo(info);
  }
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  id.cpus = n > 0 ? static_cast<std::uint32_t>(n) : 0;
  return id;
}

constexpr std::size_t kMaxSteps = 4096;            // a flood of step_start lines cannot grow memory without end
constexpr std::size_t kMaxLiveSamples = 4096;      // per push message
constexpr std::size_t kMaxLiveRankTables = 256;    // ranks per step whose MPI tables are pushed
constexpr std::int64_t kFinishedKeepNs = 600'000'000'000;  // a late step_end still updates the partial
// How long a killed step's partial waits for slurmctld to say why (a job's OUT_OF_MEMORY or a
// step-only scancel leave the job RUNNING for a moment: asked again every half second).
constexpr std::int64_t kJobStateWaitNs = 3'000'000'000;
constexpr std::int64_t kJobStateRetryNs = 500'000'000;
// How long a normally ended step's partial waits for the allocation slurmctld was asked about
// at the step's start (a step shorter than the RPC): after that its memory and time limit stay 0.
constexpr std::int64_t kAllocationWaitNs = 2'000'000'000;
// A step's cgroup limit is read once; while absent (no cgroup limit, or the task not yet moved
// into its step's cgroup) again after 0.5, 1, 2, 4 and 8 s, then never.
constexpr std::uint32_t kMemLimitReads = 6;
// Memory profiles held open across all pending steps (secure_memory_profiles): a bound well
// under the agent's descriptor limit.
constexpr std::size_t kMaxHeldProfiles = 512;
constexpr std::int64_t kMemLimitFirstRetryNs = 500'000'000;

}  // namespace

AgentOptions AgentOptions::from_config(const config::Config& c) {
  AgentOptions o;
  o.socket_path = c.agent.socket;
  o.record_dir = c.hpc.record_dir;
  o.node_name = c.agent.node_name;
  o.record_group = c.agent.record_group;
  o.process_interval_s = c.general.sample_interval_s;
  o.node_interval_s = c.general.node_sample_interval_s;
  o.head_url = c.agent.head_url;
  o.token_file = c.agent.token_file;
  o.ca_file = c.agent.ca_file;
  o.push_interval_s = c.agent.push_interval_s;
  o.spool_dir = c.agent.spool_dir;
  o.spool_max_bytes = static_cast<std::uint64_t>(c.agent.spool_max_bytes);
  const char* slurm_conf = std::getenv("SLURM_CONF");  // the service's own environment, not a job's
  o.slurm_conf = slurm_conf && *slurm_conf ? slurm_conf : "/etc/slurm/slurm.conf";
  return o;
}

struct Agent::Impl {
  struct Owner {
    StepId step;
    pid_t root;
  };
  struct Finished {
    StepState state;
    std::int64_t expires_ns;
  };
  // A step's partial waiting for slurmctld's answer: why its tasks were killed (`want_state`),
  // or only the allocation asked about at its start.
  struct Awaiting {
    StepState state;
    bool keep;  // kept afterwards for a late step_end
    std::uint32_t job_id;
    std::int64_t deadline_ns, next_ask_ns;
    bool want_state = true;
  };

  AgentOptions opt;
  Log& log;
  EventSocket socket;
  NodeIdentity identity = identify_node();
  std::string node_name;
  sampler::ProcessSampler processes;
  NodeSampler node;
  CgroupMounts cgroup_mounts = read_cgroup_mounts();  // the agent's own mount table, read once
  std::map<StepId, StepState> steps;
  std::set<StepId> ignored;  // monitor=off
  std::map<StepId, Finished> finished;
  std::map<StepId, Awaiting> awaiting;
  std::unique_ptr<SlurmJobStates> job_states;
  std::map<pid_t, Owner> owners;
  std::unique_ptr<Spool> spool;
  std::unique_ptr<Pusher> pusher;
  json live_node = json::array(), live_steps = json::array(), live_mpi = json::array();

  std::atomic<std::uint64_t> events{0}, malformed{0}, unknown_version{0}, records_written{0}, record_errors{0},
      process_ticks{0}, node_ticks{0}, spooled{0}, steps_running{0}, live_errors{0};
  std::int64_t next_process = 0, next_node = 0, next_push = 0;

  Impl(AgentOptions o, Log& l) : opt(std::move(o)), log(l), socket(opt.socket_path, l) {
    node_name = opt.node_name.empty() ? identity.hostname.substr(0, identity.hostname.find('.')) : opt.node_name;
    for (const auto& e : node.start_errors()) log.warning("node source unavailable: " + e);
    job_states = SlurmJobStates::connect(opt.slurm_conf, log);
    if (!opt.head_url.empty()) {
      spool = std::make_unique<Spool>(opt.spool_dir, opt.spool_max_bytes);
      pusher = std::make_unique<Pusher>(*spool, opt.head_url, opt.token_file, opt.push_interval_s, log,
                                        opt.ca_file);
    }
    const std::int64_t now = monotonic_now();
    next_process = now + to_ns(opt.process_interval_s);
    next_node = now;
    next_push = now + to_ns(opt.push_interval_s);
  }

  json agent_json() const { return {{"node", node_name}, {"instance", spool ? spool->instance() : ""}, {"hostname", identity.hostname}}; }

  void spool_message(const std::string& kind, json payload) {
    if (!spool) return;
    try {
      spool->append(kind, [&](std::uint64_t seq) {
        json m = {{"v", 1}, {"kind", kind}, {"seq", seq}, {"agent", agent_json()}, {"sent_ns", realtime_ns()}};
        m[kind == "samples" ? "samples" : "record"] = std::move(payload);
        return m.dump(-1, ' ', false, json::error_handler_t::replace);
      });
      ++spooled;
      pusher->wake();
    } catch (const std::exception& e) {
      log.once(Level::error, "spool-failed", std::string("cannot spool a push: ") + e.what());
    }
  }

  std::string on_line(std::string_view line) {
    ParseResult r = parse_event(line);
    if (!r.event) {
      if (r.unknown_version) {
        ++unknown_version;
        log.once(Level::warning, "version", "refused a step event: " + r.error + " (this agent speaks v1)");
      } else {
        ++malformed;
        log.once(Level::warning, "malformed", "malformed step event (" + r.error + "); later ones are only counted");
      }
      return {};
    }
    ++events;
    if (r.event->kind == EventKind::job_end) {
      secure_memory_profiles(r.event->id.job_id);
      return std::string(kJobEndAnswer);  // the epilog may remove the run directory now
    }
    apply(*r.event);
    return {};
  }

  // The job's epilog is about to remove its run directory: the profiles of its steps whose
  // partial is still to be written (running, waiting for slurmctld, or written early and kept
  // for a late step_end) are opened now and held until that write (memprof_record.hpp).
  void secure_memory_profiles(const std::string& job_id) {
    std::size_t held = 0;
    std::set<const mem::ProfileFiles*> counted;
    auto count = [&](const StepState& s) {
      if (s.memory_files && counted.insert(s.memory_files.get()).second) held += s.memory_files->files.size();
    };
    for (const auto& [id, s] : steps) count(s);
    for (const auto& [id, a] : awaiting) count(a.state);
    for (const auto& [id, f] : finished) count(f.state);
    std::shared_ptr<const mem::ProfileFiles> files;
    std::size_t taken = 0;
    auto take = [&](StepState& s) {
      if (s.id().job_id != job_id || !s.started() || s.memory_files || s.meta().run_dir.empty() ||
          !s.meta().mem_profile.value_or(false))
        return;
      if (!files) {
        const std::size_t budget = held < kMaxHeldProfiles ? kMaxHeldProfiles - held : 0;
        files = std::make_shared<const mem::ProfileFiles>(
            mem::open_profile_files(s.meta().run_dir, s.meta().uid, 64u << 20, budget));
      }
      s.memory_files = files;
      ++taken;
    };
    for (auto& [id, s] : steps) take(s);
    for (auto& [id, a] : awaiting) take(a.state);
    for (auto& [id, f] : finished) take(f.state);
    if (files)
      log.debug("job " + job_id + ": " + std::to_string(files->files.size()) + " memory profile(s) held for " +
                std::to_string(taken) + " step(s) whose partial is still to be written");
  }

  StepState* step_for(const StepId& id, bool create) {
    auto it = steps.find(id);
    if (it != steps.end()) return &it->second;
    if (!create) return nullptr;
    if (steps.size() >= kMaxSteps) {
      log.once(Level::error, "too-many-steps", "more than 4096 steps followed at once: new ones are not recorded");
      return nullptr;
    }
    return &steps.emplace(id, StepState(id)).first->second;
  }

  void apply(const Event& e) {
    switch (e.kind) {
      case EventKind::step_start: {
        if (!e.start.monitor) {
          ignored.insert(e.id);
          return;
        }
        StepState* s = step_for(e.id, true);
        if (!s) return;
        s->start(e.start);
        log.debug("step " + e.id.text() + " started");
        ask_allocation(*s);
        node_tick();  // the step's node series starts at its start
        break;
      }
      case EventKind::task_start: {
        if (ignored.count(e.id)) return;
        if (StepState* s = step_for(e.id, true)) {
          s->add_task(e.task);
          next_process = std::min(next_process, monotonic_now() + 10'000'000);  // see it soon, once for a burst
        }
        break;
      }
      case EventKind::task_exit:
        if (StepState* s = step_for(e.id, false)) s->task_exit(e.task);
        else if (auto a = awaiting.find(e.id); a != awaiting.end()) a->second.state.task_exit(e.task);
        else if (auto f = finished.find(e.id); f != finished.end()) f->second.state.task_exit(e.task);
        break;
      case EventKind::step_end: {
        if (ignored.erase(e.id)) return;
        if (steps.count(e.id)) {
          process_tick();  // last readings before the end (may write the step as vanished)
          node_tick();
        }
        if (auto it = steps.find(e.id); it != steps.end()) {
          it->second.end(e.end);
          finish(it);
        } else if (auto a = awaiting.find(e.id); a != awaiting.end()) {  // vanished, waiting for slurmctld
          a->second.state.end(e.end);
          a->second.keep = false;
        } else if (auto f = finished.find(e.id); f != finished.end()) {  // written when its processes vanished
          f->second.state.end(e.end);
          settle(std::move(f->second.state), false);
          finished.erase(f);
        } else {
          log.once(Level::info, "end-unknown", "step_end for a step this agent did not follow (" + e.id.text() + ")");
        }
        break;
      }
      case EventKind::job_end:  // answered in on_line
        break;
    }
  }

  void forget_pids(const StepId& id) {
    for (auto it = owners.begin(); it != owners.end();) {
      if (it->second.step == id) {
        processes.remove(it->first);
        it = owners.erase(it);
      } else {
        ++it;
      }
    }
  }

  void write(const StepState& s) {
    if (!s.started()) {
      log.once(Level::warning, "no-start", "step " + s.id().text() + " ended without step_start: no partial record");
      return;
    }
    record::JobRecord rec = s.build_record(identity);
    if (const std::size_t killed = add_killed_ranks(rec, s.live_ranks, rec.job.end_ns))
      log.info("step " + s.id().text() + ": " + std::to_string(killed) +
               " rank(s) ended without MPI_Finalize: their live tables go into the partial");
    PartialTarget target{opt.record_dir, s.meta().user, s.meta().uid, s.meta().gid, opt.record_group, s.meta().node};
    target.memory_run_dir = s.meta().run_dir;  // the step's *.memprof, if it was profiled
    target.memory_job = s.id().job_id;
    target.memory_step = s.id().step;
    target.memory_files = s.memory_files;
    target.memory_profiled = s.meta().mem_profile;
    const WriteOutcome out = write_partial(target, rec);
    if (out.ok && !out.note.empty()) log.warning("step " + s.id().text() + ": " + out.note);
    if (!out.ok) {
      ++record_errors;
      log.error("step " + s.id().text() + ": node partial not written: " + out.error);
      return;
    }
    ++records_written;
    log.info("step " + s.id().text() + ": node partial " + out.path.string() +
             (rec.job.partial ? " (partial: " + rec.job.partial_reason + ")" : ""));
    std::error_code ec;
    json notice = {{"cluster", rec.job.key.cluster},
                   {"job", rec.job.key.job},
                   {"step", rec.job.key.step},
                   {"restart_count", rec.job.key.restart_count},
                   {"run", rec.job.key.run},
                   {"node", s.meta().node},
                   {"user", rec.job.user},
                   {"path", std::filesystem::relative(out.path, opt.record_dir, ec).string()},
                   {"start_ns", rec.job.start_ns},
                   {"end_ns", rec.job.end_ns},
                   {"exit_status", rec.job.exit_status_known ? json(rec.job.exit_status) : json(nullptr)},
                   {"partial", rec.job.partial},
                   {"partial_reason", rec.job.partial_reason}};
    // Readings taken before the step ended go first: the head drops a step's live reading at
    // its record_ready, and a reading arriving after it would keep the step alive there.
    spool_samples();
    spool_message("record_ready", std::move(notice));
  }

  // Reads the step's live tables (when its ranks have any); keeps the last good reading.
  void read_live(StepState& step) {
    if (step.meta().run_dir.empty() || !step.started()) return;
    LiveRead r = read_step_live_tables(step.meta().run_dir, step.meta().uid, step.meta().job, step.id().step);
    if (r.errors) {
      live_errors += r.errors;
      log.once(Level::warning, "live-table", "a rank's live table was refused (" + r.error + "); later ones are only counted");
    }
    if (!r.ranks.empty()) step.live_ranks = std::move(r.ranks);
  }

  void finish(std::map<StepId, StepState>::iterator it) {
    forget_pids(it->first);
    read_live(it->second);  // before job_epilog removes the run directory
    const bool keep = !it->second.ended();
    settle(std::move(it->second), keep);
    steps.erase(it);
  }

  // Slurm's job number of a step (0 when its job id is not one).
  static std::uint32_t job_number(const StepId& id) {
    char* end = nullptr;
    const unsigned long job_id = std::strtoul(id.job_id.c_str(), &end, 10);
    return end && !*end && job_id <= UINT32_MAX ? static_cast<std::uint32_t>(job_id) : 0;
  }

  // SPANK gives no time limit and memory only under CR_*_Memory: slurmctld is asked once per
  // step, on its own thread; the answer is taken in take_answers().
  void ask_allocation(StepState& s) {
    const std::uint32_t job = job_number(s.id());
    if (!job_states || !job || s.allocation_asked || (s.meta().mem_bytes && s.meta().time_limit_s)) return;
    job_states->ask(job);
    s.allocation_asked = true;
  }

  // slurmctld's answers that came, each taken once: the allocation of every step of the job
  // that lacks it; the awaiting partials see them in settle_awaiting().
  std::map<std::uint32_t, SlurmJobState> take_answers() {
    std::map<std::uint32_t, SlurmJobState> answers;
    if (!job_states) return answers;
    auto take = [&](std::uint32_t job) {
      if (job && !answers.count(job))
        if (auto a = job_states->take(job)) answers.emplace(job, std::move(*a));
    };
    for (const auto& [id, s] : steps)
      if (s.allocation_asked && !s.allocation_known()) take(job_number(id));
    for (const auto& [id, a] : awaiting) take(a.job_id);
    auto fill = [&](StepState& s) {
      if (s.allocation_known()) return;
      if (auto it = answers.find(job_number(s.id())); it != answers.end()) s.set_slurm_allocation(it->second);
    };
    for (auto& [id, s] : steps) fill(s);
    for (auto& [id, a] : awaiting) fill(a.state);
    return answers;
  }

  // Writes the step's partial, first asking slurmctld why its tasks died when they were killed,
  // or waiting a short while for the allocation asked about at its start.
  void settle(StepState state, bool keep) {
    const StepId id = state.id();
    const std::uint32_t job_id = job_number(id);
    const bool want_state = job_states && state.started() && state.signalled() && !state.slurm_known() && job_id;
    const bool want_allocation = state.allocation_asked && !state.allocation_known();
    if ((want_state || want_allocation) && !awaiting.count(id)) {
      const std::int64_t now = monotonic_now();
      if (want_state) job_states->ask(job_id);
      awaiting.emplace(id, Awaiting{std::move(state), keep, job_id, now + (want_state ? kJobStateWaitNs : kAllocationWaitNs),
                                    now + kJobStateRetryNs, want_state});
      return;
    }
    write(state);
    if (keep) finished.insert_or_assign(id, Finished{std::move(state), monotonic_now() + kFinishedKeepNs});
  }

  // Partials whose answer came (a final job state), or whose wait is over; all of them at `stop`.
  void settle_awaiting(bool stop, const std::map<std::uint32_t, SlurmJobState>& answers) {
    const std::int64_t now = monotonic_now();
    for (auto it = awaiting.begin(); it != awaiting.end();) {
      Awaiting& a = it->second;
      bool done = stop || now >= a.deadline_ns;
      if (auto answer = answers.find(a.job_id); answer != answers.end()) {
        if (a.want_state) {
          a.state.set_slurm(answer->second);
          if (!answer->second.found || job_state_is_final(answer->second.state)) done = true;
        } else {
          done = true;  // the allocation (take_answers filled it)
        }
      }
      if (!done && now >= a.next_ask_ns) {
        job_states->ask(a.job_id);
        a.next_ask_ns = now + kJobStateRetryNs;
      }
      if (!done) {
        ++it;
        continue;
      }
      const bool keep = a.keep, want_state = a.want_state;
      StepState state = std::move(a.state);
      it = awaiting.erase(it);
      if (want_state && !state.slurm_known()) state.set_slurm({});  // asked, no answer in time: signals only
      if (state.allocation_asked && !state.allocation_known())
        log.once(Level::warning, "slurm-allocation",
                 "slurmctld did not answer about job " + state.id().job_id +
                     " in time: the partial of step " + state.id().text() +
                     " has allocation memory and time limit 0 unless step_start gave them (logged once)");
      write(state);
      if (keep) finished.insert_or_assign(state.id(), Finished{std::move(state), monotonic_now() + kFinishedKeepNs});
    }
  }

  // The step's cgroup memory limit, from one of its live processes (cgroup_limits.hpp).
  void read_mem_limit(StepState& step, std::int64_t now) {
    if (step.mem_limit || step.mem_limit_reads >= kMemLimitReads || now < step.next_mem_limit_read_ns) return;
    const pid_t pid = step.any_live_pid();
    if (!pid) return;
    step.mem_limit = read_memory_limit(pid, cgroup_mounts);
    step.next_mem_limit_read_ns = now + (kMemLimitFirstRetryNs << step.mem_limit_reads);
    ++step.mem_limit_reads;
    if (step.mem_limit)
      log.debug("step " + step.id().text() + ": memory limit " + std::to_string(step.mem_limit->bytes) + " bytes (" +
                step.mem_limit->source() + " " + step.mem_limit->cgroup + ")");
  }

  void process_tick() {
    ++process_ticks;
    if (steps.empty()) return;
    const auto parents = read_parent_map();
    for (auto& [id, step] : steps)
      for (const auto& [task_pid, root] : step.search_roots())
        for (pid_t p : descendants({root}, parents))
          if (owners.emplace(p, Owner{id, task_pid}).second) processes.add(p);
    for (const auto& sample : processes.sample()) {
      auto owner = owners.find(sample.pid);
      if (owner == owners.end()) {
        processes.remove(sample.pid);
        continue;
      }
      StepState* step = step_for(owner->second.step, false);
      TaskState* task = step ? step->task_of_pid(owner->second.root) : nullptr;
      if (!task || !sample.alive) {
        if (task) task->retire(sample.pid);  // its last totals stay; its pid is nobody's root any more
        processes.remove(sample.pid);
        owners.erase(owner);
        continue;
      }
      task->observe(sample);
    }
    const std::int64_t t = realtime_ns(), now = monotonic_now();
    const std::int64_t grace = std::max(to_ns(2 * opt.process_interval_s), to_ns(opt.node_interval_s));
    std::vector<StepId> vanished;
    for (auto& [id, step] : steps) {
      step.record_process_tick(t);
      if (!step.has_tasks()) continue;
      if (step.live_processes() > 0) {
        step.vanished_since_ns = 0;
        read_mem_limit(step, now);
        if (live_steps.size() < kMaxLiveSamples) {
          const TaskTotals sum = step.step_totals();
          json reading = {{"cluster", step.meta().cluster}, {"job", step.meta().job}, {"step", id.step},
                          {"t_ns", t}, {"cpu_s", sum.cpu_s}, {"rss_bytes", sum.rss_bytes},
                          {"read_bytes", sum.read_bytes}, {"write_bytes", sum.write_bytes},
                          {"processes", sum.processes}};
          if (step.mem_limit) {
            reading["mem_limit_bytes"] = step.mem_limit->bytes;
            reading["mem_limit_source"] = step.mem_limit->source();
          }
          live_steps.push_back(std::move(reading));
        }
      } else if (step.vanished_since_ns == 0) {
        step.vanished_since_ns = now;
      } else if (now - step.vanished_since_ns > grace) {
        vanished.push_back(id);
      }
    }
    for (const auto& id : vanished) {
      log.info("step " + id.text() + ": its processes are gone and no step_end came; writing its partial");
      finish(steps.find(id));
    }
    steps_running = steps.size();
  }

  void node_tick() {
    ++node_ticks;
    const NodeSnapshot s = node.sample();
    for (auto& [id, step] : steps)
      if (step.started()) step.record_node(s);
    if (spool && live_node.size() < kMaxLiveSamples) {
      json j = {{"t_ns", s.t_ns}, {"mem_used_bytes", s.mem_used_bytes}, {"mem_total_bytes", s.mem_total_bytes},
                {"load1", s.load1}};
      if (s.cpu_util) j["cpu_util"] = *s.cpu_util;
      json cores = json::object();
      for (const auto& [core, util] : s.core_util) cores[core] = util;
      j["core_util"] = cores;
      if (s.disk_read_per_s) {
        j["disk_read_bytes_per_s"] = *s.disk_read_per_s;
        j["disk_write_bytes_per_s"] = *s.disk_write_per_s;
        j["net_rx_bytes_per_s"] = *s.net_rx_per_s;
        j["net_tx_bytes_per_s"] = *s.net_tx_per_s;
      }
      live_node.push_back(std::move(j));
    }
  }

  // MPI progress of every running step with ranks: one entry per step in the next push.
  void live_tick() {
    const std::int64_t t = realtime_ns();
    for (auto& [id, step] : steps) {
      read_live(step);
      if (step.live_ranks.empty() || live_mpi.size() >= kMaxLiveSamples) continue;
      std::uint64_t calls = 0, finalized = 0;
      double mpi_s = 0;
      for (const auto& r : step.live_ranks) {
        calls += r.total_calls;
        mpi_s += r.mpi_s;
        finalized += r.state == live::State::finalized;
      }
      live_mpi.push_back({{"cluster", step.meta().cluster}, {"job", step.meta().job}, {"step", id.step},
                          {"t_ns", t}, {"ranks", step.live_ranks.size()}, {"mpi_calls", calls},
                          {"mpi_time_s", mpi_s}, {"finalized", finalized},
                          {"rank_tables", live_rank_tables(step.live_ranks, kMaxLiveRankTables)}});
    }
  }

  void push_tick() {
    if (spool) live_tick();
    spool_samples();
  }

  // Spools the readings gathered since the last push.
  void spool_samples() {
    if (!spool || (live_node.empty() && live_steps.empty() && live_mpi.empty())) return;
    spool_message("samples", {{"node", std::move(live_node)}, {"steps", std::move(live_steps)}, {"mpi", std::move(live_mpi)}});
    live_node = json::array();
    live_steps = json::array();
    live_mpi = json::array();
  }

  void expire_finished() {
    const std::int64_t now = monotonic_now();
    for (auto it = finished.begin(); it != finished.end();)
      it = it->second.expires_ns < now ? finished.erase(it) : std::next(it);
  }

  void run(const std::atomic<bool>& stop) {
    std::vector<pollfd> fds;
    while (!stop.load()) {
      const std::int64_t now = monotonic_now();
      std::int64_t wait = std::min({next_process, next_node, spool ? next_push : next_node}) - now;
      wait = std::clamp<std::int64_t>(wait, 0, 100'000'000);
      fds.clear();
      socket.fill_poll(fds);
      const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(wait / 1'000'000));
      if (ready > 0) socket.service(fds, [this](std::string_view line) { return on_line(line); });
      else if (ready == 0) socket.service({}, [](std::string_view) { return std::string(); });  // drop silent connections
      const std::int64_t after = monotonic_now();
      auto due = [after](std::int64_t& next, double interval_s) {
        if (after < next) return false;
        next = std::max(next + to_ns(interval_s), after + to_ns(interval_s) / 2);
        return true;
      };
      if (due(next_process, opt.process_interval_s)) process_tick();
      if (due(next_node, opt.node_interval_s)) {
        node_tick();
        expire_finished();
      }
      const auto answers = take_answers();
      if (!awaiting.empty()) settle_awaiting(false, answers);
      if (spool && due(next_push, opt.push_interval_s)) push_tick();
      steps_running = steps.size();
    }
    if (!awaiting.empty()) settle_awaiting(true, take_answers());
    push_tick();  // what was sampled since the last push survives in the spool
  }
};

Agent::Agent(AgentOptions options, Log& log) : impl_(std::make_unique<Impl>(std::move(options), log)) {}
Agent::~Agent() = default;

void Agent::run(const std::atomic<bool>& stop) { impl_->run(stop); }
const AgentOptions& Agent::options() const { return impl_->opt; }

AgentCounters Agent::counters() const {
  const Impl& i = *impl_;
  AgentCounters c;
  c.events = i.events;
  c.malformed = i.malformed;
  c.unknown_version = i.unknown_version;
  c.refused_peers = i.socket.stats().refused_peers;
  c.oversized_lines = i.socket.stats().oversized_lines;
  c.steps_running = i.steps_running;
  c.records_written = i.records_written;
  c.record_errors = i.record_errors;
  c.process_ticks = i.process_ticks;
  c.node_ticks = i.node_ticks;
  c.pushes_spooled = i.spooled;
  c.pushes_sent = i.pusher ? i.pusher->sent() : 0;
  c.spool_dropped = i.spool ? i.spool->dropped() : 0;
  c.slurm_queries = i.job_states ? i.job_states->queries() : 0;
  c.live_table_errors = i.live_errors;
  return c;
}

}  // namespace hpcmon::agent
