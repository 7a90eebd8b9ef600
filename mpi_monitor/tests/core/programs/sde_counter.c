/* A program with its own Software Defined Event (libsde, linked normally so PAPI's SDE
 * component finds it in the global scope): MPISDE::OPS counts 1234 operations per rank
 * between MPI_Init and MPI_Finalize. */
#include <mpi.h>
#include <sde_lib.h>

static long long operations;

int main(int argc, char **argv) {
  papi_handle_t handle = papi_sde_init("MPISDE");
  papi_sde_register_counter(handle, "OPS", PAPI_SDE_RO | PAPI_SDE_DELTA, PAPI_SDE_long_long, &operations);
  MPI_Init(&argc, &argv);
  for (int i = 0; i < 1234; ++i) ++*(volatile long long *)&operations;
  MPI_Finalize();
  return 0;
}
