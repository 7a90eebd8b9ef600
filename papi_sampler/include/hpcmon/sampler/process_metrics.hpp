// Metrics of any set of processes from /proc/<pid>/stat, status and io: CPU user and
// system time, RSS and its high-water mark (VmHWM), read and written bytes, threads.
// Each pid's files are opened once; a process that exits reads as not alive (the open
// descriptors never follow a reused pid). Reading another user's io needs root or
// CAP_SYS_PTRACE: without it the io fields are marked unavailable, not zero.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hpcmon/sampler/proc_file.hpp"
#include "hpcmon/sampler/rates.hpp"
#include "hpcmon/sampler/source.hpp"

namespace hpcmon::sampler {

struct ProcessSample {
  pid_t pid = 0;
  bool alive = false;
  std::string comm;
  char state = '?';
  double cpu_user_s = 0, cpu_system_s = 0;
  std::uint64_t rss_bytes = 0, rss_high_water_bytes = 0, virtual_bytes = 0;
  std::uint64_t minor_faults = 0, major_faults = 0;
  long threads = 0;
  int last_cpu = -1;
  bool io_available = false;
  std::uint64_t read_bytes = 0, write_bytes = 0;  // storage layer (block I/O caused)
  std::uint64_t read_chars = 0, write_chars = 0;  // read()/write() system calls, cache included
};

class ProcessSampler {
 public:
  explicit ProcessSampler(const std::vector<pid_t>& pids = {});
  void add(pid_t pid);
  void remove(pid_t pid);
  std::vector<pid_t> pids() const;
  std::vector<ProcessSample> sample();
  // A single reading of one pid, opening its files just for it.
  static ProcessSample read_once(pid_t pid);

 private:
  struct Files {
    ProcFile stat, status, io;
  };
  static ProcessSample read(pid_t pid, Files& files);
  std::map<pid_t, Files> files_;
};

// ProcessSampler as a Source: "proc.<pid>.*" metrics, plus CPU and I/O rates from the
// second sample on. A process that ended is left out of the sample; start() fails only
// when none of the pids exists.
class ProcessSource final : public Source {
 public:
  explicit ProcessSource(std::vector<pid_t> pids) : pids_(std::move(pids)) {}
  std::string_view name() const override { return "proc.process"; }
  std::string_view measures() const override {
    return "per process: CPU user/system, RSS and high-water, read/write bytes, threads (/proc/<pid>)";
  }
  std::string_view quality() const override { return "software"; }
  std::string start() override;
  void sample(std::vector<Metric>& out) override;
  void stop() override { sampler_.reset(); }

 private:
  std::vector<pid_t> pids_;
  std::unique_ptr<ProcessSampler> sampler_;
  RateTracker rates_;
};

}  // namespace hpcmon::sampler
