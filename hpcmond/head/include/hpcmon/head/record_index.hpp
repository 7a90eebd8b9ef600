// Record discovery and merge on the head: a periodic scan of hpc.record_dir finds rank-0
// records (<stem>.h5) and node partials (<stem>.<node>.part.h5), merges each step's parts
// into the canonical record once every expected node reported (or after the merge timeout,
// flagging the missing nodes), and keeps an index of job summaries.
// Owns: the canonical merge (the daemon is its one owner) and its folder
// (history.canonical_record_dir, same <user>/<YYYY>/<MM>/<DD>/<key>.h5 layout), the job index.
// Never: writes into hpc.record_dir (users' files are immutable after their rename), trusts
// the user named inside a record (the user is the file's owner), follows symlinks, reads a
// file twice that did not change, or logs a bad file more than once.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hpcmon/config.hpp"
#include "hpcmon/head/log.hpp"
#include "hpcmon/record.hpp"

namespace hpcmon::head {

struct StepSummary {
  record::RecordKey key;
  std::string path;               // the canonical record when there is one, else the rank-0 record
  std::string rank0_path;         // rank 0's record (empty without one): it alone carries /trace
  std::int64_t start_ns = 0, end_ns = 0;
  bool exit_status_known = false;
  std::int32_t exit_status = 0;
  bool partial = false;
  std::string partial_reason;
  std::string merge_state;        // "merged", "pending", "single"
  std::vector<std::string> nodes_reported;
  std::vector<std::string> nodes_missing;
  nlohmann::json summary;         // store::summarize, in API form
  nlohmann::json diagnosis;       // diagnosis::analyze, in API form (api_diagnosis.hpp)
};

struct JobSummary {
  std::string cluster, job, user;  // user: owner of the record files
  std::string job_name, account, partition, node_list;
  std::uint32_t node_count = 0;
  std::int64_t start_ns = 0, end_ns = 0;
  // The job's identity beside cluster and id (ids wrap at MaxJobId): Slurm's submit time
  // when the collector knew the job, else the earliest step start of this run of the id.
  std::int64_t submit_ns = 0;
  std::string submit_source;  // "slurm" or "record_start"
  std::string state;  // completed, failed, ended (exit unknown); Slurm may add running, pending
  std::vector<StepSummary> steps;
};

struct ScanStats {
  std::uint64_t scans = 0, files_read = 0, files_skipped = 0, merges = 0, merge_writes = 0;
};

// Slurm's submit times of the jobs slurmctld still knows, by (cluster, job id).
using SubmitTimes = std::map<std::pair<std::string, std::string>, std::int64_t>;

class RecordIndex {
 public:
  // `canonical_dir`: where merged records are written (canonical_record_dir(config)).
  RecordIndex(std::filesystem::path record_dir, std::filesystem::path canonical_dir,
              double merge_timeout_s, Log& log, config::Diagnosis diagnosis = {});
  // One pass: reads new or changed files, merges what is due. `now_ns` drives the timeout.
  void scan(std::int64_t now_ns);
  // Newest first (by start).
  std::shared_ptr<const std::vector<JobSummary>> jobs() const;
  // Where scans learn submit times (the Slurm collector); called once per index rebuild.
  // A submit time learned for a step is kept after slurmctld forgets the job.
  void set_submit_times(std::function<SubmitTimes()> source);
  ScanStats stats() const;

 private:
  struct FileState {
    std::int64_t mtime_ns = 0;
    std::uint64_t size = 0;
    uid_t owner = 0;
    bool readable = false;
    std::shared_ptr<const record::JobRecord> record;
  };
  struct Group {
    std::filesystem::path main;                       // <stem>.h5 (rank 0's)
    std::filesystem::path canonical;                  // the head's merged <stem>.h5
    std::map<std::string, std::filesystem::path> partials;  // node -> path
    std::set<std::string> merged_inputs;              // rank-0 and partial paths merged in
    std::shared_ptr<const record::JobRecord> merged;  // this run's latest merge
  };
  bool refresh(const std::filesystem::path& path, FileState& state);
  void scan_tree(const std::filesystem::path& root, bool canonical, std::set<std::string>& seen,
                 std::set<std::string>& changed_groups);
  void merge_group(const std::string& group_key, Group& group, std::int64_t now_ns);
  void rebuild_index();

  std::filesystem::path record_dir_;
  std::filesystem::path canonical_dir_;
  std::int64_t merge_timeout_ns_;
  Log& log_;
  config::Diagnosis diagnosis_;  // thresholds of each step's diagnosis
  std::map<std::string, FileState> files_;
  std::map<std::string, Group> groups_;  // <user>/<YYYY>/<MM>/<DD>/<stem> -> parts
  std::map<std::string, StepSummary> steps_;  // group key -> summary
  std::map<std::string, std::string> step_users_;
  std::map<std::string, record::JobInfo> step_info_;
  std::map<std::string, std::int64_t> step_submit_;  // dir/stem -> Slurm's submit time
  std::function<SubmitTimes()> submit_times_;
  mutable std::mutex mutex_;
  std::shared_ptr<const std::vector<JobSummary>> jobs_;
  ScanStats stats_;            // the scanning thread's own
  ScanStats published_stats_;  // under mutex_
};

std::string user_name(uid_t uid);

// history.canonical_record_dir, or "canonical-records" beside history.path when empty.
std::filesystem::path canonical_record_dir(const config::Config& config);
// Empty when the canonical folder may be used, else why not (it lies inside hpc.record_dir,
// whose files the head must never change, or holds it).
std::string canonical_dir_problem(const config::Config& config);

}  // namespace hpcmon::head
