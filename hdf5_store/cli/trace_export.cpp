#include "trace_export.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <deque>
#include <limits>
#include <map>
#include <tuple>

#include <nlohmann/json.hpp>

#include "hpcmon/store.hpp"
#include "hpcmon/trace.hpp"

namespace hpcmon::cli {
namespace {

constexpr std::uint64_t kSlice = 65536;  // events read at a time

std::string json_text(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Microseconds with nanosecond digits, from an origin.
std::string micros(std::int64_t ns, std::int64_t origin) {
  char buf[48];
  const std::int64_t d = ns - origin;
  std::snprintf(buf, sizeof buf, "%s%" PRId64 ".%03" PRId64, d < 0 ? "-" : "", (d < 0 ? -d : d) / 1000,
                (d < 0 ? -d : d) % 1000);
  return buf;
}

template <class F>
void for_each_event(const store::TraceReader& reader, F&& f) {
  for (std::uint64_t at = 0; at < reader.info().events; at += kSlice)
    for (const auto& e : reader.read(at, kSlice)) f(e);
}

std::string node_of(const record::JobRecord& rec, std::int32_t rank) {
  for (const auto& r : rec.ranks)
    if (r.rank == rank) return r.node;
  return "";
}

std::string function_name(const store::TraceInfo& info, std::uint16_t f) {
  return f < info.function_names.size() ? info.function_names[f] : "MPI_?";
}

bool is_send(const std::string& f) {
  return f == "MPI_Send" || f == "MPI_Ssend" || f == "MPI_Bsend" || f == "MPI_Rsend" || f == "MPI_Isend" ||
         f == "MPI_Issend" || f == "MPI_Ibsend" || f == "MPI_Irsend";
}
bool is_blocking_recv(const std::string& f) { return f == "MPI_Recv"; }

std::uint64_t fnv1a(const std::string& s, std::uint64_t h) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

}  // namespace

std::string trace_id_of(const record::RecordKey& key) {
  const std::string text = key.cluster + "/" + key.job + "/" + key.step + "/" + std::to_string(key.restart_count) +
                           "/" + std::to_string(key.run);
  std::uint64_t hi = fnv1a(text, 14695981039346656037ull), lo = fnv1a(text + "#", 0x84222325cbf29ce4ull);
  if (hi == 0 && lo == 0) lo = 1;  // an all-zero trace id is invalid
  return hex64(hi) + hex64(lo);
}

std::uint64_t write_chrome_trace(std::ostream& out, const std::filesystem::path& path) {
  const record::JobRecord rec = store::read_record(path);
  const store::TraceReader reader(path);
  const store::TraceInfo& info = reader.info();
  std::int64_t origin = rec.job.start_ns;
  for_each_event(reader, [&](const record::TraceEvent& e) { origin = std::min(origin, e.start_ns); });

  out << "{\"displayTimeUnit\":\"ns\",\n\"traceEvents\":[";
  bool first = true;
  auto sep = [&] {
    out << (first ? "\n" : ",\n");
    first = false;
  };
  std::map<std::pair<std::int32_t, std::uint8_t>, bool> threads;
  std::int32_t named_rank = std::numeric_limits<std::int32_t>::min();
  // Messages waiting for their other end, FIFO per (source, destination, tag).
  struct End {
    std::int32_t rank;
    std::uint8_t thread;
    std::int64_t ns;
  };
  using Key = std::tuple<std::int32_t, std::int32_t, std::int32_t>;
  std::map<Key, std::deque<End>> sends, recvs;
  std::uint64_t flow_id = 0, slices = 0, skipped = 0;
  auto flow = [&](const End& s, const End& r) {
    // A receive that seems to end before its send started: only possible within the clock
    // estimate's error (docs/tracing.md). No arrow backwards in time; counted instead.
    if (r.ns < s.ns) {
      ++skipped;
      return;
    }
    ++flow_id;
    sep();
    out << "{\"ph\":\"s\",\"id\":" << flow_id << ",\"name\":\"message\",\"cat\":\"mpi.message\",\"pid\":" << s.rank
        << ",\"tid\":" << unsigned(s.thread) << ",\"ts\":" << micros(s.ns, origin) << "}";
    sep();
    out << "{\"ph\":\"f\",\"bp\":\"e\",\"id\":" << flow_id << ",\"name\":\"message\",\"cat\":\"mpi.message\",\"pid\":"
        << r.rank << ",\"tid\":" << unsigned(r.thread) << ",\"ts\":" << micros(r.ns, origin) << "}";
  };
  for_each_event(reader, [&](const record::TraceEvent& e) {
    if (e.rank != named_rank) {
      named_rank = e.rank;
      const std::string node = node_of(rec, e.rank);
      sep();
      out << "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":" << e.rank << ",\"tid\":0,\"args\":{\"name\":"
          << json_text("rank " + std::to_string(e.rank) + (node.empty() ? "" : " (" + node + ")")) << "}}";
      sep();
      out << "{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":" << e.rank << ",\"tid\":0,\"args\":{\"sort_index\":"
          << e.rank << "}}";
    }
    if (!threads[{e.rank, e.thread}]) {
      threads[{e.rank, e.thread}] = true;
      sep();
      out << "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":" << e.rank << ",\"tid\":" << unsigned(e.thread)
          << ",\"args\":{\"name\":\"thread " << unsigned(e.thread) << "\"}}";
    }
    const std::string name = function_name(info, e.function);
    sep();
    out << "{\"ph\":\"X\",\"name\":" << json_text(name) << ",\"cat\":\"mpi\",\"pid\":" << e.rank
        << ",\"tid\":" << unsigned(e.thread) << ",\"ts\":" << micros(e.start_ns, origin)
        << ",\"dur\":" << micros(std::max(e.end_ns, e.start_ns), e.start_ns) << ",\"args\":{\"peer\":" << e.peer
        << ",\"tag\":" << e.tag << ",\"bytes\":" << e.bytes << ",\"comm\":" << e.comm << "}}";
    ++slices;
    // Flows: a send's start to its receive's end (inside each slice, so they bind to them).
    if (e.peer >= 0 && e.comm == 0 && is_send(name)) {
      const End s{e.rank, e.thread, e.start_ns};
      auto& waiting = recvs[{e.rank, e.peer, e.tag}];
      if (!waiting.empty()) {
        flow(s, waiting.front());
        waiting.pop_front();
      } else {
        sends[{e.rank, e.peer, e.tag}].push_back(s);
      }
    } else if (e.peer >= 0 && e.comm == 0 && is_blocking_recv(name)) {
      const End r{e.rank, e.thread, std::max(e.end_ns, e.start_ns)};
      auto& waiting = sends[{e.peer, e.rank, e.tag}];
      if (!waiting.empty()) {
        flow(waiting.front(), r);
        waiting.pop_front();
      } else {
        recvs[{e.peer, e.rank, e.tag}].push_back(r);
      }
    }
  });
  out << "\n],\n\"otherData\":{\"job\":" << json_text(rec.job.key.job) << ",\"step\":" << json_text(rec.job.key.step)
      << ",\"origin_ns\":" << origin << ",\"dropped_events\":" << info.dropped << ",\"flows\":" << flow_id
      << ",\"flows_skipped\":" << skipped << "}}\n";
  return slices;
}

std::uint64_t write_otlp_trace(std::ostream& out, const std::filesystem::path& path) {
  const record::JobRecord rec = store::read_record(path);
  const store::TraceReader reader(path);
  const store::TraceInfo& info = reader.info();
  const std::string trace_id = trace_id_of(rec.job.key);
  const std::string job_key = rec.job.key.cluster + "/" + rec.job.key.job + "/" + rec.job.key.step;
  auto str_attr = [](const char* key, const std::string& v) {
    return std::string("{\"key\":\"") + key + "\",\"value\":{\"stringValue\":" + json_text(v) + "}}";
  };
  auto int_attr = [](const char* key, std::int64_t v) {
    return std::string("{\"key\":\"") + key + "\",\"value\":{\"intValue\":\"" + std::to_string(v) + "\"}}";
  };
  out << "{\"resourceSpans\":[";
  std::int32_t open_rank = std::numeric_limits<std::int32_t>::min();
  std::uint64_t index = 0, spans = 0;
  bool first_span = true;
  auto close_rank = [&] {
    if (open_rank != std::numeric_limits<std::int32_t>::min()) out << "\n]}]}";
  };
  for_each_event(reader, [&](const record::TraceEvent& e) {
    if (e.rank != open_rank) {
      const bool first_rank = open_rank == std::numeric_limits<std::int32_t>::min();
      close_rank();
      open_rank = e.rank;
      index = 0;
      first_span = true;
      out << (first_rank ? "\n" : ",\n") << "{\"resource\":{\"attributes\":[" << str_attr("service.name", "hpcmon-mpi")
          << "," << int_attr("mpi.rank", e.rank) << "," << str_attr("host.name", node_of(rec, e.rank)) << ","
          << str_attr("hpcmon.job", job_key) << "]},\"scopeSpans\":[{\"scope\":{\"name\":\"hpcmon.mpi\"},\"spans\":[";
    }
    ++index;
    // Unique in the trace: the rank in the top 24 bits, the rank's event number below.
    const std::uint64_t span_id = (std::uint64_t(std::uint32_t(e.rank) & 0xffffffu) << 40) | (index & 0xffffffffffull);
    out << (first_span ? "\n" : ",\n") << "{\"traceId\":\"" << trace_id << "\",\"spanId\":\"" << hex64(span_id)
        << "\",\"name\":" << json_text(function_name(info, e.function)) << ",\"kind\":1,\"startTimeUnixNano\":\""
        << e.start_ns << "\",\"endTimeUnixNano\":\"" << std::max(e.end_ns, e.start_ns) << "\",\"attributes\":["
        << int_attr("mpi.peer", e.peer) << "," << int_attr("mpi.tag", e.tag) << ","
        << int_attr("mpi.bytes", std::int64_t(e.bytes)) << "," << int_attr("mpi.comm", e.comm) << ","
        << int_attr("thread.id", e.thread) << "]}";
    first_span = false;
    ++spans;
  });
  close_rank();
  out << "\n]}\n";
  return spans;
}

}  // namespace hpcmon::cli
