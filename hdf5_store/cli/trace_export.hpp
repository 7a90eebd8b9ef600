// `hpcmon trace export`: a record's /trace (docs/tracing.md) as the Chrome trace event format
// (Perfetto, chrome://tracing) or OpenTelemetry's OTLP JSON (ExportTraceServiceRequest).
// Both stream: the trace is read in slices, never whole.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>

#include "hpcmon/record.hpp"

namespace hpcmon::cli {

// One process per rank (named "rank N (node)"), one thread per thread slot, an "X" event per
// call with args peer/tag/bytes/comm, and a flow ("s" at the send, "f" at the matching
// receive) per point-to-point message matched FIFO by (source, destination, tag).
// Timestamps are microseconds from the job's start. Returns the number of "X" events.
std::uint64_t write_chrome_trace(std::ostream& out, const std::filesystem::path& record);

// One resourceSpans per rank (service.name "hpcmon-mpi", mpi.rank, host.name, the job key),
// one span per MPI call (kind INTERNAL, attributes mpi.peer/mpi.tag/mpi.bytes/mpi.comm/
// thread.id), trace id derived from the job key, span ids unique in the trace. Ids are hex
// as OTLP/JSON wants them. Returns the number of spans.
std::uint64_t write_otlp_trace(std::ostream& out, const std::filesystem::path& record);

// 128-bit trace id of a record key as 32 hex digits (two FNV-1a hashes of the key's text).
std::string trace_id_of(const record::RecordKey& key);

}  // namespace hpcmon::cli
