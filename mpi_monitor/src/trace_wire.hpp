// The trace's wire format between ranks and into the report library (plain data, no MPI
// types: the report library is built without mpi.h). See trace.hpp.
#pragma once

#include <cstdint>

namespace hpcmon::mpi {

// What a rank ships at MPI_Finalize: times on rank 0's clock, in ns since the Unix epoch.
struct TraceWireEvent {
  std::int64_t start_ns, end_ns;
  std::uint64_t bytes;
  std::int32_t peer, tag;
  std::uint32_t comm;
  std::uint16_t fn;
  std::uint8_t thread, pad;
};
static_assert(sizeof(TraceWireEvent) == 40);

struct TraceChunkHeader {
  std::int32_t rank, count;  // events following the header
  std::uint64_t recorded, dropped, capacity;
  std::int32_t last;         // 1: the rank has no more events
  std::int32_t pad;
};

// Events per message: 1.25 MiB. Large enough that a chunk's round trip (a sleeping rank's
// wake-up included) hides behind rank 0's write of the previous chunk.
inline constexpr int kTraceChunkEvents = 32768;

}  // namespace hpcmon::mpi
