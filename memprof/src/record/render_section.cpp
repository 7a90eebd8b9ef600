// The "Memory" section of `hpcmon report` (memprof_record.hpp).
#include <cstdio>
#include <sstream>

#include "hpcmon/memprof_record.hpp"

namespace hpcmon::mem {
namespace {

std::string bytes_text(uint64_t b) {
  char buf[32];
  if (b >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", double(b) / double(1ull << 30));
  else if (b >= (1ull << 20)) std::snprintf(buf, sizeof buf, "%.2f MiB", double(b) / double(1ull << 20));
  else if (b >= (1ull << 10)) std::snprintf(buf, sizeof buf, "%.1f KiB", double(b) / 1024.0);
  else std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
  return buf;
}

}  // namespace

std::string render_memory_section(const std::vector<StoredProcess>& processes, int top_sites) {
  if (processes.empty()) return {};
  std::ostringstream o;
  o << "Memory (libhpcmon_mem, docs/memory-profiling.md):\n";
  for (const StoredProcess& p : processes) {
    o << "  " << (p.rank ? "rank " + std::to_string(*p.rank) : std::string("process")) << "  " << p.name
      << "  " << p.exe << (p.partial ? "  (partial profile)" : "") << "\n";
    char eff[32];
    std::snprintf(eff, sizeof eff, "%.2f", p.efficiency);
    o << "    allocations " << p.allocations << " (" << bytes_text(p.allocated_bytes) << "), peak live "
      << bytes_text(p.peak_live_bytes) << ", RSS high-water " << bytes_text(p.rss_hwm_bytes) << ", efficiency "
      << eff << "\n";
    o << "    never freed: " << p.live_blocks << " blocks, " << p.live_bytes << " bytes\n";
    int shown = 0;
    for (const StoredLeak& l : p.user_leaks) {
      if (shown++ >= top_sites) break;
      o << "    leak " << l.count << " blocks " << l.bytes << " bytes  " << (l.function.empty() ? "??" : l.function);
      if (!l.file.empty()) o << "  " << l.file << ":" << l.line;
      o << "\n";
    }
    for (const LibraryLeaks& l : p.library_leaks)
      o << "    library " << l.library << ": " << l.count << " blocks " << l.bytes << " bytes\n";
  }
  return o.str();
}

}  // namespace hpcmon::mem
