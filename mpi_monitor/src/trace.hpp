// Tracing (docs/tracing.md): each timed MPI call of a rank as one event (start and end
// ticks, function, peer as a world rank, tag, bytes, communicator), in a buffer allocated
// once at MPI_Init. Policy when full: stop, and count every event that did not fit; the
// record says how many were dropped per rank. At MPI_Finalize the events are converted to
// rank 0's clock (clock.hpp) and shipped to rank 0 in bounded chunks, on rank 0's request,
// while rank 0 appends them to the record: never the whole job's trace in one place. Rank 0
// asks for the next chunk as soon as one arrives, so a rank prepares it while rank 0 writes;
// ranks waiting for their turn sleep (wait_gently) instead of polling the cores away.
// Must never: allocate, lock or make a system call in trace_add (the hot path); cost more
// than one predictable branch per call when tracing is off.
#pragma once

#include <mpi.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "clock.hpp"
#include "trace_wire.hpp"

namespace hpcmon::mpi {

struct TraceEvent {
  std::uint64_t t0, t1;  // ticks (clock.hpp)
  std::uint64_t bytes;
  std::int32_t peer;     // world rank of MPI_COMM_WORLD; -1: none, any or another world
  std::int32_t tag;      // -1: none
  std::uint32_t comm;    // 0: MPI_COMM_WORLD, n: slot n-1 of the communicator table, kTraceNoComm: none
  std::uint16_t fn;      // Fn id
  std::uint8_t thread;   // thread slot
  std::uint8_t pad;
};
static_assert(sizeof(TraceEvent) == 40);

inline constexpr std::uint32_t kTraceNoComm = 0xffffffffu;
inline constexpr std::uint64_t kTraceDefaultEvents = 262144;  // 10 MiB of address space per rank
inline constexpr std::uint64_t kTraceMaxEvents = std::uint64_t{1} << 26;

struct TraceBuffer {
  TraceEvent* events = nullptr;
  std::uint64_t capacity = 0;
  std::atomic<std::uint64_t> next{0};  // events offered, kept or not: next - capacity were dropped
};

extern bool g_tracing;  // the hot-path switch: true while this rank records a trace
extern TraceBuffer g_trace;

__attribute__((always_inline)) inline void trace_add(std::uint16_t fn, std::uint64_t t0, std::uint64_t t1,
                                                     std::uint64_t bytes, std::int32_t peer, std::int32_t tag,
                                                     std::uint32_t comm, std::uint32_t thread) {
  const std::uint64_t i = g_trace.next.fetch_add(1, std::memory_order_relaxed);
  if (__builtin_expect(i < g_trace.capacity, 1))
    g_trace.events[i] = TraceEvent{t0, t1, bytes, peer, tag, comm, fn, std::uint8_t(thread), 0};
}

// At MPI_Init: maps room for `capacity` events (untouched pages cost no memory) and turns
// tracing on. False when the mapping fails (tracing stays off; the record shows capacity 0).
bool trace_open(std::uint64_t capacity);
void trace_stop();  // no more events (MPI_Finalize entry)
std::uint64_t trace_recorded();
std::uint64_t trace_dropped();

// This rank's clock and offsets at MPI_Finalize: what turns ticks into rank 0's time.
struct TraceTimebase {
  RankClock clock;
  ClockOffset init;
  double drift_ns_per_s = 0;
};

// Ranks other than 0, after the summaries' gather: answer rank 0's chunk requests on `comm`
// until rank 0 has every event or says stop.
void trace_serve(MPI_Comm comm, int rank, const TraceTimebase& timebase);

// Rank 0: pulls every rank's chunks in rank order (its own first, converted locally). One
// request is in flight at a time: the next chunk is asked for when the previous one arrives.
class TracePuller {
 public:
  TracePuller(MPI_Comm comm, int size, const TraceTimebase& own) : comm_(comm), size_(size), own_(own) {}
  // The next chunk into `header` and `events` (room for kTraceChunkEvents); false when done.
  bool next(TraceChunkHeader* header, TraceWireEvent* events);
  // Tells every rank not yet fully pulled to stop (after a failed or partial write).
  void finish();

 private:
  void ask(int rank);  // posts the receive of `rank`'s next chunk, then asks for it

  MPI_Comm comm_;
  int size_;
  TraceTimebase own_;
  bool own_done_ = false;     // rank 0's own events are all converted
  std::uint64_t offset_ = 0;  // rank 0's own events already converted
  int asked_ = 0;             // rank with a chunk in flight (0: none)
  int next_rank_ = 1;         // first rank never asked
  MPI_Request pending_ = nullptr;
  std::vector<unsigned char> inbox_;
};

// The C-style hook handed to the report library (GatheredJob::trace_next).
bool trace_pull(void* puller, TraceChunkHeader* header, TraceWireEvent* events);

}  // namespace hpcmon::mpi
