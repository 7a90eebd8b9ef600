// /memory in an HDF5 record (memprof_record.hpp; layout in docs/job-record.md).
#include <hdf5.h>

#include <array>
#include <cstring>
#include <stdexcept>

#include "hpcmon/memprof_record.hpp"

namespace hpcmon::mem {
namespace {

constexpr const char* kGroup = "memory";

struct Handle {  // closes an HDF5 id with its own close function
  hid_t id;
  herr_t (*close)(hid_t);
  Handle(hid_t i, herr_t (*c)(hid_t), const std::string& what) : id(i), close(c) {
    if (id < 0) throw std::runtime_error("hdf5: " + what);
  }
  ~Handle() { close(id); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
};

hid_t vlen_string() {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

template <typename T>
void put(hid_t obj, const char* name, hid_t type, const T& value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose, "space");
  Handle a(H5Acreate2(obj, name, type, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, name);
  H5Awrite(a.id, type, &value);
}
void put_string(hid_t obj, const char* name, const std::string& v) {
  Handle type(vlen_string(), H5Tclose, "type");
  const char* p = v.c_str();
  put(obj, name, type.id, p);
}

bool has_attr(hid_t obj, const char* name) { return H5Aexists(obj, name) > 0; }
template <typename T>
T get(hid_t obj, const char* name, hid_t type) {
  T v{};
  if (!has_attr(obj, name)) return v;
  Handle a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose, name);
  H5Aread(a.id, type, &v);
  return v;
}
std::string get_string(hid_t obj, const char* name) {
  if (!has_attr(obj, name)) return {};
  Handle a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose, name);
  Handle type(vlen_string(), H5Tclose, "type");
  char* p = nullptr;
  H5Aread(a.id, type.id, &p);
  std::string s = p ? p : "";
  if (p) H5free_memory(p);
  return s;
}

// An n x 3 table of 64-bit integers.
void put_rows(hid_t g, const char* name, hid_t type, const std::vector<std::array<uint64_t, 3>>& rows) {
  hsize_t dims[2] = {rows.size(), 3};
  Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose, "space");
  Handle d(H5Dcreate2(g, name, type, space.id, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose, name);
  if (!rows.empty()) H5Dwrite(d.id, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data());
}
std::vector<std::array<uint64_t, 3>> get_rows(hid_t g, const char* name, hid_t type) {
  std::vector<std::array<uint64_t, 3>> rows;
  if (H5Lexists(g, name, H5P_DEFAULT) <= 0) return rows;
  Handle d(H5Dopen2(g, name, H5P_DEFAULT), H5Dclose, name);
  Handle space(H5Dget_space(d.id), H5Sclose, "space");
  hsize_t dims[2] = {0, 0};
  if (H5Sget_simple_extent_ndims(space.id) != 2) return rows;
  H5Sget_simple_extent_dims(space.id, dims, nullptr);
  if (dims[1] != 3) return rows;
  rows.resize(dims[0]);
  if (!rows.empty()) H5Dread(d.id, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data());
  return rows;
}

struct LeakRow { const char* function; const char* file; int32_t line; const char* object; uint64_t count, bytes; };
struct LibraryRow { const char* library; uint64_t count, bytes; };

hid_t leak_type(hid_t str) {
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(LeakRow));
  H5Tinsert(t, "function", HOFFSET(LeakRow, function), str);
  H5Tinsert(t, "file", HOFFSET(LeakRow, file), str);
  H5Tinsert(t, "line", HOFFSET(LeakRow, line), H5T_NATIVE_INT32);
  H5Tinsert(t, "object", HOFFSET(LeakRow, object), str);
  H5Tinsert(t, "count", HOFFSET(LeakRow, count), H5T_NATIVE_UINT64);
  H5Tinsert(t, "bytes", HOFFSET(LeakRow, bytes), H5T_NATIVE_UINT64);
  return t;
}
hid_t library_type(hid_t str) {
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(LibraryRow));
  H5Tinsert(t, "library", HOFFSET(LibraryRow, library), str);
  H5Tinsert(t, "count", HOFFSET(LibraryRow, count), H5T_NATIVE_UINT64);
  H5Tinsert(t, "bytes", HOFFSET(LibraryRow, bytes), H5T_NATIVE_UINT64);
  return t;
}

