#include "trace.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "mpi_api.hpp"

namespace hpcmon::mpi {

bool g_tracing = false;
TraceBuffer g_trace;

namespace {

constexpr int kTraceTag = 7002;
constexpr std::int32_t kAskNext = 1, kAskStop = 0;

std::uint64_t kept() { return std::min(g_trace.next.load(std::memory_order_relaxed), g_trace.capacity); }

// Events [from, from + n) of this rank, on rank 0's clock.
int convert(const TraceTimebase& tb, std::uint64_t from, TraceWireEvent* out) {
  const std::uint64_t end = std::min(kept(), from + kTraceChunkEvents);
  int n = 0;
  for (std::uint64_t i = from; i < end; ++i, ++n) {
    const TraceEvent& e = g_trace.events[i];
    TraceWireEvent& w = out[n];
    w.start_ns = to_rank0_clock(tb.clock.ticks_to_ns(e.t0), tb.init, tb.drift_ns_per_s);
    w.end_ns = to_rank0_clock(tb.clock.ticks_to_ns(e.t1), tb.init, tb.drift_ns_per_s);
    w.bytes = e.bytes;
    w.peer = e.peer;
    w.tag = e.tag;
    w.comm = e.comm;
    w.fn = e.fn;
    w.thread = e.thread;
    w.pad = 0;
  }
  return n;
}

TraceChunkHeader own_header(int rank) {
  TraceChunkHeader h{};
  h.rank = rank;
  h.recorded = kept();
  h.dropped = trace_dropped();
  h.capacity = g_trace.capacity;
  return h;
}

}  // namespace

bool trace_open(std::uint64_t capacity) {
  capacity = std::min(capacity, kTraceMaxEvents);
  if (capacity == 0) return false;
  void* p = mmap(nullptr, capacity * sizeof(TraceEvent), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return false;
  g_trace.events = static_cast<TraceEvent*>(p);
  g_trace.capacity = capacity;
  g_trace.next.store(0, std::memory_order_relaxed);
  g_tracing = true;
  return true;
}

void trace_stop() { g_tracing = false; }
std::uint64_t trace_recorded() { return kept(); }
std::uint64_t trace_dropped() {
  const std::uint64_t offered = g_trace.next.load(std::memory_order_relaxed);
  return offered > g_trace.capacity ? offered - g_trace.capacity : 0;
}

void trace_serve(MPI_Comm comm, int rank, const TraceTimebase& tb) {
  std::vector<unsigned char> buf(sizeof(TraceChunkHeader) + kTraceChunkEvents * sizeof(TraceWireEvent));
  auto* header = reinterpret_cast<TraceChunkHeader*>(buf.data());
  auto* events = reinterpret_cast<TraceWireEvent*>(buf.data() + sizeof(TraceChunkHeader));
  std::uint64_t from = 0;
  for (;;) {
    std::int32_t ask = kAskStop;
    g_mpi.Recv(&ask, 4, g_mpi.byte, 0, kTraceTag, comm, MPI_STATUS_IGNORE);
    if (ask != kAskNext) return;
    *header = own_header(rank);
    header->count = convert(tb, from, events);
    from += std::uint64_t(header->count);
    header->last = from >= kept() ? 1 : 0;
    const int bytes = int(sizeof(TraceChunkHeader) + std::size_t(header->count) * sizeof(TraceWireEvent));
    g_mpi.Send(buf.data(), bytes, g_mpi.byte, 0, kTraceTag, comm);
    if (header->last) return;
  }
}

bool TracePuller::next(TraceChunkHeader* header, TraceWireEvent* events) {
  while (rank_ < size_) {
    if (rank_ == 0) {
      *header = own_header(0);
      header->count = convert(own_, offset_, events);
      offset_ += std::uint64_t(header->count);
      header->last = offset_ >= kept() ? 1 : 0;
      if (header->last) ++rank_;
      return true;
    }
    const std::int32_t ask = kAskNext;
    g_mpi.Send(&ask, 4, g_mpi.byte, rank_, kTraceTag, comm_);
    rank_open_ = true;
    std::vector<unsigned char>& buf = scratch_;
    buf.resize(sizeof(TraceChunkHeader) + kTraceChunkEvents * sizeof(TraceWireEvent));
    g_mpi.Recv(buf.data(), int(buf.size()), g_mpi.byte, rank_, kTraceTag, comm_, MPI_STATUS_IGNORE);
    std::memcpy(header, buf.data(), sizeof *header);
    header->count = std::clamp(header->count, 0, kTraceChunkEvents);
    std::memcpy(events, buf.data() + sizeof *header, std::size_t(header->count) * sizeof(TraceWireEvent));
    if (header->last) {
      rank_open_ = false;
      ++rank_;
    }
    return true;
  }
  return false;
}

void TracePuller::finish() {
  if (rank_ == 0) rank_ = 1;
  for (; rank_ < size_; ++rank_) {
    const std::int32_t stop = kAskStop;
    g_mpi.Send(&stop, 4, g_mpi.byte, rank_, kTraceTag, comm_);
  }
  rank_open_ = false;
}

bool trace_pull(void* puller, TraceChunkHeader* header, TraceWireEvent* events) {
  return static_cast<TracePuller*>(puller)->next(header, events);
}

}  // namespace hpcmon::mpi
