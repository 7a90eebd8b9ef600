// Record scan, merge and job index (record_index.hpp).
#include "hpcmon/head/record_index.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>


#include <algorithm>
#include <memory>
#include <set>
#include <tuple>

#include "hpcmon/head/api_diagnosis.hpp"
#include "hpcmon/memprof_record.hpp"
#include "hpcmon/store.hpp"
#include "hpcmon/trace.hpp"

namespace hpcmon::head {
namespace fs = std::filesystem;

std::string user_name(uid_t uid) {
  passwd entry{};
  passwd* found = nullptr;
  char buffer[4096];
  if (getpwuid_r(uid, &entry, buffer, sizeof buffer, &found) == 0 && found) return found->pw_name;
  return std::to_string(uid);
}

namespace {

// "<cluster>.<job>.<step>.r<restart>.<run>[.<node>.part].h5": the stem is the first five
// dot-separated parts (record_stem never puts a dot inside a part).
struct FileName {
  std::string stem;
  std::string node;  // empty: the rank-0 or canonical record
};

std::optional<FileName> split_name(const std::string& name) {
  if (name.empty() || name.front() == '.' || name.size() < 4 ||
      name.compare(name.size() - 3, 3, ".h5") != 0)
    return std::nullopt;
  std::vector<std::string> parts;
  std::size_t begin = 0;
  const std::string base = name.substr(0, name.size() - 3);
  while (true) {
    const std::size_t dot = base.find('.', begin);
    parts.push_back(base.substr(begin, dot - begin));
    if (dot == std::string::npos) break;
    begin = dot + 1;
  }
  FileName out;
  if (parts.size() == 5) {
  } else if (parts.size() == 7 && parts[6] == "part" && !parts[5].empty()) {
    out.node = parts[5];
  } else {
    return std::nullopt;
  }
  for (int i = 0; i < 5; ++i) out.stem += (i ? "." : "") + parts[static_cast<std::size_t>(i)];
  return out;
}

nlohmann::json summary_json(const record::JobRecord& rec) {
  const store::Summary s = store::summarize(rec);
  nlohmann::json out = {{"ranks", s.ranks},
                        {"wall_s", s.wall_s},
                        {"mpi_fraction", s.mpi_fraction},
                        {"cpu_used_s", s.cpu_used_s},
                        {"cpu_efficiency", s.cpu_efficiency},
                        {"mem_hwm_bytes", s.mem_hwm_bytes},
                        {"mem_requested_bytes", s.mem_requested_bytes},
                        {"mem_efficiency", s.mem_efficiency},
                        {"warnings", s.warnings}};
  nlohmann::json functions = nlohmann::json::array();
  for (std::size_t i = 0; i < s.functions.size() && i < 5; ++i)
    functions.push_back({{"function", s.functions[i].function},
                         {"calls", s.functions[i].calls},
                         {"bytes", s.functions[i].bytes},
                         {"total_s", s.functions[i].total_s}});
  out["top_mpi_functions"] = functions;
  return out;
}

std::set<std::string> expected_nodes(const record::JobRecord& rec) {
  std::set<std::string> nodes;
  for (const auto& rank : rec.ranks)
    if (!rank.node.empty()) nodes.insert(rank.node);
  return nodes;
}

// An input of the merge opened as the scan reads it (no symlink, a regular file), named by its
// descriptor so that HDF5 reaches exactly the file checked; closed with the object.
class CheckedInput {
 public:
  explicit CheckedInput(const fs::path& path)
      : fd_(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) {
    struct stat info{};
    if (fd_ >= 0 && (::fstat(fd_, &info) != 0 || !S_ISREG(info.st_mode))) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~CheckedInput() {
    if (fd_ >= 0) ::close(fd_);
  }
  CheckedInput(const CheckedInput&) = delete;
  CheckedInput& operator=(const CheckedInput&) = delete;
  bool ok() const { return fd_ >= 0; }
  std::string name() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

fs::path canonical_record_dir(const config::Config& config) {
  if (!config.history.canonical_record_dir.empty()) return config.history.canonical_record_dir;
  return fs::path(config.history.path).lexically_normal().parent_path() / "canonical-records";
}

std::string canonical_dir_problem(const config::Config& config) {
  const fs::path canonical = fs::weakly_canonical(canonical_record_dir(config));
  const fs::path records = fs::weakly_canonical(fs::path(config.hpc.record_dir));
  auto inside = [](const fs::path& inner, const fs::path& outer) {
    const fs::path relative = inner.lexically_relative(outer);
    return !relative.empty() && *relative.begin() != "..";
  };
  if (inside(canonical, records) || inside(records, canonical))
    return "history.canonical_record_dir " + canonical.string() + " and hpc.record_dir " + records.string() +
           " overlap: the head's merged records need a folder of their own (users' records are never rewritten)";
  return "";
}

RecordIndex::RecordIndex(fs::path record_dir, fs::path canonical_dir, double merge_timeout_s, Log& log,
                         config::Diagnosis diagnosis)
    : record_dir_(std::move(record_dir)),
      canonical_dir_(std::move(canonical_dir)),
      merge_timeout_ns_(static_cast<std::int64_t>(merge_timeout_s * 1e9)),
      log_(log),
      diagnosis_(diagnosis),
      jobs_(std::make_shared<std::vector<JobSummary>>()) {}

bool RecordIndex::refresh(const fs::path& path, FileState& state) {
  // One descriptor for the checks and the read: a symlink swapped in after a check cannot
  // redirect the read, and a FIFO cannot block the scan (O_NONBLOCK, then S_ISREG).
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat info{};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) return false;
  const std::int64_t mtime = info.st_mtim.tv_sec * 1000000000LL + info.st_mtim.tv_nsec;
  if (state.mtime_ns == mtime && state.size == static_cast<std::uint64_t>(info.st_size)) {
    if (state.owner == info.st_uid) return false;
    state.owner = info.st_uid;  // chown: same content, another user's record now
    return true;
  }
  state.mtime_ns = mtime;
  state.size = static_cast<std::uint64_t>(info.st_size);
  state.owner = info.st_uid;
  try {
    // HDF5 opens by name: the descriptor's own name reaches the file already checked.
    const fs::path opened = "/proc/self/fd/" + std::to_string(fd);
    state.record = std::make_shared<const record::JobRecord>(store::read_record(opened));
    state.readable = true;
    ++stats_.files_read;
  } catch (const store::RecordError& error) {
    state.record.reset();
    state.readable = false;
    ++stats_.files_skipped;
    log_.once(path.string() + "@" + std::to_string(mtime),
              "skipping record " + path.string() + " (" + store::kind_name(error.kind()) +
                  "): " + error.what());
  }
  return true;
}

void RecordIndex::scan_tree(const fs::path& root, bool canonical, std::set<std::string>& seen,
                            std::set<std::string>& changed_groups) {
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) {
    // The canonical folder appears with the first merge: its absence is not news.
    if (!canonical || ec != std::errc::no_such_file_or_directory)
      log_.once("scan:" + root.string() + ec.message(), "cannot scan " + root.string() + ": " + ec.message());
    return;
  }
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    // Layout: <user>/<YYYY>/<MM>/<DD>/<file>; deeper folders are not ours.
    if (it.depth() > 4) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec) || it->is_symlink(ec) || it.depth() != 4) continue;
    const fs::path& path = it->path();
    const auto name = split_name(path.filename().string());
    if (!name || (canonical && !name->node.empty())) continue;
    const std::string key = path.string();
    seen.insert(key);
    // The same key in both trees: the canonical record beside the parts it was merged from.
    const std::string group_key = (path.parent_path().lexically_relative(root) / name->stem).string();
    Group& group = groups_[group_key];
    if (canonical)
      group.canonical = path;
    else if (name->node.empty())
      group.main = path;
    else
      group.partials[name->node] = path;
    if (refresh(path, files_[key])) changed_groups.insert(group_key);
  }
}

