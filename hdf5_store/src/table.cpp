#include "table.hpp"

#include <algorithm>

namespace hpcmon::store::table {
namespace {

constexpr unsigned kDeflateLevel = 4;
constexpr std::size_t kTargetChunkBytes = 256 * 1024;

std::size_t mem_size(Col c) {
  switch (c) {
    case Col::i32: case Col::u32: return 4;
    case Col::i64: case Col::u64: case Col::f64: return 8;
    case Col::u16: return 2;
    case Col::u8: return 1;
    case Col::str: return sizeof(char*);
  }
  return 0;
}

hid_t file_atom(Col c) {
  switch (c) {
    case Col::i32: return H5T_STD_I32LE;
    case Col::u32: return H5T_STD_U32LE;
    case Col::i64: return H5T_STD_I64LE;
    case Col::u64: return H5T_STD_U64LE;
    case Col::u16: return H5T_STD_U16LE;
    case Col::u8: return H5T_STD_U8LE;
    case Col::f64: return H5T_IEEE_F64LE;
    case Col::str: break;
  }
  return H5I_INVALID_HID;
}

hid_t mem_atom(Col c) {
  switch (c) {
    case Col::i32: return H5T_NATIVE_INT32;
    case Col::u32: return H5T_NATIVE_UINT32;
    case Col::i64: return H5T_NATIVE_INT64;
    case Col::u64: return H5T_NATIVE_UINT64;
    case Col::u16: return H5T_NATIVE_UINT16;
    case Col::u8: return H5T_NATIVE_UINT8;
    case Col::f64: return H5T_NATIVE_DOUBLE;
    case Col::str: break;
  }
  return H5I_INVALID_HID;
}

}  // namespace

Schema::Schema(std::vector<Column> columns) : columns_(std::move(columns)) {
  for (const auto& c : columns_) {
    offsets_.push_back(row_size_);
    row_size_ += mem_size(c.type);
  }
}

h5::Id Schema::file_type() const {
  h5::Id str = h5::vl_string_type();
  std::size_t size = 0;
  for (const auto& c : columns_) size += c.type == Col::str ? H5Tget_size(str) : H5Tget_size(file_atom(c.type));
  h5::Id t = h5::check(H5Tcreate(H5T_COMPOUND, size), "H5Tcreate");
  std::size_t off = 0;
  for (const auto& c : columns_) {
    hid_t member = c.type == Col::str ? str.get() : file_atom(c.type);
    h5::check_status(H5Tinsert(t, c.name, off, member), c.name);
    off += H5Tget_size(member);
  }
  return t;
}

h5::Id Schema::mem_type(const std::vector<bool>& include) const {
  h5::Id str = h5::vl_string_type();
  h5::Id t = h5::check(H5Tcreate(H5T_COMPOUND, row_size_), "H5Tcreate");
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (!include[i]) continue;
    hid_t member = columns_[i].type == Col::str ? str.get() : mem_atom(columns_[i].type);
    h5::check_status(H5Tinsert(t, columns_[i].name, offsets_[i], member), columns_[i].name);
  }
  return t;
}

Rows::Rows(const Schema& schema, std::size_t n)
    : schema_(&schema), n_(n), buf_(schema.row_size() * n, 0), strings_(schema.columns().size()),
      present_(schema.columns().size(), true) {
  for (std::size_t c = 0; c < schema.columns().size(); ++c)
    if (schema.columns()[c].type == Col::str) strings_[c].resize(n);
}

h5::Id chunked_dcpl(int rank, const hsize_t* dims, std::size_t elem_size) {
  h5::Id dcpl = h5::check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate");
  hsize_t chunk[2] = {1, 1};
  hsize_t inner = rank == 2 ? std::max<hsize_t>(dims[1], 1) : 1;
  hsize_t rows = std::max<hsize_t>(1, kTargetChunkBytes / (elem_size * inner));
  chunk[0] = std::clamp<hsize_t>(dims[0], 1, rows);
  if (rank == 2) chunk[1] = inner;
  h5::check_status(H5Pset_chunk(dcpl, rank, chunk), "H5Pset_chunk");
  h5::check_status(H5Pset_shuffle(dcpl), "H5Pset_shuffle");
  h5::check_status(H5Pset_deflate(dcpl, kDeflateLevel), "H5Pset_deflate");
  return dcpl;
}

static h5::Id extendible_space(int rank, const hsize_t* dims) {
  hsize_t maxdims[2] = {H5S_UNLIMITED, rank == 2 ? dims[1] : 0};
  return h5::check(H5Screate_simple(rank, dims, maxdims), "H5Screate_simple");
}

void Rows::write(hid_t loc, const char* name) {
  for (std::size_t c = 0; c < schema_->columns().size(); ++c) {
    if (schema_->columns()[c].type != Col::str) continue;
    for (std::size_t r = 0; r < n_; ++r) set<const char*>(r, c, strings_[c][r].c_str());
  }
  h5::Id ftype = schema_->file_type();
  h5::Id mtype = schema_->mem_type(present_);
  hsize_t dims[1] = {n_};
  h5::Id space = extendible_space(1, dims);
  h5::Id dcpl = chunked_dcpl(1, dims, H5Tget_size(ftype));
  h5::Id dset = h5::check(H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), name);
  if (n_ > 0) h5::check_status(H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf_.data()), name);
}

