// The report of `hpcmon memprof`: one section per profile (leaks in the user's code with
// function and file:line, leaks by library, size classes, peak, efficiency), as text or JSON.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <sstream>

#include "hpcmon/memprof_report.hpp"

namespace hpcmon::mem {
namespace {

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  char text[32];
  std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return text;
}

// Control characters of user-controlled strings (paths, symbol names) are shown escaped.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string where(const Frame& f) {
  std::string text = f.function.empty() ? "??" : f.function;
  if (!f.file.empty()) text += " at " + f.file + ":" + std::to_string(f.line);
  const auto slash = f.module.rfind('/');
  text += " (" + (slash == std::string::npos ? f.module : f.module.substr(slash + 1)) + ")";
  return printable(text);
}

nlohmann::json frame_json(const Frame& f) {
  char address[24];
  std::snprintf(address, sizeof address, "0x%llx", static_cast<unsigned long long>(f.address));
  return {{"address", address}, {"module", f.module}, {"function", f.function}, {"file", f.file}, {"line", f.line}};
}

nlohmann::json site_json(const LeakSite& s) {
  nlohmann::json stack = nlohmann::json::array();
  for (const auto& f : s.stack) stack.push_back(frame_json(f));
  return {{"owner", s.owner}, {"user", s.user}, {"frame", frame_json(s.frame)}, {"leaked_blocks", s.count},
          {"leaked_bytes", s.bytes}, {"allocations", s.allocs}, {"allocated_bytes", s.alloc_bytes}, {"stack", stack}};
}

nlohmann::json profile_json(const Profile& p, const Analysis& a, int top) {
  nlohmann::json calls = nlohmann::json::object();
  for (const auto& c : p.calls) calls[c.function] = c.calls;
  nlohmann::json classes = nlohmann::json::array();
  for (const auto& c : p.size_classes)
    classes.push_back({{"class", c.size_class}, {"min_bytes", c.size_class == 0 ? 0 : (uint64_t{1} << c.size_class)},
                       {"count", c.count}, {"bytes", c.bytes}});
  nlohmann::json samples = nlohmann::json::array();
  for (const auto& s : p.samples) samples.push_back({{"t_ns", s.t_ns}, {"live_bytes", s.live_bytes}, {"rss_bytes", s.rss_bytes}});
  nlohmann::json user = nlohmann::json::array();
  for (const auto& s : a.user_leaks) user.push_back(site_json(s));
  nlohmann::json libs = nlohmann::json::array();
  for (const auto& l : a.library_leaks) libs.push_back({{"library", l.library}, {"leaked_blocks", l.count}, {"leaked_bytes", l.bytes}});
  nlohmann::json sites = nlohmann::json::array();
  for (int i = 0; i < static_cast<int>(a.top_allocation_sites.size()) && i < top; ++i)
    sites.push_back(site_json(a.top_allocation_sites[i]));
  nlohmann::json j = {
      {"file", p.path.string()}, {"pid", p.pid}, {"host", p.host}, {"exe", p.exe},
      {"start_ns", p.start_ns}, {"end_ns", p.end_ns}, {"threads", p.threads}, {"partial", p.partial},
      {"calls", calls}, {"allocations", p.allocations}, {"allocated_bytes", p.allocated_bytes},
      {"frees", p.frees}, {"freed_bytes", p.freed_bytes}, {"live_blocks_at_exit", p.live_blocks},
      {"live_bytes_at_exit", p.live_bytes}, {"peak_live_bytes", p.peak_live_bytes},
      {"rss_bytes_at_exit", p.rss_bytes}, {"rss_hwm_bytes", p.rss_hwm_bytes}, {"efficiency", a.efficiency},
      {"mmap_bytes", p.mmap_bytes}, {"mmap_anonymous_bytes", p.mmap_anonymous_bytes}, {"munmap_bytes", p.munmap_bytes},
      {"untracked_blocks", p.untracked_blocks}, {"sites_dropped", p.sites_dropped},
      {"bootstrap_allocations", p.bootstrap_allocations},
      {"size_classes", classes}, {"samples", samples}, {"user_leaks", user}, {"library_leaks", libs},
      {"top_allocation_sites", sites}};
  if (p.rank) j["rank"] = *p.rank;
  if (!p.slurm_job.empty()) j["slurm_job"] = p.slurm_job;
  if (!p.slurm_step.empty()) j["slurm_step"] = p.slurm_step;
  return j;
}

void profile_text(std::ostringstream& out, const Profile& p, const Analysis& a, int top) {
  out << printable(p.path.string()) << ": " << printable(p.exe) << ", pid " << p.pid << " on " << printable(p.host);
  if (p.rank) out << ", rank " << *p.rank;
  out << (p.partial ? "  [PARTIAL: tables were full]" : "") << "\n";
  out << "  allocations " << p.allocations << " (" << human_bytes(p.allocated_bytes) << "), frees " << p.frees
      << " (" << human_bytes(p.freed_bytes) << ")\n";
  out << "  peak live " << human_bytes(p.peak_live_bytes) << ", live at exit " << human_bytes(p.live_bytes) << " in "
      << p.live_blocks << " blocks\n";
  char eff[32];
  std::snprintf(eff, sizeof eff, "%.1f%%", 100.0 * a.efficiency);
  out << "  RSS high-water " << human_bytes(p.rss_hwm_bytes) << ", allocator efficiency (peak live / RSS) " << eff << "\n";
  if (p.mmap_bytes || p.munmap_bytes)
    out << "  mmap " << p.calls_of("mmap") << " calls (" << human_bytes(p.mmap_bytes) << ", anonymous "
        << human_bytes(p.mmap_anonymous_bytes) << "), munmap " << p.calls_of("munmap") << " calls ("
        << human_bytes(p.munmap_bytes) << ")\n";
  out << "  leaks in your code:" << (a.user_leaks.empty() ? " none\n" : "\n");
  for (int i = 0; i < static_cast<int>(a.user_leaks.size()) && i < top; ++i) {
    const auto& s = a.user_leaks[i];
    out << "    " << s.count << " blocks, " << s.bytes << " bytes: " << where(s.frame) << "\n";
  }
  if (!a.library_leaks.empty()) {
    out << "  never freed by libraries (not your code):\n";
    for (const auto& l : a.library_leaks)
      out << "    " << l.count << " blocks, " << l.bytes << " bytes: " << printable(l.library) << "\n";
  }
  out << "  size classes (count, bytes):";
  for (const auto& c : p.size_classes)
    out << " [" << (c.size_class == 0 ? 0 : (uint64_t{1} << c.size_class)) << "+) " << c.count << " " << human_bytes(c.bytes) << ";";
  out << "\n";
}

}  // namespace

std::string render_report(const std::vector<Profile>& profiles, const std::vector<Analysis>& analyses,
                          ReportFormat format, int top_sites) {
  if (format == ReportFormat::json) {
    nlohmann::json all = nlohmann::json::array();
    for (size_t i = 0; i < profiles.size(); ++i) all.push_back(profile_json(profiles[i], analyses[i], top_sites));
    return nlohmann::json{{"profiles", all}}.dump(2) + "\n";
  }
  std::ostringstream out;
  for (size_t i = 0; i < profiles.size(); ++i) profile_text(out, profiles[i], analyses[i], top_sites);
  return out.str();
}

}  // namespace hpcmon::mem
