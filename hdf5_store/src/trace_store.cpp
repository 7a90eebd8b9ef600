// The /trace group (docs/tracing.md): one extendible, chunked 1-D dataset per event field
// under /trace/events, appended chunk by chunk as the source yields them.
#include "trace_store.hpp"

#include <algorithm>
#include <cstring>

#include "format.hpp"
#include "hpcmon/store.hpp"

namespace hpcmon::store {
namespace {

using record::TraceEvent;

constexpr hsize_t kTraceChunkElems = 16384;

struct Field {
  const char* name;
  hid_t file_type;
  hid_t mem_type;
  std::size_t size;
};

// Order of the fields; the writer and the reader share it.
std::vector<Field> fields() {
  return {{"rank", H5T_STD_I32LE, H5T_NATIVE_INT32, 4},     {"thread", H5T_STD_U8LE, H5T_NATIVE_UINT8, 1},
          {"function", H5T_STD_U16LE, H5T_NATIVE_UINT16, 2}, {"peer", H5T_STD_I32LE, H5T_NATIVE_INT32, 4},
          {"tag", H5T_STD_I32LE, H5T_NATIVE_INT32, 4},       {"comm", H5T_STD_U32LE, H5T_NATIVE_UINT32, 4},
          {"bytes", H5T_STD_U64LE, H5T_NATIVE_UINT64, 8},    {"start_ns", H5T_STD_I64LE, H5T_NATIVE_INT64, 8},
          {"end_ns", H5T_STD_I64LE, H5T_NATIVE_INT64, 8}};
}

// Field f of event e, as bytes of its memory type.
const void* field_of(const TraceEvent& e, std::size_t f) {
  switch (f) {
    case 0: return &e.rank;
    case 1: return &e.thread;
    case 2: return &e.function;
    case 3: return &e.peer;
    case 4: return &e.tag;
    case 5: return &e.comm;
    case 6: return &e.bytes;
    case 7: return &e.start_ns;
    default: return &e.end_ns;
  }
}
void* field_of(TraceEvent& e, std::size_t f) { return const_cast<void*>(field_of(const_cast<const TraceEvent&>(e), f)); }

h5::Id create_column(hid_t grp, const Field& f) {
  hsize_t dims[1] = {0}, maxdims[1] = {H5S_UNLIMITED}, chunk[1] = {kTraceChunkElems};
  h5::Id space = h5::check(H5Screate_simple(1, dims, maxdims), "H5Screate_simple");
  h5::Id dcpl = h5::check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate");
  h5::check_status(H5Pset_chunk(dcpl, 1, chunk), "H5Pset_chunk");
  h5::check_status(H5Pset_shuffle(dcpl), "H5Pset_shuffle");
  h5::check_status(H5Pset_deflate(dcpl, table::kDeflateLevel), "H5Pset_deflate");
  return h5::check(H5Dcreate2(grp, f.name, f.file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), f.name);
}

void append(hid_t dset, const Field& f, hsize_t at, const std::vector<unsigned char>& data, hsize_t n) {
  hsize_t size[1] = {at + n};
  h5::check_status(H5Dset_extent(dset, size), f.name);
  h5::Id fspace = h5::check(H5Dget_space(dset), f.name);
  hsize_t start[1] = {at}, count[1] = {n};
  h5::check_status(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, count, nullptr), f.name);
  h5::Id mspace = h5::check(H5Screate_simple(1, count, nullptr), f.name);
  h5::check_status(H5Dwrite(dset, f.mem_type, mspace, fspace, H5P_DEFAULT, data.data()), f.name);
}

}  // namespace

namespace detail {

void write_trace(hid_t file, TraceSource& source) {
  h5::Id grp = h5::check(H5Gcreate2(file, kTraceGroup, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), kTraceGroup);
  table::write_strings(grp, "function_names", source.function_names());
  h5::Id events = h5::check(H5Gcreate2(grp, "events", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "events");
  const std::vector<Field> fs = fields();
  std::vector<h5::Id> columns;
  for (const Field& f : fs) columns.push_back(create_column(events, f));
  // Appends whole dataset chunks only (the last one aside): a partial chunk would be
  // deflated again at every append. Holds at most two chunks of events.
  std::vector<TraceEvent> chunk, pending;
  std::vector<unsigned char> buf;
  hsize_t at = 0;
  auto flush = [&](std::size_t n) {
    for (std::size_t c = 0; c < fs.size(); ++c) {
      buf.resize(n * fs[c].size);
      for (std::size_t i = 0; i < n; ++i) std::memcpy(buf.data() + i * fs[c].size, field_of(pending[i], c), fs[c].size);
      append(columns[c], fs[c], at, buf, n);
    }
    at += n;
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
  };
  while (source.next(chunk)) {
    pending.insert(pending.end(), chunk.begin(), chunk.end());
    if (pending.size() >= kTraceChunkElems) flush(pending.size() / kTraceChunkElems * kTraceChunkElems);
  }
  if (!pending.empty()) flush(pending.size());
  const std::vector<record::TraceRank> ranks = source.ranks();
  table::Rows rows(format::trace_rank_schema(), ranks.size());
  std::uint64_t dropped = 0;
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    rows.set<std::int32_t>(i, 0, ranks[i].rank);
    rows.set<std::uint64_t>(i, 1, ranks[i].recorded);
    rows.set<std::uint64_t>(i, 2, ranks[i].dropped);
    rows.set<std::uint64_t>(i, 3, ranks[i].capacity);
    dropped += ranks[i].dropped;
  }
  rows.write(grp, "ranks");
  h5::write_attr_str(grp, "policy", kTracePolicy);
  h5::write_attr_u64(grp, "events", at);
  h5::write_attr_u64(grp, "dropped", dropped);
  h5::write_attr_str(grp, "clock", "rank 0");
  h5::write_attr_str(grp, "time_unit", "ns since the Unix epoch (UTC)");
}

}  // namespace detail

