#include "trace.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
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

// Events per message: kTraceChunkEvents, or fewer under the test knob
// HPCMON_TEST_TRACE_CHUNK_EVENTS (many chunks from a small trace), read at MPI_Init.
int g_chunk_events = kTraceChunkEvents;

// Events [from, from + n) of this rank, on rank 0's clock.
int convert(const TraceTimebase& tb, std::uint64_t from, TraceWireEvent* out) {
  const std::uint64_t end = std::min(kept(), from + std::uint64_t(g_chunk_events));
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
  if (const char* v = std::getenv("HPCMON_TEST_TRACE_CHUNK_EVENTS"); v && *v)
    g_chunk_events = std::clamp(std::atoi(v), 1, kTraceChunkEvents);
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

// A waiting rank wakes at least every 0.5 ms; rank 0, whose own wait is short (the chunk is
// on its way), every 0.1 ms.
constexpr long kServeSleepMaxNs = 500000, kPullSleepMaxNs = 100000;

void trace_serve(MPI_Comm comm, int rank, const TraceTimebase& tb) {
  std::vector<unsigned char> buf(sizeof(TraceChunkHeader) + kTraceChunkEvents * sizeof(TraceWireEvent));
  auto* header = reinterpret_cast<TraceChunkHeader*>(buf.data());
  auto* events = reinterpret_cast<TraceWireEvent*>(buf.data() + sizeof(TraceChunkHeader));
  std::uint64_t from = 0;
  for (;;) {
    std::int32_t ask = kAskStop;
    MPI_Request request = g_mpi.request_null;
    g_mpi.Irecv(&ask, 4, g_mpi.byte, 0, kTraceTag, comm, &request);
    wait_gently(&request, kServeSleepMaxNs);
    if (ask != kAskNext) return;
    *header = own_header(rank);
    header->count = convert(tb, from, events);
    from += std::uint64_t(header->count);
    header->last = from >= kept() ? 1 : 0;
    const int bytes = int(sizeof(TraceChunkHeader) + std::size_t(header->count) * sizeof(TraceWireEvent));
    g_mpi.Isend(buf.data(), bytes, g_mpi.byte, 0, kTraceTag, comm, &request);
    wait_gently(&request, kServeSleepMaxNs);  // rank 0 takes it after writing the chunk before
    if (header->last) return;
  }
}

void TracePuller::ask(int rank) {
  inbox_.resize(sizeof(TraceChunkHeader) + kTraceChunkEvents * sizeof(TraceWireEvent));
  g_mpi.Irecv(inbox_.data(), int(inbox_.size()), g_mpi.byte, rank, kTraceTag, comm_, &pending_);
  const std::int32_t next = kAskNext;
  g_mpi.Send(&next, 4, g_mpi.byte, rank, kTraceTag, comm_);
  asked_ = rank;
  if (rank >= next_rank_) next_rank_ = rank + 1;
}

bool TracePuller::next(TraceChunkHeader* header, TraceWireEvent* events) {
  if (!own_done_) {
    if (offset_ == 0 && size_ > 1) ask(1);  // rank 1 prepares its first chunk meanwhile
    *header = own_header(0);
    header->count = convert(own_, offset_, events);
    offset_ += std::uint64_t(header->count);
    header->last = offset_ >= kept() ? 1 : 0;
    own_done_ = header->last != 0;
    return true;
  }
  if (asked_ == 0) return false;
  wait_gently(&pending_, kPullSleepMaxNs);
  const int from = asked_;
  asked_ = 0;
  std::memcpy(header, inbox_.data(), sizeof *header);
  header->rank = from;
  header->count = std::clamp(header->count, 0, kTraceChunkEvents);
  std::memcpy(events, inbox_.data() + sizeof *header, std::size_t(header->count) * sizeof(TraceWireEvent));
  // The next chunk is prepared while the caller writes this one.
  if (!header->last) ask(from);
  else if (next_rank_ < size_) ask(next_rank_);
  return true;
}

void TracePuller::finish() {
  if (asked_ != 0) {
    // The rank answers the request in flight; unless that was its last chunk, it then waits.
    wait_gently(&pending_, kPullSleepMaxNs);
    TraceChunkHeader h{};
    std::memcpy(&h, inbox_.data(), sizeof h);
    if (!h.last) {
      const std::int32_t stop = kAskStop;
      g_mpi.Send(&stop, 4, g_mpi.byte, asked_, kTraceTag, comm_);
    }
    asked_ = 0;
  }
  for (; next_rank_ < size_; ++next_rank_) {
    const std::int32_t stop = kAskStop;
    g_mpi.Send(&stop, 4, g_mpi.byte, next_rank_, kTraceTag, comm_);
  }
  own_done_ = true;
}

bool trace_pull(void* puller, TraceChunkHeader* header, TraceWireEvent* events) {
  return static_cast<TracePuller*>(puller)->next(header, events);
}

}  // namespace hpcmon::mpi
