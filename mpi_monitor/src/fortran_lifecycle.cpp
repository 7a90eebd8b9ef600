// Fortran lifecycle entries (mpif.h and `use mpi`; `use mpi_f08`), written by hand like
// lifecycle.cpp: Open MPI's pmpi_init_ and pmpi_init_f08_ call PMPI_Init, never MPI_Init, so a
// Fortran program's MPI_Init is seen only here and must start the same session. Also the
// dlsym lookups of fortran_api.hpp and the per-thread scratch block of fortran_arrays.hpp.
#include <dlfcn.h>
#include <mpi.h>
#include <pthread.h>
#include <unistd.h>
#include <x86intrin.h>

#include <cstdio>
#include <cstdlib>

#include "fortran_api.hpp"
#include "fortran_arrays.hpp"
#include "lifecycle.hpp"
#include "mpi_api.hpp"
#include "runtime.hpp"

namespace hm = hpcmon::mpi;

namespace hpcmon::mpi {

void* g_fortran_next[kFunctionCount];
void* g_fortran_f08_next[kFunctionCount];

void* resolve_fortran_next(void** slot, const char* pmpi_name) {
  void* p = mpi_symbol(pmpi_name);
  if (!p) {
    std::fprintf(stderr, "hpcmon: %s not found: the program calls a Fortran MPI entry without "
                 "the MPI's Fortran library\n", pmpi_name);
    std::abort();
  }
  *slot = p;
  return p;
}

__thread char* t_fortran_scratch HPCMON_TLS = nullptr;
__thread std::size_t t_fortran_scratch_size HPCMON_TLS = 0;

namespace {

pthread_key_t g_scratch_key;
pthread_once_t g_scratch_once = PTHREAD_ONCE_INIT;

void make_scratch_key() {
  // The block of a thread that ends is freed with it.
  pthread_key_create(&g_scratch_key, [](void* block) { std::free(block); });
}

}  // namespace

char* fortran_scratch_grow(std::size_t bytes) {
  pthread_once(&g_scratch_once, make_scratch_key);
  std::size_t size = t_fortran_scratch_size ? 2 * t_fortran_scratch_size : 16384;
  if (size < bytes) size = bytes;
  char* block = static_cast<char*>(std::malloc(size));
  if (!block) return nullptr;
  std::free(t_fortran_scratch);
  t_fortran_scratch = block;
  t_fortran_scratch_size = size;
  pthread_setspecific(g_scratch_key, block);
  return block;
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

FortranApi g_fortran_api;
std::atomic<bool> g_fortran_api_ready{false};

const FortranApi& load_fortran_api_once() {
  // pthread_once, not std::call_once: the latter reaches libstdc++'s thread-locals through
  // __tls_get_addr, which would make the preload need ld.so.
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, [] {
    g_fortran_api = load_fortran_api();
    g_fortran_api_ready.store(true, std::memory_order_release);
  });
  return g_fortran_api;
}

}  // namespace hpcmon::mpi