template <typename Row>
void put_table(hid_t g, const char* name, hid_t type, const std::vector<Row>& rows) {
  hsize_t n = rows.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose, "space");
  Handle d(H5Dcreate2(g, name, type, space.id, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose, name);
  if (!rows.empty()) H5Dwrite(d.id, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data());
}
template <typename Row>
std::vector<Row> get_table(hid_t g, const char* name, hid_t type, hid_t& space_out) {
  std::vector<Row> rows;
  Handle d(H5Dopen2(g, name, H5P_DEFAULT), H5Dclose, name);
  space_out = H5Dget_space(d.id);
  rows.resize(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space_out)));
  if (!rows.empty()) H5Dread(d.id, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data());
  return rows;
}

void write_process(hid_t memory, const StoredProcess& p) {
  if (H5Lexists(memory, p.name.c_str(), H5P_DEFAULT) > 0) H5Ldelete(memory, p.name.c_str(), H5P_DEFAULT);
  Handle g(H5Gcreate2(memory, p.name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, p.name);
  put_string(g.id, "host", p.host);
  put_string(g.id, "exe", p.exe);
  put(g.id, "pid", H5T_NATIVE_UINT64, p.pid);
  if (p.rank) put(g.id, "rank", H5T_NATIVE_INT64, *p.rank);
  const std::pair<const char*, uint64_t> counts[] = {
      {"start_ns", p.start_ns}, {"end_ns", p.end_ns}, {"allocations", p.allocations},
      {"allocated_bytes", p.allocated_bytes}, {"frees", p.frees}, {"freed_bytes", p.freed_bytes},
      {"peak_live_bytes", p.peak_live_bytes}, {"live_blocks", p.live_blocks}, {"live_bytes", p.live_bytes},
      {"rss_hwm_bytes", p.rss_hwm_bytes}, {"unattributed_count", p.unattributed_count},
      {"unattributed_bytes", p.unattributed_bytes}};
  for (const auto& [name, value] : counts) put(g.id, name, H5T_NATIVE_UINT64, value);
  put(g.id, "efficiency", H5T_NATIVE_DOUBLE, p.efficiency);
  put(g.id, "partial", H5T_NATIVE_UINT8, static_cast<uint8_t>(p.partial));

  std::vector<std::array<uint64_t, 3>> rows;
  for (const LiveSample& s : p.samples) rows.push_back({s.t_ns, static_cast<uint64_t>(s.live_bytes), s.rss_bytes});
  put_rows(g.id, "samples", H5T_NATIVE_INT64, rows);  // t_ns, live_bytes, rss_bytes
  rows.clear();
  for (const SizeClassCount& c : p.size_classes)
    rows.push_back({static_cast<uint64_t>(c.size_class), c.count, c.bytes});
  put_rows(g.id, "size_classes", H5T_NATIVE_UINT64, rows);  // class, count, bytes

  Handle str(vlen_string(), H5Tclose, "type");
  Handle lt(leak_type(str.id), H5Tclose, "leak type");
  std::vector<LeakRow> leaks;
  for (const StoredLeak& l : p.user_leaks)
    leaks.push_back({l.function.c_str(), l.file.c_str(), l.line, l.object.c_str(), l.count, l.bytes});
  put_table(g.id, "user_leaks", lt.id, leaks);
  Handle bt(library_type(str.id), H5Tclose, "library type");
  std::vector<LibraryRow> libs;
  for (const LibraryLeaks& l : p.library_leaks) libs.push_back({l.library.c_str(), l.count, l.bytes});
  put_table(g.id, "library_leaks", bt.id, libs);
}

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->push_back(name);
  return 0;
}