void RecordIndex::scan(std::int64_t now_ns) {
  std::set<std::string> seen;
  std::set<std::string> changed_groups;
  scan_tree(record_dir_, false, seen, changed_groups);
  scan_tree(canonical_dir_, true, seen, changed_groups);
  // Files that vanished.
  for (auto file = files_.begin(); file != files_.end();) {
    if (seen.count(file->first)) {
      ++file;
      continue;
    }
    file = files_.erase(file);
  }
  for (auto group = groups_.begin(); group != groups_.end();) {
    Group& g = group->second;
    if (!g.main.empty() && !seen.count(g.main.string())) g.main.clear();
    if (!g.canonical.empty() && !seen.count(g.canonical.string())) g.canonical.clear();
    for (auto part = g.partials.begin(); part != g.partials.end();)
      part = seen.count(part->second.string()) ? std::next(part) : g.partials.erase(part);
    if (g.main.empty() && g.partials.empty() && g.canonical.empty()) {
      steps_.erase(group->first);
      step_submit_.erase(group->first);
      group = groups_.erase(group);
      continue;
    }
    merge_group(group->first, g, now_ns);
    ++group;
  }
  ++stats_.scans;
  rebuild_index();
}

void RecordIndex::merge_group(const std::string& group_key, Group& group, std::int64_t now_ns) {
  auto readable = [&](const fs::path& path) -> const FileState* {
    if (path.empty()) return nullptr;
    const FileState& state = files_[path.string()];
    return state.readable ? &state : nullptr;
  };
  const FileState* main = readable(group.main);
  const FileState* canonical = readable(group.canonical);
  std::vector<std::pair<std::string, const FileState*>> partials;
  for (const auto& [node, path] : group.partials)
    if (const FileState* state = readable(path)) partials.emplace_back(node, state);
  if (!main && partials.empty() && !canonical) {
    steps_.erase(group_key);
    step_submit_.erase(group_key);
    return;
  }
  // The owner of the step: the rank-0 record's owner, else the first partial's; when only the
  // canonical record is left (the users' files were deleted), the user folder it mirrors.
  const std::string user = main                ? user_name(main->owner)
                           : !partials.empty() ? user_name(partials.front().second->owner)
                                               : fs::path(group_key).begin()->string();
  const record::JobRecord& base = main               ? *main->record
                                  : !partials.empty() ? *partials.front().second->record
                                                      : *canonical->record;

  std::set<std::string> reported;
  for (const auto& node : base.nodes) reported.insert(node.node);
  for (const auto& [node, state] : partials) reported.insert(node);
  std::set<std::string> expected = expected_nodes(base);
  std::set<std::string> missing;
  for (const auto& node : expected)
    if (!reported.count(node)) missing.insert(node);
  // Without MPI ranks, the node count tells how many partials to wait for.
  const bool count_short = expected.empty() && base.job.node_count > reported.size();

  // An input is in the canonical record when this run merged it, or when the canonical record
  // (of an earlier run of the daemon) is newer and holds its node row or the MPI part.
  auto merged_before = [&](const fs::path& path, const FileState& input, const std::string& node) {
    if (group.merged_inputs.count(path.string())) return true;
    if (!canonical || canonical->mtime_ns < input.mtime_ns) return false;
    const auto& rows = canonical->record->nodes;
    const bool held = node.empty() ? canonical->record->has_mpi
                                   : std::any_of(rows.begin(), rows.end(),
                                                 [&](const record::NodeRow& row) { return row.node == node; });
    if (held) group.merged_inputs.insert(path.string());
    return held;
  };
  bool fresh_partials = false;
  for (const auto& [node, state] : partials)
    if (!merged_before(group.partials[node], *state, node)) fresh_partials = true;
  const bool fresh_main = main && !merged_before(group.main, *main, "");

  const bool incomplete = !missing.empty() || count_short;
  std::int64_t newest = 0;
  for (const auto& [node, state] : partials) newest = std::max(newest, state->mtime_ns);
  if (main) newest = std::max(newest, main->mtime_ns);
  const bool timed_out = now_ns - newest >= merge_timeout_ns_;
  bool due = false;
  if (fresh_partials || (fresh_main && canonical))  // new parts, or rank 0 after the partials
    due = !incomplete || timed_out;
  else if (fresh_main)  // rank 0 alone: merged (flagged) only when nodes are missing
    due = incomplete && timed_out && !group.merged;

  StepSummary step;
  if (due) {
    std::vector<record::JobRecord> parts;
    if (main) parts.push_back(*main->record);
    for (const auto& [node, state] : partials) parts.push_back(*state->record);
    auto merged = std::make_shared<record::JobRecord>(store::merge(parts));
    if (incomplete) {
      merged->job.partial = true;
      const std::string what = missing.empty()
                                   ? std::to_string(reported.size()) + " of " +
                                         std::to_string(base.job.node_count) + " nodes reported"
                                   : "missing node partials: " + join(missing);
      merged->job.partial_reason =
          merged->job.partial_reason.empty() ? what : merged->job.partial_reason + "; " + what;
    }
    merged->diagnosis = diagnosis_to_store(*merged, diagnosis_, now_ns);
    ++stats_.merges;
    // The head's own folder: the users' files stay exactly as their writers left them.
    const fs::path target = canonical_dir_ / (group_key + ".h5");
    // Rank 0's /trace and the node partials' /memory go into the temporary before its rename
    // (optional groups the merge itself does not model): the canonical record is the whole step.
    auto carry_groups = [&](const fs::path& tmp) {
      if (main) {
        const CheckedInput rank0(group.main);
        try {
          if (rank0.ok()) store::copy_trace(rank0.name(), tmp);
        } catch (const std::exception& error) {
          log_.once("trace:" + group.main.string(),
                    "canonical record " + target.string() + " without the trace of " + group.main.string() + ": " +
                        error.what());
        }
      }
      std::vector<std::unique_ptr<CheckedInput>> opened;
      std::vector<std::string> names;
      for (const auto& [node, state] : partials) {
        opened.push_back(std::make_unique<CheckedInput>(group.partials[node]));
        if (opened.back()->ok()) names.push_back(opened.back()->name());
      }
      try {
        mem::carry_memory_groups(tmp.string(), names);
      } catch (const std::exception& error) {
        log_.once("memory:" + target.string(),
                  "canonical record " + target.string() + " without memory profiles: " + error.what());
      }
    };
    try {
      store::write_record(target, *merged, carry_groups);
      ++stats_.merge_writes;
      group.canonical = target;
      FileState& state = files_[target.string()];
      struct stat info{};
      if (::lstat(target.c_str(), &info) == 0) {
        state.mtime_ns = info.st_mtim.tv_sec * 1000000000LL + info.st_mtim.tv_nsec;
        state.size = static_cast<std::uint64_t>(info.st_size);
        state.owner = info.st_uid;
      }
      state.readable = true;
      state.record = merged;
    } catch (const std::exception& error) {
      log_.once("merge:" + target.string(), "cannot write merged record " + target.string() + ": " + error.what());
    }
    if (main) group.merged_inputs.insert(group.main.string());
    for (const auto& [node, state] : partials) group.merged_inputs.insert(group.partials[node].string());
    group.merged = merged;
  }
  // This run's merge (kept in memory even when its file could not be written), else the
  // canonical record on disk, else the parts as they are.
  const FileState* on_disk = readable(group.canonical);
  const record::JobRecord* shown = group.merged ? group.merged.get() : on_disk ? on_disk->record.get() : &base;
  if (group.merged || on_disk)
    step.merge_state = "merged";
  else
    step.merge_state = partials.empty() && !incomplete ? "single" : "pending";

  step.key = shown->job.key;
  step.path = on_disk ? group.canonical.string() : group.main.string();
  step.rank0_path = main ? group.main.string() : std::string();
  step.start_ns = shown->job.start_ns;
  step.end_ns = shown->job.end_ns;
  step.exit_status_known = shown->job.exit_status_known;
  step.exit_status = shown->job.exit_status;
  step.partial = shown->job.partial;
  step.partial_reason = shown->job.partial_reason;
  step.nodes_reported.assign(reported.begin(), reported.end());
  step.nodes_missing.assign(missing.begin(), missing.end());
  step.summary = summary_json(*shown);
  step.diagnosis = step_diagnosis(*shown, diagnosis_);
  steps_[group_key] = std::move(step);
  step_users_[group_key] = user;
  step_info_[group_key] = shown->job;
}