namespace {

using FVoid = void (*)(MPI_Fint*);
using FInitThread = void (*)(MPI_Fint*, MPI_Fint*, MPI_Fint*);
using FAbort = void (*)(MPI_Fint*, MPI_Fint*, MPI_Fint*);

// The pmpi entry of one binding: mpif.h/`use mpi` or `use mpi_f08`.
enum class Binding { mpifh, f08 };
template <Binding B>
void* pmpi(hm::Fn fn, const char* mpifh_name, const char* f08_name) {
  return B == Binding::f08 ? hm::fortran_f08_next(fn, f08_name) : hm::fortran_next(fn, mpifh_name);
}

// `ierror` is optional in mpi_f08: absent, it arrives as a null pointer.
template <Binding B>
void init(MPI_Fint* ierr) {
  auto next = reinterpret_cast<FVoid>(pmpi<B>(hm::F_MPI_Init, "pmpi_init_", "pmpi_init_f08_"));
  MPI_Fint own = 0;
  MPI_Fint* e = ierr ? ierr : &own;
  hm::clock_select();
  const std::uint64_t t0 = hm::read_ticks();
  hm::guarded([&] { next(e); return 0; });
  if (*e == MPI_SUCCESS) hm::session_start(hm::F_MPI_Init, hm::read_ticks() - t0);
}

template <Binding B>
void init_thread(MPI_Fint* required, MPI_Fint* provided, MPI_Fint* ierr) {
  auto next = reinterpret_cast<FInitThread>(
      pmpi<B>(hm::F_MPI_Init_thread, "pmpi_init_thread_", "pmpi_init_thread_f08_"));
  MPI_Fint own = 0;
  MPI_Fint* e = ierr ? ierr : &own;
  hm::clock_select();
  const std::uint64_t t0 = hm::read_ticks();
  hm::guarded([&] { next(required, provided, e); return 0; });
  if (*e == MPI_SUCCESS) hm::session_start(hm::F_MPI_Init_thread, hm::read_ticks() - t0);
}

template <Binding B>
void finalize(MPI_Fint* ierr) {
  auto next = reinterpret_cast<FVoid>(pmpi<B>(hm::F_MPI_Finalize, "pmpi_finalize_", "pmpi_finalize_f08_"));
  if (hm::g_active && hm::t_state.depth == 0) hm::session_finish();
  hm::guarded([&] { next(ierr); return 0; });
}

template <Binding B>
void abort_job(MPI_Fint* comm, MPI_Fint* errorcode, MPI_Fint* ierr) {
  auto next = reinterpret_cast<FAbort>(pmpi<B>(hm::F_MPI_Abort, "pmpi_abort_", "pmpi_abort_f08_"));
  if (hm::g_active && hm::t_state.depth == 0) hm::session_abort(*errorcode);
  next(comm, errorcode, ierr);
}

// MPI_PCONTROL(LEVEL) has no ierror in either binding.
template <Binding B>
void pcontrol(MPI_Fint* level) {
  auto next = reinterpret_cast<FVoid>(pmpi<B>(hm::F_MPI_Pcontrol, "pmpi_pcontrol_", "pmpi_pcontrol_f08_"));
  if (hm::g_active && hm::t_state.depth == 0) hm::session_pcontrol(*level);
  next(level);
}

}  // namespace

HPCMON_FORTRAN_ENTRY void mpi_init_(MPI_Fint* ierr) { init<Binding::mpifh>(ierr); }
HPCMON_FORTRAN_ENTRY void mpi_init_thread_(MPI_Fint* required, MPI_Fint* provided, MPI_Fint* ierr) {
  init_thread<Binding::mpifh>(required, provided, ierr);
}
HPCMON_FORTRAN_ENTRY void mpi_finalize_(MPI_Fint* ierr) { finalize<Binding::mpifh>(ierr); }
HPCMON_FORTRAN_ENTRY void mpi_abort_(MPI_Fint* comm, MPI_Fint* errorcode, MPI_Fint* ierr) {
  abort_job<Binding::mpifh>(comm, errorcode, ierr);
}
HPCMON_FORTRAN_ENTRY void mpi_pcontrol_(MPI_Fint* level) { pcontrol<Binding::mpifh>(level); }

HPCMON_FORTRAN_ENTRY void mpi_init_f08_(MPI_Fint* ierr) { init<Binding::f08>(ierr); }
HPCMON_FORTRAN_ENTRY void mpi_init_thread_f08_(MPI_Fint* required, MPI_Fint* provided, MPI_Fint* ierr) {
  init_thread<Binding::f08>(required, provided, ierr);
}
HPCMON_FORTRAN_ENTRY void mpi_finalize_f08_(MPI_Fint* ierr) { finalize<Binding::f08>(ierr); }
HPCMON_FORTRAN_ENTRY void mpi_abort_f08_(MPI_Fint* comm, MPI_Fint* errorcode, MPI_Fint* ierr) {
  abort_job<Binding::f08>(comm, errorcode, ierr);
}
HPCMON_FORTRAN_ENTRY void mpi_pcontrol_f08_(MPI_Fint* level) { pcontrol<Binding::f08>(level); }

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
HPCMON_FORTRAN_ENTRY void mpi_pcontrol(MPI_Fint*) __attribute__((alias("mpi_pcontrol_")));
HPCMON_FORTRAN_ENTRY void mpi_pcontrol__(MPI_Fint*) __attribute__((alias("mpi_pcontrol_")));
HPCMON_FORTRAN_ENTRY void MPI_PCONTROL(MPI_Fint*) __attribute__((alias("mpi_pcontrol_")));
