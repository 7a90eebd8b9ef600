#include "mpi_api.hpp"

#include <dlfcn.h>
#include <time.h>

#include <algorithm>

#define HPCMON_STR2(x) #x
#define HPCMON_STR(x) HPCMON_STR2(x)

namespace hpcmon::mpi {

MpiApi g_mpi;

namespace {

// The MPI library when it sits in a local scope; RTLD_NOLOAD never loads anything.
void* local_mpi_library() {
  static void* handle = nullptr;
  if (!handle) handle = dlopen(HPCMON_LIBMPI_SONAME, RTLD_LAZY | RTLD_NOLOAD);
  return handle;
}

template <class T>
bool find(T& out, const char* name, const char** missing) {
  void* sym = mpi_symbol(name);
  if (!sym) {
    *missing = name;
    return false;
  }
  out = reinterpret_cast<T>(sym);
  return true;
}

}  // namespace

void* mpi_symbol(const char* name) {
  if (void* sym = dlsym(RTLD_DEFAULT, name)) return sym;
  void* lib = local_mpi_library();
  return lib ? dlsym(lib, name) : nullptr;
}

void* next_mpi_symbol(const char* name) {
  if (void* sym = dlsym(RTLD_NEXT, name)) return sym;
  void* lib = local_mpi_library();
  return lib ? dlsym(lib, name) : nullptr;
}

const char* built_for_mpi() {
  return "Open MPI v" HPCMON_STR(OMPI_MAJOR_VERSION) "." HPCMON_STR(OMPI_MINOR_VERSION);
}

bool resolve_mpi_api(const char** missing) {
  MpiApi a;
  bool ok = find(a.comm_world, "ompi_mpi_comm_world", missing) &&
            find(a.comm_null, "ompi_mpi_comm_null", missing) &&
            find(a.comm_self, "ompi_mpi_comm_self", missing) &&
            find(a.byte, "ompi_mpi_byte", missing) && find(a.uint64, "ompi_mpi_uint64_t", missing) &&
            find(a.int64, "ompi_mpi_int64_t", missing) &&
            find(a.request_null, "ompi_request_null", missing) &&
            find(a.Type_size_x, "PMPI_Type_size_x", missing) &&
            find(a.Comm_rank, "PMPI_Comm_rank", missing) &&
            find(a.Comm_size, "PMPI_Comm_size", missing) &&
            find(a.Comm_remote_size, "PMPI_Comm_remote_size", missing) &&
            find(a.Comm_test_inter, "PMPI_Comm_test_inter", missing) &&
            find(a.Comm_group, "PMPI_Comm_group", missing) &&
            find(a.Comm_remote_group, "PMPI_Comm_remote_group", missing) &&
            find(a.Comm_dup, "PMPI_Comm_dup", missing) &&
            find(a.Comm_free, "PMPI_Comm_free", missing) &&
            find(a.Group_translate_ranks, "PMPI_Group_translate_ranks", missing) &&
            find(a.Group_free, "PMPI_Group_free", missing) &&
            find(a.Topo_test, "PMPI_Topo_test", missing) &&
            find(a.Cartdim_get, "PMPI_Cartdim_get", missing) &&
            find(a.Graph_neighbors_count, "PMPI_Graph_neighbors_count", missing) &&
            find(a.Dist_graph_neighbors_count, "PMPI_Dist_graph_neighbors_count", missing) &&
            find(a.Bcast, "PMPI_Bcast", missing) && find(a.Gather, "PMPI_Gather", missing) &&
            find(a.Gatherv, "PMPI_Gatherv", missing) &&
            find(a.Send, "PMPI_Send", missing) && find(a.Recv, "PMPI_Recv", missing) &&
            find(a.Isend, "PMPI_Isend", missing) && find(a.Irecv, "PMPI_Irecv", missing) &&
            find(a.Test, "PMPI_Test", missing) &&
            find(a.Type_contiguous, "PMPI_Type_contiguous", missing) &&
            find(a.Type_commit, "PMPI_Type_commit", missing) &&
            find(a.Type_free, "PMPI_Type_free", missing) &&
            find(a.Get_library_version, "PMPI_Get_library_version", missing);
  if (ok) g_mpi = a;
  return ok;
}

void wait_gently(MPI_Request* request, long max_sleep_ns) {
  int done = 0;
  for (int i = 0; i < 100; ++i) {
    g_mpi.Test(request, &done, MPI_STATUS_IGNORE);
    if (done) return;
  }
  long sleep_ns = 20000;
  for (;;) {
    timespec pause{0, sleep_ns};
    nanosleep(&pause, nullptr);
    g_mpi.Test(request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    sleep_ns = std::min(sleep_ns * 2, max_sleep_ns);
  }
}

}  // namespace hpcmon::mpi
