// What the Fortran entry points (mpif.h and `use mpi`: mpi_send_, mpi_send, mpi_send__,
// MPI_SEND; `use mpi_f08`: mpi_send_f08_) need from the MPI, found with dlsym on first use, so
// that the preload never links a Fortran library and C programs never load one: the handle
// converters (*_f2c) that give the shared record functions their C arguments, the addresses of
// the Fortran MPI_BOTTOM / MPI_IN_PLACE / MPI_STATUS_IGNORE (mpi_f08 uses the same common
// blocks), and the pmpi_<name>_ / pmpi_<name>_f08_ entries the calls are forwarded to.
// Never called in a C program: its entries are only reached through a Fortran binding.
#pragma once

#include <mpi.h>

#include <atomic>

#include "runtime.hpp"

// The preload is built with hidden visibility; mpi.h marks the C entries visible, the Fortran
// entries are marked here.
#define HPCMON_FORTRAN_ENTRY extern "C" __attribute__((visibility("default")))

namespace hpcmon::mpi {

// A Fortran status is MPI_STATUS_SIZE INTEGERs: room for any layout of MPI_Status.
inline constexpr int kFortranStatusInts = 2 * static_cast<int>(sizeof(MPI_Status) / sizeof(MPI_Fint)) + 2;
static_assert(sizeof(MPI_Fint) == sizeof(int), "Fortran INTEGER arrays are passed as int arrays");
// MPI_STATUS_SIZE: the stride of a Fortran array of statuses.
inline constexpr int kFortranStatusStride = static_cast<int>(sizeof(MPI_Status) / sizeof(MPI_Fint));

struct FortranApi {
  MPI_Comm (*Comm_f2c)(MPI_Fint) = nullptr;
  MPI_Datatype (*Type_f2c)(MPI_Fint) = nullptr;
  MPI_Op (*Op_f2c)(MPI_Fint) = nullptr;
  MPI_Group (*Group_f2c)(MPI_Fint) = nullptr;
  MPI_Info (*Info_f2c)(MPI_Fint) = nullptr;
  MPI_Win (*Win_f2c)(MPI_Fint) = nullptr;
  MPI_Errhandler (*Errhandler_f2c)(MPI_Fint) = nullptr;
  MPI_Message (*Message_f2c)(MPI_Fint) = nullptr;
  MPI_Request (*Request_f2c)(MPI_Fint) = nullptr;
  MPI_File (*File_f2c)(MPI_Fint) = nullptr;
  int (*Status_f2c)(const MPI_Fint*, MPI_Status*) = nullptr;
  // The Fortran constants are common blocks; each name mangling is a distinct address.
  const void* bottom[4] = {};
  const void* in_place[4] = {};
  const void* status_ignore[4] = {};
  const void* statuses_ignore[4] = {};

  // A Fortran buffer argument as the C API sees it: MPI_BOTTOM / MPI_IN_PLACE translated.
  void* buffer(void* p) const {
    for (const void* b : bottom)
      if (b && p == b) return MPI_BOTTOM;
    for (const void* b : in_place)
      if (b && p == b) return MPI_IN_PLACE;
    return p;
  }
  bool statuses_ignored(const MPI_Fint* p) const {
    for (const void* s : statuses_ignore)
      if (s && static_cast<const void*>(p) == s) return true;
    return false;
  }
  bool status_ignored(const MPI_Fint* p) const {
    for (const void* s : status_ignore)
      if (s && static_cast<const void*>(p) == s) return true;
    return false;
  }
};

// Filled once, on the first Fortran call (the hot path reads one flag, then the struct).
extern FortranApi g_fortran_api;
extern std::atomic<bool> g_fortran_api_ready;
const FortranApi& load_fortran_api_once();
HPCMON_HOT const FortranApi& fortran_api() {
  return HPCMON_LIKELY(g_fortran_api_ready.load(std::memory_order_acquire)) ? g_fortran_api
                                                                            : load_fortran_api_once();
}

// pmpi_<name>_ (mpif.h, `use mpi`) and pmpi_<name>_f08_ (`use mpi_f08`) for function `fn`,
// resolved once; aborts with one line if the MPI lacks it.
extern void* g_fortran_next[kFunctionCount];
extern void* g_fortran_f08_next[kFunctionCount];
void* resolve_fortran_next(void** slot, const char* pmpi_name);
HPCMON_HOT void* fortran_next(Fn fn, const char* pmpi_name) {
  void* p = g_fortran_next[fn];
  return HPCMON_LIKELY(p != nullptr) ? p : resolve_fortran_next(&g_fortran_next[fn], pmpi_name);
}
HPCMON_HOT void* fortran_f08_next(Fn fn, const char* pmpi_name) {
  void* p = g_fortran_f08_next[fn];
  return HPCMON_LIKELY(p != nullptr) ? p : resolve_fortran_next(&g_fortran_f08_next[fn], pmpi_name);
}

}  // namespace hpcmon::mpi