StoredProcess read_process(hid_t memory, const std::string& name) {
  Handle g(H5Gopen2(memory, name.c_str(), H5P_DEFAULT), H5Gclose, name);
  StoredProcess p;
  p.name = name;
  p.host = get_string(g.id, "host");
  p.exe = get_string(g.id, "exe");
  p.pid = get<uint64_t>(g.id, "pid", H5T_NATIVE_UINT64);
  if (has_attr(g.id, "rank")) p.rank = get<int64_t>(g.id, "rank", H5T_NATIVE_INT64);
  const std::pair<const char*, uint64_t*> counts[] = {
      {"start_ns", &p.start_ns}, {"end_ns", &p.end_ns}, {"allocations", &p.allocations},
      {"allocated_bytes", &p.allocated_bytes}, {"frees", &p.frees}, {"freed_bytes", &p.freed_bytes},
      {"peak_live_bytes", &p.peak_live_bytes}, {"live_blocks", &p.live_blocks}, {"live_bytes", &p.live_bytes},
      {"rss_hwm_bytes", &p.rss_hwm_bytes}, {"unattributed_count", &p.unattributed_count},
      {"unattributed_bytes", &p.unattributed_bytes}};
  for (const auto& [attr, field] : counts) *field = get<uint64_t>(g.id, attr, H5T_NATIVE_UINT64);
  p.efficiency = get<double>(g.id, "efficiency", H5T_NATIVE_DOUBLE);
  p.partial = get<uint8_t>(g.id, "partial", H5T_NATIVE_UINT8) != 0;
  for (const auto& r : get_rows(g.id, "samples", H5T_NATIVE_INT64))
    p.samples.push_back({r[0], static_cast<int64_t>(r[1]), r[2]});
  for (const auto& r : get_rows(g.id, "size_classes", H5T_NATIVE_UINT64))
    p.size_classes.push_back({static_cast<int>(r[0]), r[1], r[2]});

  Handle str(vlen_string(), H5Tclose, "type");
  if (H5Lexists(g.id, "user_leaks", H5P_DEFAULT) > 0) {
    Handle lt(leak_type(str.id), H5Tclose, "leak type");
    hid_t space = -1;
    auto rows = get_table<LeakRow>(g.id, "user_leaks", lt.id, space);
    for (const LeakRow& r : rows)
      p.user_leaks.push_back({r.function ? r.function : "", r.file ? r.file : "", r.object ? r.object : "", r.line,
                              r.count, r.bytes});
    if (!rows.empty()) H5Dvlen_reclaim(lt.id, space, H5P_DEFAULT, rows.data());
    H5Sclose(space);
  }
  if (H5Lexists(g.id, "library_leaks", H5P_DEFAULT) > 0) {
    Handle bt(library_type(str.id), H5Tclose, "library type");
    hid_t space = -1;
    auto rows = get_table<LibraryRow>(g.id, "library_leaks", bt.id, space);
    for (const LibraryRow& r : rows) p.library_leaks.push_back({r.library ? r.library : "", r.count, r.bytes});
    if (!rows.empty()) H5Dvlen_reclaim(bt.id, space, H5P_DEFAULT, rows.data());
    H5Sclose(space);
  }
  return p;
}

hid_t open_or_create_group(hid_t file) {
  if (H5Lexists(file, kGroup, H5P_DEFAULT) > 0) return H5Gopen2(file, kGroup, H5P_DEFAULT);
  hid_t g = H5Gcreate2(file, kGroup, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g >= 0) put(g, "version", H5T_NATIVE_INT32, int32_t{1});
  return g;
}

}  // namespace

void write_memory_group(const std::string& h5_path, const std::vector<StoredProcess>& processes) {
  Handle file(H5Fopen(h5_path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose, h5_path + ": cannot open");
  Handle memory(open_or_create_group(file.id), H5Gclose, "/memory");
  for (const StoredProcess& p : processes) write_process(memory.id, p);
}

std::vector<StoredProcess> read_memory_group(const std::string& h5_path) {
  Handle file(H5Fopen(h5_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, h5_path + ": cannot open");
  std::vector<StoredProcess> out;
  if (H5Lexists(file.id, kGroup, H5P_DEFAULT) <= 0) return out;
  Handle memory(H5Gopen2(file.id, kGroup, H5P_DEFAULT), H5Gclose, "/memory");
  std::vector<std::string> names;
  H5Literate(memory.id, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_name, &names);
  for (const std::string& n : names) out.push_back(read_process(memory.id, n));
  return out;
}

void carry_memory_groups(const std::string& out, const std::vector<std::string>& inputs) {
  std::vector<StoredProcess> all;
  for (const std::string& in : inputs)
    for (StoredProcess& p : read_memory_group(in)) all.push_back(std::move(p));
  if (!all.empty()) write_memory_group(out, all);
}

}  // namespace hpcmon::mem
