// Fortran lifecycle entries (mpif.h and `use mpi`), written by hand like lifecycle.cpp:
// Open MPI's pmpi_init_ calls PMPI_Init, never MPI_Init, so a Fortran program's MPI_Init is
// seen only here and must start the same session. Also the dlsym lookups of fortran_api.hpp.
#include <dlfcn.h>
#include <mpi.h>
#include <unistd.h>
#include <x86intrin.h>

#include <cstdio>
#include <cstdlib>

#include "fortran_api.hpp"
#include "lifecycle.hpp"
#include "mpi_api.hpp"
#include "runtime.hpp"

namespace hm = hpcmon::mpi;

namespace hpcmon::mpi {

void* g_fortran_next[kFunctionCount];

void* resolve_fortran_next(Fn fn, const char* pmpi_name) {
  void* p = mpi_symbol(pmpi_name);
  if (!p) {
    std::fprintf(stderr, "hpcmon: %s not found: the program calls a Fortran MPI entry without "
                 "the MPI's Fortran library\n", pmpi_name);
    std::abort();
  }
  g_fortran_next[fn] = p;
  return p;
}

namespace {

template <class T>
void find(T& out, const char* name) {
  out = reinterpret_cast<T>(mpi_symbol(name));
}

void find_common(const void* (&out)[4], const char* lower) {
  // gfortran names a common block <name>_; other compilers use <name>, <name>__ or upper case.
  char buf[96];
  const char* forms[4] = {"%s_", "%s", "%s__", "%s"};
  for (int i = 0; i < 4; ++i) {
    std::snprintf(buf, sizeof buf, forms[i], lower);
    if (i == 3)
      for (char* c = buf; *c; ++c) *c = static_cast<char>(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    out[i] = mpi_symbol(buf);
  }
}

FortranApi load_fortran_api() {
  FortranApi a;
  find(a.Comm_f2c, "PMPI_Comm_f2c");
  find(a.Type_f2c, "PMPI_Type_f2c");
  find(a.Op_f2c, "PMPI_Op_f2c");
  find(a.Group_f2c, "PMPI_Group_f2c");
  find(a.Info_f2c, "PMPI_Info_f2c");
  find(a.Win_f2c, "PMPI_Win_f2c");
  find(a.Errhandler_f2c, "PMPI_Errhandler_f2c");
  find(a.Message_f2c, "PMPI_Message_f2c");
  find(a.Request_f2c, "PMPI_Request_f2c");
  find(a.File_f2c, "PMPI_File_f2c");
  find(a.Status_f2c, "PMPI_Status_f2c");
  find_common(a.bottom, "mpi_fortran_bottom");
  find_common(a.in_place, "mpi_fortran_in_place");
  find_common(a.status_ignore, "mpi_fortran_status_ignore");
  find_common(a.statuses_ignore, "mpi_fortran_statuses_ignore");
  return a;
}

template <class F>
int guarded(F&& f) {
  ++t_state.depth;
  int rc = f();
  --t_state.depth;
  return rc;
}

}  // namespace

const FortranApi& fortran_api() {
  static const FortranApi api = load_fortran_api();
  return api;
}

}  // namespace hpcmon::mpi

namespace {

using FVoid = void (*)(MPI_Fint*);

void* pmpi(hm::Fn fn, const char* name) { return hm::fortran_next(fn, name); }

}  // namespace

HPCMON_FORTRAN_ENTRY void mpi_init_(MPI_Fint* ierr) {
  auto next = reinterpret_cast<FVoid>(pmpi(hm::F_MPI_Init, "pmpi_init_"));
  const std::uint64_t t0 = __rdtsc();
  hm::guarded([&] { next(ierr); return 0; });
  if (*ierr == MPI_SUCCESS) hm::session_start(hm::F_MPI_Init, __rdtsc() - t0);
}

HPCMON_FORTRAN_ENTRY void mpi_init_thread_(MPI_Fint* required, MPI_Fint* provided, MPI_Fint* ierr) {
  auto next = reinterpret_cast<void (*)(MPI_Fint*, MPI_Fint*, MPI_Fint*)>(
      pmpi(hm::F_MPI_Init_thread, "pmpi_init_thread_"));
  const std::uint64_t t0 = __rdtsc();
  hm::guarded([&] { next(required, provided, ierr); return 0; });
  if (*ierr == MPI_SUCCESS) hm::session_start(hm::F_MPI_Init_thread, __rdtsc() - t0);
}

HPCMON_FORTRAN_ENTRY void mpi_finalize_(MPI_Fint* ierr) {
  auto next = reinterpret_cast<FVoid>(pmpi(hm::F_MPI_Finalize, "pmpi_finalize_"));
  if (hm::g_active && hm::t_state.depth == 0) hm::session_finish();
  hm::guarded([&] { next(ierr); return 0; });
}

HPCMON_FORTRAN_ENTRY void mpi_abort_(MPI_Fint* comm, MPI_Fint* errorcode, MPI_Fint* ierr) {
  auto next = reinterpret_cast<void (*)(MPI_Fint*, MPI_Fint*, MPI_Fint*)>(
      pmpi(hm::F_MPI_Abort, "pmpi_abort_"));
  if (hm::g_active && hm::t_state.depth == 0) hm::session_abort(*errorcode);
  next(comm, errorcode, ierr);
}

// The other manglings of the same entries.
HPCMON_FORTRAN_ENTRY void mpi_init(MPI_Fint*) __attribute__((alias("mpi_init_")));
HPCMON_FORTRAN_ENTRY void mpi_init__(MPI_Fint*) __attribute__((alias("mpi_init_")));
HPCMON_FORTRAN_ENTRY void MPI_INIT(MPI_Fint*) __attribute__((alias("mpi_init_")));
HPCMON_FORTRAN_ENTRY void mpi_init_thread(MPI_Fint*, MPI_Fint*, MPI_Fint*) __attribute__((alias("mpi_init_thread_")));
HPCMON_FORTRAN_ENTRY void mpi_init_thread__(MPI_Fint*, MPI_Fint*, MPI_Fint*) __attribute__((alias("mpi_init_thread_")));
HPCMON_FORTRAN_ENTRY void MPI_INIT_THREAD(MPI_Fint*, MPI_Fint*, MPI_Fint*) __attribute__((alias("mpi_init_thread_")));
HPCMON_FORTRAN_ENTRY void mpi_finalize(MPI_Fint*) __attribute__((alias("mpi_finalize_")));
HPCMON_FORTRAN_ENTRY void mpi_finalize__(MPI_Fint*) __attribute__((alias("mpi_finalize_")));
HPCMON_FORTRAN_ENTRY void MPI_FINALIZE(MPI_Fint*) __attribute__((alias("mpi_finalize_")));
HPCMON_FORTRAN_ENTRY void mpi_abort(MPI_Fint*, MPI_Fint*, MPI_Fint*) __attribute__((alias("mpi_abort_")));
HPCMON_FORTRAN_ENTRY void mpi_abort__(MPI_Fint*, MPI_Fint*, MPI_Fint*) __attribute__((alias("mpi_abort_")));
HPCMON_FORTRAN_ENTRY void MPI_ABORT(MPI_Fint*, MPI_Fint*, MPI_Fint*) __attribute__((alias("mpi_abort_")));