TraceReader::TraceReader(const std::filesystem::path& path) : path_(path) {
  h5::QuietErrors quiet;
  try {
    read_format_version(path);  // signature and version checks, RecordError on failure
    h5::Id fapl = h5::check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate");
    h5::disable_file_locking(fapl);
    h5::check_status(H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG), "H5Pset_fclose_degree");
    h5::Id file = h5::check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl), "cannot open");
    if (!h5::link_exists(file, kTraceGroup)) {
      file_ = file.release();
      return;
    }
    h5::Id grp = h5::check(H5Gopen2(file, kTraceGroup, H5P_DEFAULT), kTraceGroup);
    info_.present = true;
    info_.policy = h5::read_attr_str(grp, "policy").value_or("");
    info_.function_names = table::read_strings(grp, "function_names");
    table::Rows rows = table::Rows::read(grp, "ranks", format::trace_rank_schema());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      record::TraceRank r;
      r.rank = rows.get<std::int32_t>(i, 0);
      r.recorded = rows.get<std::uint64_t>(i, 1);
      r.dropped = rows.get<std::uint64_t>(i, 2);
      r.capacity = rows.get<std::uint64_t>(i, 3);
      info_.dropped += r.dropped;
      info_.ranks.push_back(r);
    }
    h5::Id dset = h5::check(H5Dopen2(grp, "events/rank", H5P_DEFAULT), "events/rank");
    h5::Id space = h5::check(H5Dget_space(dset), "events/rank");
    hsize_t dims[1] = {0};
    if (H5Sget_simple_extent_ndims(space) != 1) h5::fail("trace events are not 1-D");
    H5Sget_simple_extent_dims(space, dims, nullptr);
    info_.events = dims[0];
    for (const Field& f : fields()) {
      h5::Id d = h5::check(H5Dopen2(grp, (std::string("events/") + f.name).c_str(), H5P_DEFAULT), f.name);
      h5::Id s = h5::check(H5Dget_space(d), f.name);
      hsize_t n[1] = {0};
      if (H5Sget_simple_extent_ndims(s) != 1) h5::fail("trace events are not 1-D");
      H5Sget_simple_extent_dims(s, n, nullptr);
      if (n[0] != info_.events) h5::fail(std::string("trace column ") + f.name + " has another length");
      table::check_plausible_size(d, n[0], f.size, f.name);
    }
    file_ = file.release();
  } catch (const h5::Failure& f) {
    throw RecordError(RecordError::Kind::damaged, path.string() + ": damaged trace: " + f.what);
  }
}

bool copy_trace(const std::filesystem::path& from, const std::filesystem::path& to) {
  {
    const TraceReader source(from);  // signature, version and column checks
    if (!source.info().present) return false;
  }
  h5::QuietErrors quiet;
  try {
    h5::Id fapl = h5::check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate");
    h5::disable_file_locking(fapl);
    h5::check_status(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V110), "H5Pset_libver_bounds");
    h5::check_status(H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG), "H5Pset_fclose_degree");
    h5::Id src = h5::check(H5Fopen(from.c_str(), H5F_ACC_RDONLY, fapl), "cannot open the source");
    h5::Id dst = h5::check(H5Fopen(to.c_str(), H5F_ACC_RDWR, fapl), "cannot open the target");
    if (h5::link_exists(dst, kTraceGroup)) h5::fail("the target has a trace already");
    h5::check_status(H5Ocopy(src, kTraceGroup, dst, kTraceGroup, H5P_DEFAULT, H5P_DEFAULT), "H5Ocopy");
    h5::check_status(H5Fflush(dst, H5F_SCOPE_LOCAL), "H5Fflush");
    h5::check_status(H5Fclose(dst.release()), "H5Fclose");
  } catch (const h5::Failure& f) {
    throw RecordError(RecordError::Kind::write_failed,
                      to.string() + ": cannot copy the trace of " + from.string() + ": " + f.what);
  }
  return true;
}

TraceReader::~TraceReader() {
  if (file_ >= 0) H5Fclose(hid_t(file_));
}

std::vector<record::TraceEvent> TraceReader::read(std::uint64_t offset, std::uint64_t count) const {
  std::vector<TraceEvent> out;
  if (!info_.present || offset >= info_.events) return out;
  count = std::min(count, info_.events - offset);
  out.resize(count);
  h5::QuietErrors quiet;
  try {
    std::vector<unsigned char> buf;
    const std::vector<Field> fs = fields();
    for (std::size_t c = 0; c < fs.size(); ++c) {
      h5::Id d = h5::check(H5Dopen2(hid_t(file_), (std::string(kTraceGroup) + "/events/" + fs[c].name).c_str(),
                                    H5P_DEFAULT), fs[c].name);
      h5::Id fspace = h5::check(H5Dget_space(d), fs[c].name);
      hsize_t start[1] = {offset}, n[1] = {count};
      h5::check_status(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, n, nullptr), fs[c].name);
      h5::Id mspace = h5::check(H5Screate_simple(1, n, nullptr), fs[c].name);
      buf.resize(count * fs[c].size);
      h5::check_status(H5Dread(d, fs[c].mem_type, mspace, fspace, H5P_DEFAULT, buf.data()), fs[c].name);
      for (std::size_t i = 0; i < count; ++i) std::memcpy(field_of(out[i], c), buf.data() + i * fs[c].size, fs[c].size);
    }
  } catch (const h5::Failure& f) {
    throw RecordError(RecordError::Kind::damaged, path_.string() + ": damaged trace: " + f.what);
  }
  return out;
}

}  // namespace hpcmon::store
