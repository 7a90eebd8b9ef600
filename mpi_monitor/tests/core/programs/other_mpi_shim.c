/* Preloaded behind libhpcmon_mpi.so, makes the running MPI claim to be another library:
 * the preload must then stay inert (one line on rank 0, no record, program unchanged). */
#include <string.h>

int PMPI_Get_library_version(char *version, int *resultlen) {
  static const char kOther[] = "MPICH Version: 4.0.2 (pretend)";
  memcpy(version, kOther, sizeof kOther);
  *resultlen = (int)sizeof kOther - 1;
  return 0;
}
