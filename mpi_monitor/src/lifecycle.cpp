// The five MPI lifecycle functions, written by hand (rows marked "manual" in
// mpi_functions.tsv). Each chains to the next definition (dlsym RTLD_NEXT), so a second
// PMPI tool preloaded after this one still sees every call.
#include <mpi.h>
#include <x86intrin.h>

#include "lifecycle.hpp"
#include "runtime.hpp"

namespace hm = hpcmon::mpi;

namespace {

// MPI_Init's own internal calls must not be counted, nor reach a half-built session.
template <class F>
int guarded(F&& f) {
  ++hm::t_state.depth;
  int rc = f();
  --hm::t_state.depth;
  return rc;
}

}  // namespace

extern "C" int MPI_Init(int* argc, char*** argv) {
  auto next = reinterpret_cast<decltype(&::MPI_Init)>(hm::next_fn(hm::F_MPI_Init));
  hm::clock_select();
  const std::uint64_t t0 = hm::read_ticks();
  int rc = guarded([&] { return next(argc, argv); });
  if (rc == MPI_SUCCESS) hm::session_start(hm::F_MPI_Init, hm::read_ticks() - t0);
  return rc;
}

extern "C" int MPI_Init_thread(int* argc, char*** argv, int required, int* provided) {
  auto next = reinterpret_cast<decltype(&::MPI_Init_thread)>(hm::next_fn(hm::F_MPI_Init_thread));
  hm::clock_select();
  const std::uint64_t t0 = hm::read_ticks();
  int rc = guarded([&] { return next(argc, argv, required, provided); });
  if (rc == MPI_SUCCESS) hm::session_start(hm::F_MPI_Init_thread, hm::read_ticks() - t0);
  return rc;
}

extern "C" int MPI_Finalize(void) {
  auto next = reinterpret_cast<decltype(&::MPI_Finalize)>(hm::next_fn(hm::F_MPI_Finalize));
  if (hm::g_active && hm::t_state.depth == 0) hm::session_finish();
  return guarded([&] { return next(); });
}

extern "C" int MPI_Pcontrol(const int level, ...) {
  // Open MPI's MPI_Pcontrol ignores the variable arguments, so only `level` is passed on.
  auto next = reinterpret_cast<int (*)(const int, ...)>(hm::next_fn(hm::F_MPI_Pcontrol));
  if (hm::g_active && hm::t_state.depth == 0) hm::session_pcontrol(level);
  return next(level);
}

extern "C" int MPI_Abort(MPI_Comm comm, int errorcode) {
  auto next = reinterpret_cast<decltype(&::MPI_Abort)>(hm::next_fn(hm::F_MPI_Abort));
  if (hm::g_active && hm::t_state.depth == 0) hm::session_abort(errorcode);
  return next(comm, errorcode);
}
