// Arrays a Fortran entry converts for the shared record functions: requests, statuses and
// 0-based indices of the wait/test family and Startall, and the datatype arrays of the
// alltoallw roles. They live in one per-thread scratch block, grown (cold, malloc) the first
// time a call needs more and reused after, so any length is recorded exactly and the hot path
// neither allocates nor truncates. Only an entry that records takes the block (recording on,
// not nested inside another wrapper): an entry reached from inside an MPI call (a Fortran
// reduction or callback calling MPI) is forwarded untouched and can never reuse a block that
// is still in use.
#pragma once

#include <mpi.h>

#include <cstddef>

#include "accounting.hpp"
#include "fortran_api.hpp"
#include "runtime.hpp"

namespace hpcmon::mpi {

// Would a call starting now be recorded? (The same test as Call::begin, minus the slot.)
HPCMON_HOT bool fortran_records() { return g_recording && t_state.depth == 0; }

// Elements of a Fortran array whose length the program gives (negative: the MPI reports it).
HPCMON_HOT int fortran_extent(const MPI_Fint* n) { return *n > 0 ? *n : 0; }

// Peers of an alltoallw (remote group of an intercommunicator) and out-neighbours of a
// topology communicator: the length of the datatype array the accounting reads.
inline int fortran_comm_peers(const MPI_Fint* comm) {
  return data_peers(comm_view(fortran_api().Comm_f2c(*comm)));
}
inline int fortran_comm_outdegree(const MPI_Fint* comm) {
  return comm_view(fortran_api().Comm_f2c(*comm)).outdegree;
}

// Will this call be recorded with receives of this thread pending? If not, the wait/test
// record functions never look at the requests or statuses (completion.hpp), and the entry
// converts none and keeps the program's MPI_STATUS(ES)_IGNORE.
HPCMON_HOT bool fortran_receives_pending() {
  if (!fortran_records()) return false;
  ThreadTables* t = thread_tables();
  return t && t->pending_used != 0;
}

template <class T>
constexpr std::size_t scratch_bytes(int n) {
  return (static_cast<std::size_t>(n > 0 ? n : 0) * sizeof(T) + 15) & ~std::size_t{15};
}

extern __thread char* t_fortran_scratch HPCMON_TLS;
extern __thread std::size_t t_fortran_scratch_size HPCMON_TLS;
// Cold: a block of at least `bytes` for this thread (freed at thread exit); nullptr if
// memory is short, and the call is then forwarded unrecorded.
char* fortran_scratch_grow(std::size_t bytes);

// One call's share of the block, carved in order.
class FortranScratch {
 public:
  HPCMON_HOT explicit FortranScratch(std::size_t bytes)
      : next_(HPCMON_LIKELY(bytes <= t_fortran_scratch_size) ? t_fortran_scratch
                                                             : fortran_scratch_grow(bytes)) {}
  explicit operator bool() const { return next_ != nullptr; }
  template <class T>
  HPCMON_HOT T* take(int n) {
    T* p = reinterpret_cast<T*>(next_);
    next_ += scratch_bytes<T>(n);
    return p;
  }

 private:
  char* next_;
};

}  // namespace hpcmon::mpi
