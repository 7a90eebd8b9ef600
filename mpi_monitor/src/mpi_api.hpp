// The MPI this preload forwards to, found with dlsym at MPI_Init: predefined handles
// (Open MPI's MPI_COMM_WORLD is the address of ompi_mpi_comm_world, so using the macro
// would link libmpi) and the PMPI_* entries the tool calls itself. Internal calls go
// straight to PMPI_*, so they are never counted and never pass through another tool.
#pragma once

#include <mpi.h>

namespace hpcmon::mpi {

struct MpiApi {
  // Predefined handles.
  MPI_Comm comm_world = nullptr, comm_null = nullptr, comm_self = nullptr;
  MPI_Datatype byte = nullptr, uint64 = nullptr, int64 = nullptr;
  MPI_Request request_null = nullptr;

  int (*Type_size_x)(MPI_Datatype, MPI_Count*) = nullptr;
  int (*Comm_rank)(MPI_Comm, int*) = nullptr;
  int (*Comm_size)(MPI_Comm, int*) = nullptr;
  int (*Comm_remote_size)(MPI_Comm, int*) = nullptr;
  int (*Comm_test_inter)(MPI_Comm, int*) = nullptr;
  int (*Comm_group)(MPI_Comm, MPI_Group*) = nullptr;
  int (*Comm_remote_group)(MPI_Comm, MPI_Group*) = nullptr;
  int (*Comm_dup)(MPI_Comm, MPI_Comm*) = nullptr;
  int (*Comm_free)(MPI_Comm*) = nullptr;
  int (*Group_translate_ranks)(MPI_Group, int, const int[], MPI_Group, int[]) = nullptr;
  int (*Group_free)(MPI_Group*) = nullptr;
  int (*Topo_test)(MPI_Comm, int*) = nullptr;
  int (*Cartdim_get)(MPI_Comm, int*) = nullptr;
  int (*Graph_neighbors_count)(MPI_Comm, int, int*) = nullptr;
  int (*Dist_graph_neighbors_count)(MPI_Comm, int*, int*, int*) = nullptr;
  int (*Bcast)(void*, int, MPI_Datatype, int, MPI_Comm) = nullptr;
  int (*Gather)(const void*, int, MPI_Datatype, void*, int, MPI_Datatype, int, MPI_Comm) = nullptr;
  int (*Gatherv)(const void*, int, MPI_Datatype, void*, const int[], const int[], MPI_Datatype,
                 int, MPI_Comm) = nullptr;
  int (*Send)(const void*, int, MPI_Datatype, int, int, MPI_Comm) = nullptr;
  int (*Recv)(void*, int, MPI_Datatype, int, int, MPI_Comm, MPI_Status*) = nullptr;
  int (*Isend)(const void*, int, MPI_Datatype, int, int, MPI_Comm, MPI_Request*) = nullptr;
  int (*Irecv)(void*, int, MPI_Datatype, int, int, MPI_Comm, MPI_Request*) = nullptr;
  int (*Test)(MPI_Request*, int*, MPI_Status*) = nullptr;
  int (*Type_contiguous)(int, MPI_Datatype, MPI_Datatype*) = nullptr;
  int (*Type_commit)(MPI_Datatype*) = nullptr;
  int (*Type_free)(MPI_Datatype*) = nullptr;
  int (*Get_library_version)(char*, int*) = nullptr;
};

extern MpiApi g_mpi;

// A symbol of the MPI library: from the global scope, else from the MPI library itself when
// it was loaded into a local scope (Python's mpi4py dlopens libmpi RTLD_LOCAL, yet its calls
// reach our wrappers, which come first in the global scope). nullptr when neither has it.
void* mpi_symbol(const char* name);
// The next definition of a wrapped MPI function: RTLD_NEXT (another PMPI tool, else libmpi),
// else the MPI library's own definition as above.
void* next_mpi_symbol(const char* name);

// Fills g_mpi from the process's global scope. False (and a reason) when a symbol is
// missing, i.e. the program runs another MPI than the one this preload was built for.
bool resolve_mpi_api(const char** missing_symbol);

// Completes `request` without holding a core: Open MPI's blocking calls poll without pause,
// and ranks that wait for rank 0 at MPI_Finalize (while it writes the record) would take the
// cores it needs. A short run of tests first (a message about to arrive costs no sleep), then
// sleeps doubling from 20 us up to `max_sleep_ns`, testing after each.
void wait_gently(MPI_Request* request, long max_sleep_ns);

// "Open MPI v4.1" for the Open MPI this preload was compiled against.
const char* built_for_mpi();

}  // namespace hpcmon::mpi
