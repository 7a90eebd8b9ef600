// Node-wide metrics, one Source per /proc file so each one's cost and failure stand
// alone: CPU per core and total (/proc/stat), memory (/proc/meminfo), disk per device
// (/proc/diskstats), network per interface (/proc/net/dev), load (/proc/loadavg), and
// filesystem fullness (statvfs of the mounts in /proc/self/mountinfo).
// Counters come with per-second rates from the second sample on (wraps and resets handled).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hpcmon/sampler/proc_file.hpp"
#include "hpcmon/sampler/proc_parsers.hpp"
#include "hpcmon/sampler/rates.hpp"
#include "hpcmon/sampler/source.hpp"

namespace hpcmon::sampler {

// Busy share of a CPU between two readings of /proc/stat, 0..1; nullopt when no tick passed.
std::optional<double> cpu_busy_fraction(const proc::CpuTimes& before, const proc::CpuTimes& after);

// The common frame of the five sources: one file, parsed by a pure function.
class ProcFileSource : public Source {
 public:
  std::string_view quality() const override { return "software"; }
  std::string start() override;
  void sample(std::vector<Metric>& out) override;
  void stop() override { file_ = ProcFile(); }

 protected:
  explicit ProcFileSource(std::string path) : path_(std::move(path)) {}
  virtual void parse(std::string_view text, std::int64_t now_ns, std::vector<Metric>& out) = 0;
  RateTracker rates_;

 private:
  std::string path_;
  ProcFile file_;
};

class CpuSource final : public ProcFileSource {
 public:
  CpuSource() : ProcFileSource("/proc/stat") {}
  std::string_view name() const override { return "proc.cpu"; }
  std::string_view measures() const override { return "CPU time per core and total, busy share, context switches"; }

 private:
  void parse(std::string_view text, std::int64_t now_ns, std::vector<Metric>& out) override;
  std::vector<proc::CpuTimes> previous_;
};

class MemorySource final : public ProcFileSource {
 public:
  MemorySource() : ProcFileSource("/proc/meminfo") {}
  std::string_view name() const override { return "proc.memory"; }
  std::string_view measures() const override { return "memory total, available, used, cached, swap"; }

 private:
  void parse(std::string_view text, std::int64_t now_ns, std::vector<Metric>& out) override;
};

class DiskSource final : public ProcFileSource {
 public:
  DiskSource() : ProcFileSource("/proc/diskstats") {}
  std::string_view name() const override { return "proc.disk"; }
  std::string_view measures() const override { return "bytes and operations per block device (devices never used are left out)"; }

 private:
  void parse(std::string_view text, std::int64_t now_ns, std::vector<Metric>& out) override;
};

class NetworkSource final : public ProcFileSource {
 public:
  NetworkSource() : ProcFileSource("/proc/net/dev") {}
  std::string_view name() const override { return "proc.network"; }
  std::string_view measures() const override { return "bytes, packets, errors and drops per network interface"; }

 private:
  void parse(std::string_view text, std::int64_t now_ns, std::vector<Metric>& out) override;
};

class LoadSource final : public ProcFileSource {
 public:
  LoadSource() : ProcFileSource("/proc/loadavg") {}
  std::string_view name() const override { return "proc.load"; }
  std::string_view measures() const override { return "load averages over 1, 5, 15 minutes and runnable tasks"; }

 private:
  void parse(std::string_view text, std::int64_t now_ns, std::vector<Metric>& out) override;
};

// Fullness of every mounted filesystem that lives on a block device (statvfs), for the
// disk_used thresholds. Mounts are re-read from /proc/self/mountinfo at each sample.
class FilesystemSource final : public ProcFileSource {
 public:
  FilesystemSource() : ProcFileSource("/proc/self/mountinfo") {}
  std::string_view name() const override { return "statvfs.filesystems"; }
  std::string_view measures() const override { return "size, used and available bytes of block-device filesystems"; }

 private:
  void parse(std::string_view text, std::int64_t now_ns, std::vector<Metric>& out) override;
};

// Every node-wide source, in display order.
std::vector<std::unique_ptr<Source>> make_system_sources();

}  // namespace hpcmon::sampler