void RecordIndex::set_submit_times(std::function<SubmitTimes()> source) {
  std::lock_guard lock(mutex_);
  submit_times_ = std::move(source);
}

void RecordIndex::rebuild_index() {
  // Jobs keyed by cluster, job id and submit time (docs/api.md, "Job identity"): job ids
  // wrap at MaxJobId, so one id can name several jobs. Slurm's submit time identifies the
  // job when the collector knows it (learned once, kept); else the steps of one
  // (cluster, id, owner) in start order form one run until a step id repeats or a step starts
  // more than a day after the run's last end, and the run's first start stands in.
  std::function<SubmitTimes()> source;
  {
    std::lock_guard lock(mutex_);
    source = submit_times_;
  }
  if (source) {
    const SubmitTimes known = source();
    for (const auto& [group_key, step] : steps_) {
      if (step_submit_.count(group_key)) continue;
      auto it = known.find({step.key.cluster, step.key.job});
      // A submit after the step started belongs to a later job of the same id.
      if (it != known.end() && it->second <= step.start_ns) step_submit_[group_key] = it->second;
    }
  }
  constexpr std::int64_t new_run_gap_ns = 24LL * 3600 * 1000000000;
  struct Part {
    const std::string* group_key;
    const StepSummary* step;
  };
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<Part>> by_id;
  for (const auto& [group_key, step] : steps_)
    by_id[{step.key.cluster, step.key.job, step_users_[group_key]}].push_back({&group_key, &step});
  std::vector<JobSummary> runs;
  for (auto& [id, parts] : by_id) {
    std::sort(parts.begin(), parts.end(), [](const Part& a, const Part& b) { return a.step->start_ns < b.step->start_ns; });
    std::map<std::int64_t, JobSummary> slurm_runs;  // by Slurm's submit time
    JobSummary* open = nullptr;                     // the current run without a Slurm submit time
    std::set<std::string> open_steps;
    std::vector<JobSummary> record_runs;
    for (const Part& part : parts) {
      const StepSummary& step = *part.step;
      JobSummary* job = nullptr;
      if (auto known = step_submit_.find(*part.group_key); known != step_submit_.end()) {
        job = &slurm_runs[known->second];
        job->submit_ns = known->second;
        job->submit_source = "slurm";
      } else {
        if (!open || open_steps.count(step.key.step) || step.start_ns > open->end_ns + new_run_gap_ns) {
          record_runs.emplace_back();
          open = &record_runs.back();
          open->submit_ns = step.start_ns;
          open->submit_source = "record_start";
          open_steps.clear();
        }
        open_steps.insert(step.key.step);
        job = open;
      }
      const record::JobInfo& info = step_info_[*part.group_key];
      if (job->steps.empty()) {
        job->cluster = step.key.cluster;
        job->job = step.key.job;
        job->user = std::get<2>(id);
        job->start_ns = step.start_ns;
      }
      if (job->job_name.empty()) job->job_name = info.job_name;
      if (job->account.empty()) job->account = info.account;
      if (job->partition.empty()) job->partition = info.partition;
      if (job->node_list.empty()) job->node_list = info.node_list;
      job->node_count = std::max(job->node_count, info.node_count);
      job->start_ns = std::min(job->start_ns, step.start_ns);
      job->end_ns = std::max(job->end_ns, step.end_ns);
      job->steps.push_back(step);
    }
    for (auto& [submit, job] : slurm_runs) runs.push_back(std::move(job));
    for (auto& job : record_runs) runs.push_back(std::move(job));
  }
  auto out = std::make_shared<std::vector<JobSummary>>();
  for (auto& job : runs) {
    std::sort(job.steps.begin(), job.steps.end(),
              [](const StepSummary& a, const StepSummary& b) { return a.start_ns < b.start_ns; });
    bool failed = false, known = false;
    for (const auto& step : job.steps) {
      known = known || step.exit_status_known;
      failed = failed || (step.exit_status_known && step.exit_status != 0);
    }
    job.state = failed ? "failed" : known ? "completed" : "ended";
    out->push_back(std::move(job));
  }
  std::sort(out->begin(), out->end(),
            [](const JobSummary& a, const JobSummary& b) { return a.start_ns > b.start_ns; });
  std::lock_guard lock(mutex_);
  jobs_ = std::move(out);
  published_stats_ = stats_;
}

std::shared_ptr<const std::vector<JobSummary>> RecordIndex::jobs() const {
  std::lock_guard lock(mutex_);
  return jobs_;
}

ScanStats RecordIndex::stats() const {
  std::lock_guard lock(mutex_);
  return published_stats_;
}

}  // namespace hpcmon::head
