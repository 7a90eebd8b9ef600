// State shared by the lifecycle entry points (lifecycle.cpp) and the session (session.cpp).
#pragma once

#include <cstdint>

namespace hpcmon::mpi {

extern bool g_active;  // MPI_Init of our MPI succeeded and the tool is enabled

// After the next MPI_Init/MPI_Init_thread succeeded; init_ticks is the call's duration,
// `init_function` the Fn id of the call (MPI_Init or MPI_Init_thread).
void session_start(int init_function, std::uint64_t init_ticks);
// Inside MPI_Finalize, before PMPI_Finalize: gather, write, print one line (rank 0).
void session_finish();
// Inside MPI_Abort, before the real abort: this rank writes a partial record of itself.
void session_abort(int errorcode);
// MPI_Pcontrol: 0 stops recording, any positive level records.
void session_pcontrol(int level);

}  // namespace hpcmon::mpi
