// Objects unloaded with dlclose before exit (Open MPI closes its components, and the libraries
// they brought, in MPI_Finalize): their load bias and path are kept, with an epoch counting the
// dlclose calls that unloaded something, so that call sites captured while they were loaded still
// symbolise although /proc/self/maps no longer lists them at exit, or lists another object loaded
// later at the same addresses. The loaded objects are listed (dl_iterate_phdr) before and after the
// real dlclose; those gone are the unloaded ones, dependencies included.
#include <dlfcn.h>
#include <link.h>

#include <cstring>

#include "state.hpp"

namespace hpcmon::mem {

UnloadedObject unloaded_objects[kUnloadedObjects];
std::atomic<int> unloaded_count{0};
std::atomic<uint32_t> unload_epoch{0};

namespace {

constexpr int kListed = 1024;
struct Listed {
  uintptr_t base;
  char path[256];
  bool present;
};
Listed before[kListed];
int before_count = 0;
std::atomic<bool> list_lock{false};
int (*real_dlclose)(void*) = nullptr;

int list_before(dl_phdr_info* info, size_t, void*) {
  if (before_count < kListed && info->dlpi_name != nullptr && info->dlpi_name[0] == '/') {
    Listed& l = before[before_count++];
    l.base = info->dlpi_addr;
    strncpy(l.path, info->dlpi_name, sizeof l.path - 1);
    l.path[sizeof l.path - 1] = '\0';
    l.present = false;
  }
  return 0;
}

int mark_present(dl_phdr_info* info, size_t, void*) {
  for (int i = 0; i < before_count; ++i)
    if (before[i].base == info->dlpi_addr) before[i].present = true;
  return 0;
}

}  // namespace

}  // namespace hpcmon::mem

using namespace hpcmon::mem;

extern "C" __attribute__((visibility("default"))) int dlclose(void* handle) {
  if (real_dlclose == nullptr) real_dlclose = reinterpret_cast<int (*)(void*)>(dlsym(RTLD_NEXT, "dlclose"));
  // Another dlclose records (a destructor's nested dlclose, or another thread): no wait, since
  // that thread may wait for the loader's lock this one would hold.
  if (!tracking_ready() || reentry_depth != 0 || list_lock.exchange(true, std::memory_order_acquire))
    return real_dlclose(handle);
  {
    ReentryGuard guard;
    before_count = 0;
    dl_iterate_phdr(list_before, nullptr);
  }
  // Unguarded: the destructors of the closed objects free memory that must leave the table.
  const int rc = real_dlclose(handle);
  ReentryGuard guard;
  dl_iterate_phdr(mark_present, nullptr);
  bool any = false;
  for (int i = 0; i < before_count; ++i) {
    if (before[i].present) continue;
    const int slot = unloaded_count.fetch_add(1, std::memory_order_acq_rel);
    if (slot >= kUnloadedObjects) break;
    if (!any) unload_epoch.fetch_add(1, std::memory_order_acq_rel);
    any = true;
    UnloadedObject& u = unloaded_objects[slot];
    u.epoch = unload_epoch.load(std::memory_order_acquire);
    u.base = before[i].base;
    memcpy(u.path, before[i].path, sizeof u.path);
  }
  list_lock.store(false, std::memory_order_release);
  return rc;
}
