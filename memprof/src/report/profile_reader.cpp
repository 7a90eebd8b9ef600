// Reads a profile: one "key value..." line each, unknown keys ignored (later minor additions).
#include <charconv>
#include <fstream>
#include <sstream>

#include "hpcmon/memprof.hpp"
#include "hpcmon/memprof_report.hpp"

namespace hpcmon::mem {
namespace {

struct LineReader {
  const std::filesystem::path& path;
  int line_no = 0;

  [[noreturn]] void fail(const std::string& what,
                         ProfileError::Kind kind = ProfileError::Kind::damaged) const {
    throw ProfileError(kind, path.string() + ":" + std::to_string(line_no) + ": " + what);
  }
  template <class T> T number(std::string_view text, int base = 10) const {
    if (base == 16 && text.starts_with("0x")) text.remove_prefix(2);
    T value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (ec != std::errc{} || end != text.data() + text.size()) fail("not a number: " + std::string(text));
    return value;
  }
};

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

}  // namespace

uint64_t Profile::calls_of(const std::string& function) const {
  for (const auto& c : calls)
    if (c.function == function) return c.calls;
  return 0;
}

Profile read_profile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw ProfileError(ProfileError::Kind::unreadable, path.string() + ": cannot open");
  LineReader r{path};
  Profile p;
  p.path = path;
  std::string line;
  bool ended = false;
  while (std::getline(in, line)) {
    ++r.line_no;
    const auto space = line.find(' ');
    const std::string_view key = std::string_view(line).substr(0, space);
    const std::string_view rest = space == std::string::npos ? std::string_view() : std::string_view(line).substr(space + 1);
    const auto f = fields_of(rest);
    auto u64 = [&](size_t i) {
      if (i >= f.size()) r.fail("missing field in " + std::string(key));
      return r.number<uint64_t>(f[i]);
    };
    if (r.line_no == 1) {
      if (key != kProfileMagic) r.fail("not an hpcmon memory profile", ProfileError::Kind::not_profile);
      p.version = static_cast<int>(u64(0));
      if (p.version != kProfileVersion) r.fail("unsupported profile version " + std::to_string(p.version), ProfileError::Kind::unsupported_version);
      continue;
    }
    if (key == "end") { ended = true; break; }
    if (key == "pid") p.pid = u64(0);
    else if (key == "host") p.host = rest;
    else if (key == "exe") p.exe = rest;
    else if (key == "rank") p.rank = static_cast<int64_t>(u64(0));
    else if (key == "slurm_job") p.slurm_job = rest;
    else if (key == "slurm_step") p.slurm_step = rest;
    else if (key == "start_ns") p.start_ns = u64(0);
    else if (key == "end_ns") p.end_ns = u64(0);
    else if (key == "threads") p.threads = u64(0);
    else if (key == "depth") p.depth = u64(0);
    else if (key == "partial") p.partial = u64(0) != 0;
    else if (key == "untracked_blocks") p.untracked_blocks = u64(0);
    else if (key == "untracked_frees") p.untracked_frees = u64(0);
    else if (key == "sites_dropped") p.sites_dropped = u64(0);
    else if (key == "bootstrap_allocations") p.bootstrap_allocations = u64(0);
    else if (key == "call") p.calls.push_back({f.empty() ? std::string() : std::string(f[0]), u64(1)});
    else if (key == "allocations") p.allocations = u64(0);
    else if (key == "allocated_bytes") p.allocated_bytes = u64(0);
    else if (key == "frees") p.frees = u64(0);
    else if (key == "freed_bytes") p.freed_bytes = u64(0);
    else if (key == "live_blocks") p.live_blocks = u64(0);
    else if (key == "live_bytes") p.live_bytes = u64(0);
    else if (key == "peak_live_bytes") p.peak_live_bytes = u64(0);
    else if (key == "rss_bytes") p.rss_bytes = u64(0);
    else if (key == "rss_hwm_bytes") p.rss_hwm_bytes = u64(0);
    else if (key == "mmap_bytes") p.mmap_bytes = u64(0);
    else if (key == "mmap_anonymous_bytes") p.mmap_anonymous_bytes = u64(0);
    else if (key == "munmap_bytes") p.munmap_bytes = u64(0);
    else if (key == "unattributed_leaks") {
      p.unattributed_leaks = u64(0);
      p.unattributed_leak_bytes = u64(1);
    } else if (key == "class") {
      p.size_classes.push_back({static_cast<int>(u64(0)), u64(1), u64(2)});
    } else if (key == "sample") {
      if (f.size() < 3) r.fail("short sample line");
      p.samples.push_back({u64(0), r.number<int64_t>(f[1]), u64(2)});
    } else if (key == "site") {
      SiteRecord s;
      s.id = static_cast<uint32_t>(u64(0));
      s.epoch = static_cast<uint32_t>(u64(1));
      s.allocs = u64(2);
      s.alloc_bytes = u64(3);
      s.leak_count = u64(4);
      s.leak_bytes = u64(5);
      for (size_t i = 6; i < f.size(); ++i) s.frames.push_back(r.number<uint64_t>(f[i], 16));
      p.sites.push_back(std::move(s));
    } else if (key == "unloaded") {
      if (f.size() < 3) r.fail("short unloaded line");
      const auto path_start = rest.find(' ', rest.find(' ') + 1);
      p.unloaded.push_back({static_cast<uint32_t>(u64(0)), r.number<uint64_t>(f[1], 16),
                            std::string(rest.substr(path_start + 1))});
    } else if (key == "map") {
      p.maps.emplace_back(rest);
    }
  }
  if (r.line_no == 0) throw ProfileError(ProfileError::Kind::not_profile, path.string() + ": empty file");
  if (!ended) throw ProfileError(ProfileError::Kind::damaged, path.string() + ": truncated (no end line)");
  return p;
}

}  // namespace hpcmon::mem
