// Wait/Test family: bytes of completed receives, read from their statuses. When the user
// passes MPI_STATUS(ES)_IGNORE and a receive is among the requests, a local status is used
// (at most kStatusChunk at once: MPI_Waitall beyond that runs in chunks; Testall, Waitsome
// and Testsome beyond that count the posted size instead, since splitting them would change
// their meaning; exact for the first RxSet::kPosted requests of the call, 0 beyond). Only
// requests [0, RxSet::kTracked) of one call are looked up.
#pragma once

#include <mpi.h>

#include <cstdint>

#include "accounting.hpp"

namespace hpcmon::mpi {

class RxSet {
 public:
  static constexpr int kTracked = 4096;  // requests looked up per call
  static constexpr int kPosted = 512;    // requests whose posted size is kept (4 KiB of stack)

  // Takes the pending receives among reqs[0..n) out of the table.
  RxSet(ThreadTables* t, MPI_Request reqs[], int n) : t_(t) {
    if (HPCMON_LIKELY(t->pending_used == 0) || reqs == nullptr) return;
    n_ = n < kTracked ? n : kTracked;
    for (int w = 0; w < (n_ + 63) / 64; ++w) bits_[w] = 0;
    for (int i = 0; i < n_; ++i) {
      std::uint64_t posted;
      if (pending_take(t, reqs[i], &posted)) {
        bits_[i >> 6] |= std::uint64_t{1} << (i & 63);
        if (i < kPosted) posted_[i] = posted;
        ++found_;
      }
    }
  }
  bool any() const { return found_ != 0; }
  bool has(int i) const { return i >= 0 && i < n_ && ((bits_[i >> 6] >> (i & 63)) & 1); }
  void clear(int i) { bits_[i >> 6] &= ~(std::uint64_t{1} << (i & 63)); }
  std::uint64_t posted(int i) const { return i < kPosted ? posted_[i] : 0; }
  // Receives still marked did not complete: back into the table (their handle is unchanged).
  void put_back(MPI_Request reqs[]) {
    for (int i = 0; found_ && i < n_; ++i)
      if (has(i)) pending_add(t_, reqs[i], posted(i));
  }