void check_plausible_size(hid_t dset, hsize_t points, std::size_t elem_size, const char* name) {
  // Deflate cannot expand more than ~1032:1; allow 1 MiB for small datasets and fill values.
  hsize_t stored = H5Dget_storage_size(dset);
  long double wanted = static_cast<long double>(points) * elem_size;
  if (wanted > 1048576.0L + 1100.0L * stored) h5::fail(std::string(name) + " is larger than its stored data");
}

Rows Rows::read(hid_t loc, const char* name, const Schema& schema) {
  h5::Id dset = h5::check(H5Dopen2(loc, name, H5P_DEFAULT), name);
  h5::Id ftype = h5::check(H5Dget_type(dset), name);
  if (H5Tget_class(ftype) != H5T_COMPOUND) h5::fail(std::string(name) + " is not a table");
  h5::Id space = h5::check(H5Dget_space(dset), name);
  if (H5Sget_simple_extent_ndims(space) != 1) h5::fail(std::string(name) + " is not one-dimensional");
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space, &n, nullptr);
  check_plausible_size(dset, n, schema.row_size(), name);
  Rows rows(schema, n);
  for (std::size_t c = 0; c < schema.columns().size(); ++c)
    rows.present_[c] = H5Tget_member_index(ftype, schema.columns()[c].name) >= 0;
  if (n == 0) return rows;
  h5::Id mtype = schema.mem_type(rows.present_);
  h5::check_status(H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.buf_.data()), name);
  bool has_strings = false;
  for (std::size_t c = 0; c < schema.columns().size(); ++c) {
    if (schema.columns()[c].type != Col::str || !rows.present_[c]) continue;
    has_strings = true;
    for (std::size_t r = 0; r < n; ++r) {
      const char* p = rows.get<const char*>(r, c);
      rows.strings_[c][r] = p ? p : "";
    }
  }
  if (has_strings) H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, rows.buf_.data());
  return rows;
}

void write_array(hid_t loc, const char* name, hid_t file_type, hid_t mem_type, int rank,
                 const hsize_t* dims, const void* data) {
  h5::Id space = extendible_space(rank, dims);
  h5::Id dcpl = chunked_dcpl(rank, dims, H5Tget_size(file_type));
  h5::Id dset = h5::check(H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), name);
  hsize_t points = rank == 2 ? dims[0] * dims[1] : dims[0];
  if (points > 0) h5::check_status(H5Dwrite(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), name);
}

template <class T>
std::vector<T> read_array(hid_t loc, const char* name, hid_t mem_type, int rank, hsize_t* dims) {
  h5::Id dset = h5::check(H5Dopen2(loc, name, H5P_DEFAULT), name);
  h5::Id ftype = h5::check(H5Dget_type(dset), name);
  H5T_class_t cls = H5Tget_class(ftype);
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) h5::fail(std::string(name) + " is not numeric");
  h5::Id space = h5::check(H5Dget_space(dset), name);
  if (H5Sget_simple_extent_ndims(space) != rank) h5::fail(std::string(name) + " has the wrong rank");
  H5Sget_simple_extent_dims(space, dims, nullptr);
  hsize_t points = rank == 2 ? dims[0] * dims[1] : dims[0];
  check_plausible_size(dset, points, sizeof(T), name);
  std::vector<T> out(points);
  if (points > 0) h5::check_status(H5Dread(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), name);
  return out;
}

template std::vector<double> read_array<double>(hid_t, const char*, hid_t, int, hsize_t*);
template std::vector<std::int64_t> read_array<std::int64_t>(hid_t, const char*, hid_t, int, hsize_t*);
template std::vector<std::uint64_t> read_array<std::uint64_t>(hid_t, const char*, hid_t, int, hsize_t*);

void write_strings(hid_t loc, const char* name, const std::vector<std::string>& v) {
  h5::Id type = h5::vl_string_type();
  hsize_t dims[1] = {v.size()};
  h5::Id space = h5::check(H5Screate_simple(1, dims, nullptr), name);
  h5::Id dset = h5::check(H5Dcreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), name);
  if (v.empty()) return;
  std::vector<const char*> ptrs;
  ptrs.reserve(v.size());
  for (const auto& s : v) ptrs.push_back(s.c_str());
  h5::check_status(H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), name);
}

std::vector<std::string> read_strings(hid_t loc, const char* name) {
  h5::Id dset = h5::check(H5Dopen2(loc, name, H5P_DEFAULT), name);
  h5::Id ftype = h5::check(H5Dget_type(dset), name);
  if (H5Tget_class(ftype) != H5T_STRING || H5Tis_variable_str(ftype) <= 0)
    h5::fail(std::string(name) + " is not a string list");
  h5::Id space = h5::check(H5Dget_space(dset), name);
  if (H5Sget_simple_extent_ndims(space) != 1) h5::fail(std::string(name) + " is not one-dimensional");
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space, &n, nullptr);
  check_plausible_size(dset, n, 16, name);
  std::vector<std::string> out;
  if (n == 0) return out;
  h5::Id mem = h5::vl_string_type();
  std::vector<char*> ptrs(n, nullptr);
  h5::check_status(H5Dread(dset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), name);
  out.reserve(n);
  for (char* p : ptrs) out.emplace_back(p ? p : "");
  H5Dvlen_reclaim(mem, space, H5P_DEFAULT, ptrs.data());
  return out;
}

}  // namespace hpcmon::store::table
