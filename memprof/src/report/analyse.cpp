// Attribution of each call site: which frame owns the allocation.
#include <algorithm>
#include <array>
#include <map>

#include "symbolise.hpp"

namespace hpcmon::mem {
namespace {

std::string base_name(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool is_profiler(const std::string& module) { return base_name(module).starts_with("libhpcmon_mem"); }

// hpcmon's own preloads and their companions are never the user's code, wherever installed.
bool is_hpcmon_tool(const std::string& module) { return base_name(module).starts_with("libhpcmon_"); }

// The C and C++ runtimes allocate on their caller's behalf through these entry points; any other
// of their functions allocates for the runtime itself (stdio buffers, locale tables...).
bool is_runtime(const std::string& module) {
  const std::string name = base_name(module);
  return name.starts_with("libc.so") || name.starts_with("libstdc++.so") || name.starts_with("libgcc_s.so");
}

bool is_allocator_entry(const std::string& symbol) {
  static const std::array<std::string_view, 27> entries = {
      "malloc", "calloc", "realloc", "reallocarray", "free", "posix_memalign", "aligned_alloc",
      "memalign", "valloc", "pvalloc", "strdup", "__strdup", "strndup", "__strndup", "wcsdup",
      "asprintf", "__asprintf", "vasprintf", "getline", "getdelim", "__getdelim", "realpath",
      "canonicalize_file_name", "open_memstream", "open_wmemstream", "scandir", "tempnam"};
  if (std::find(entries.begin(), entries.end(), symbol) != entries.end()) return true;
  // operator new and new[] in all their overloads
  return symbol.starts_with("_Znwm") || symbol.starts_with("_Znam");
}

// Objects of the system (packages): everything else mapped is the user's own code.
bool is_system_path(const std::string& path) {
  for (const char* prefix : {"/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/", "/usr/libexec/"})
    if (path.starts_with(prefix)) return true;
  return path.empty() || path.front() == '[';
}

bool is_user_module(const std::string& module, const std::string& exe) {
  return !module.empty() && (module == exe || (!is_system_path(module) && !is_hpcmon_tool(module)));
}

LeakSite attribute(const SiteRecord& site, const std::string& exe, Symboliser& symbols) {
  LeakSite leak;
  leak.count = site.leak_count;
  leak.bytes = site.leak_bytes;
  leak.allocs = site.allocs;
  leak.alloc_bytes = site.alloc_bytes;
  for (uint64_t address : site.frames) leak.stack.push_back(symbols.frame(address, site.epoch));
  bool decided = false;
  for (const Frame& f : leak.stack) {
    if (is_profiler(f.module)) continue;
    if (is_runtime(f.module) && is_allocator_entry(f.symbol)) continue;
    leak.frame = f;
    leak.user = is_user_module(f.module, exe) && !is_profiler(f.module);
    leak.owner = leak.user ? "user" : (f.module.empty() ? "unknown" : base_name(f.module));
    decided = true;
    break;
  }
  if (!decided) {  // only allocator entries and the profiler: the runtime allocated for itself
    leak.owner = "unknown";
    for (auto it = leak.stack.rbegin(); it != leak.stack.rend(); ++it)
      if (!is_profiler(it->module) && !it->module.empty()) {
        leak.frame = *it;
        leak.owner = base_name(it->module);
        break;
      }
  }
  return leak;
}

}  // namespace

Analysis analyse(const Profile& profile) {
  Analysis a;
  Symboliser symbols(profile);
  std::map<std::string, LibraryLeaks> libraries;
  // Leaks of the same source line (or, without line information, the same return address)
  // reached through different stacks are one site: an unrolled loop has several call
  // instructions on one line.
  std::map<std::string, LeakSite> user_sites;
  for (const SiteRecord& site : profile.sites) {
    LeakSite leak = attribute(site, profile.exe, symbols);
    if (site.leak_count > 0) {
      if (leak.user) {
        const std::string key = leak.frame.module + "\n" + leak.frame.function + "\n" +
                                (leak.frame.file.empty() ? std::to_string(leak.frame.address)
                                                         : leak.frame.file + ":" + std::to_string(leak.frame.line));
        auto [it, fresh] = user_sites.try_emplace(key, leak);
        if (!fresh) {
          it->second.count += leak.count;
          it->second.bytes += leak.bytes;
          it->second.allocs += leak.allocs;
          it->second.alloc_bytes += leak.alloc_bytes;
        }
      } else {
        auto& lib = libraries[leak.owner];
        lib.library = leak.owner;
        lib.count += leak.count;
        lib.bytes += leak.bytes;
      }
    }
    a.top_allocation_sites.push_back(std::move(leak));
  }
  for (auto& [key, site] : user_sites) a.user_leaks.push_back(std::move(site));
  for (auto& [name, lib] : libraries) a.library_leaks.push_back(lib);
  if (profile.unattributed_leaks > 0)
    a.library_leaks.push_back({"(no stack)", profile.unattributed_leaks, profile.unattributed_leak_bytes});
  a.unattributed_count = profile.unattributed_leaks;
  a.unattributed_bytes = profile.unattributed_leak_bytes;
  std::sort(a.user_leaks.begin(), a.user_leaks.end(), [](const auto& x, const auto& y) { return x.bytes > y.bytes; });
  std::sort(a.library_leaks.begin(), a.library_leaks.end(), [](const auto& x, const auto& y) { return x.bytes > y.bytes; });
  std::sort(a.top_allocation_sites.begin(), a.top_allocation_sites.end(),
            [](const auto& x, const auto& y) { return x.alloc_bytes > y.alloc_bytes; });
  if (profile.rss_hwm_bytes > 0)
    a.efficiency = static_cast<double>(profile.peak_live_bytes) / static_cast<double>(profile.rss_hwm_bytes);
  return a;
}

}  // namespace hpcmon::mem