 private:
  ThreadTables* t_;
  int n_ = 0, found_ = 0;
  std::uint64_t bits_[kTracked / 64];  // words [0, (n_+63)/64) are valid
  std::uint64_t posted_[kPosted];
};

// Bytes of request i given the call's return code and the status array it filled.
inline std::uint64_t completed_bytes(int rc, const MPI_Status* st) {
  if (rc == MPI_SUCCESS) return status_bytes(st);
  if (rc == MPI_ERR_IN_STATUS && st->MPI_ERROR == MPI_SUCCESS) return status_bytes(st);
  return 0;
}

template <class Next>
int do_wait(Next next, ThreadTables* t, MPI_Request* request, MPI_Status* status,
            std::uint64_t* bytes) {
  std::uint64_t posted = 0;
  const bool rx = pending_take(t, *request, &posted);
  MPI_Status local;
  MPI_Status* st = (rx && status == MPI_STATUS_IGNORE) ? &local : status;
  int rc = next(request, st);
  *bytes = rx && rc == MPI_SUCCESS ? status_bytes(st) : 0;
  return rc;
}

// Polling a receive: the pending entry is only looked at, and erased once the receive
// completes, so that an unsuccessful poll costs one probe of the table.
template <class Next>
int do_test(Next next, ThreadTables* t, MPI_Request* request, int* flag, MPI_Status* status,
            std::uint64_t* bytes) {
  PendingSlot* pending = t->pending_used ? slot_find(t->pending, *request) : nullptr;
  MPI_Status local;
  MPI_Status* st = (pending && status == MPI_STATUS_IGNORE) ? &local : status;
  int rc = next(request, flag, st);
  *bytes = 0;
  if (pending && rc == MPI_SUCCESS && *flag) {
    *bytes = status_bytes(st);
    slot_erase(t->pending, pending);
    --t->pending_used;
  }
  return rc;
}

template <class Next>
int do_waitall(Next next, ThreadTables* t, int count, MPI_Request reqs[], MPI_Status statuses[],
               std::uint64_t* bytes) {
  RxSet rx(t, reqs, count);
  *bytes = 0;
  if (!rx.any()) {
    int rc = next(count, reqs, statuses);
    return rc;
  }
  if (statuses != MPI_STATUSES_IGNORE) {
    int rc = next(count, reqs, statuses);
    for (int i = 0; i < count; ++i)
      if (rx.has(i)) *bytes += completed_bytes(rc, &statuses[i]);
    return rc;
  }
  // MPI_STATUSES_IGNORE: local statuses, kStatusChunk requests at a time.
  MPI_Status local[kStatusChunk];
  int result = MPI_SUCCESS;
  std::uint64_t b = 0;
  for (int base = 0; base < count; base += kStatusChunk) {
    int m = count - base < kStatusChunk ? count - base : kStatusChunk;
    int rc = next(m, reqs + base, local);
    if (rc != MPI_SUCCESS && result == MPI_SUCCESS) result = rc;
    for (int i = 0; i < m; ++i)
      if (rx.has(base + i)) b += completed_bytes(rc, &local[i]);
  }
  *bytes = b;
  return result;
}

template <class Next>
int do_waitany(Next next, ThreadTables* t, int count, MPI_Request reqs[], int* index, MPI_Status* status,
               std::uint64_t* bytes) {
  RxSet rx(t, reqs, count);
  MPI_Status local;
  MPI_Status* st = (rx.any() && status == MPI_STATUS_IGNORE) ? &local : status;
  int rc = next(count, reqs, index, st);
  *bytes = 0;
  if (rx.any()) {
    if (rc == MPI_SUCCESS && *index != MPI_UNDEFINED && rx.has(*index)) {
      *bytes = status_bytes(st);
      rx.clear(*index);
    }
    rx.put_back(reqs);
  }
  return rc;
}

template <class Next>
int do_testany(Next next, ThreadTables* t, int count, MPI_Request reqs[], int* index, int* flag,
               MPI_Status* status, std::uint64_t* bytes) {
  RxSet rx(t, reqs, count);
  MPI_Status local;
  MPI_Status* st = (rx.any() && status == MPI_STATUS_IGNORE) ? &local : status;
  int rc = next(count, reqs, index, flag, st);
  *bytes = 0;
  if (rx.any()) {
    if (rc == MPI_SUCCESS && *flag && *index != MPI_UNDEFINED && rx.has(*index)) {
      *bytes = status_bytes(st);
      rx.clear(*index);
    }
    rx.put_back(reqs);
  }
  return rc;
}

template <class Next>
int do_testall(Next next, ThreadTables* t, int count, MPI_Request reqs[], int* flag, MPI_Status statuses[],
               std::uint64_t* bytes) {
  RxSet rx(t, reqs, count);
  MPI_Status local[kStatusChunk];
  MPI_Status* st = statuses;
  const bool use_local = rx.any() && statuses == MPI_STATUSES_IGNORE && count <= kStatusChunk;
  if (use_local) st = local;
  int rc = next(count, reqs, flag, st);
  *bytes = 0;
  if (!rx.any()) return rc;
  if ((rc == MPI_SUCCESS || rc == MPI_ERR_IN_STATUS) && *flag) {
    for (int i = 0; i < count; ++i) {
      if (!rx.has(i)) continue;
      *bytes += st != MPI_STATUSES_IGNORE ? completed_bytes(rc, &st[i]) : rx.posted(i);
      rx.clear(i);
    }
  }
  rx.put_back(reqs);
  return rc;
}

template <class Next>
int do_some(Next next, ThreadTables* t, int incount, MPI_Request reqs[], int* outcount, int indices[],
            MPI_Status statuses[], std::uint64_t* bytes) {
  RxSet rx(t, reqs, incount);
  MPI_Status local[kStatusChunk];
  MPI_Status* st = statuses;
  if (rx.any() && statuses == MPI_STATUSES_IGNORE && incount <= kStatusChunk) st = local;
  int rc = next(incount, reqs, outcount, indices, st);
  *bytes = 0;
  if (!rx.any()) return rc;
  if ((rc == MPI_SUCCESS || rc == MPI_ERR_IN_STATUS) && *outcount != MPI_UNDEFINED) {
    for (int k = 0; k < *outcount; ++k) {
      int i = indices[k];
      if (!rx.has(i)) continue;
      *bytes += st != MPI_STATUSES_IGNORE ? completed_bytes(rc, &st[k]) : rx.posted(i);
      rx.clear(i);
    }
  }
  rx.put_back(reqs);
  return rc;
}

}  // namespace hpcmon::mpi
