#include "table.hpp"

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <thread>

namespace hpcmon::store::table {
namespace {

// Series chunks are deflated with run-length matching only: on shuffled numbers (constant
// high-byte planes) it halves the CPU time of the default strategy for ~14 % more bytes
// (bench/store_bench: 4096 ranks 0.52 s CPU / 46.7 MiB against 0.97 s / 41.1 MiB). The
// result is an ordinary zlib stream that any HDF5 deflate filter inflates.
constexpr int kSeriesStrategy = Z_RLE;

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
    row_size_ += c.type == Col::str ? 0 : mem_size(c.type);
  }
}

h5::Id fixed_string_type(std::size_t size, H5T_cset_t cset) {
  h5::Id t = h5::check(H5Tcopy(H5T_C_S1), "H5Tcopy");
  h5::check_status(H5Tset_size(t, std::max<std::size_t>(size, 1)), "H5Tset_size");
  h5::check_status(H5Tset_strpad(t, H5T_STR_NULLPAD), "H5Tset_strpad");
  h5::check_status(H5Tset_cset(t, cset), "H5Tset_cset");
  return t;
}

namespace {

// The packed row as it crosses the HDF5 API: included columns in schema order, strings as
// fixed-size fields of their table's width.
struct Wire {
  std::vector<std::size_t> offset, size;
  std::vector<H5T_cset_t> cset;  // of string columns
  std::size_t row = 0;
};

Wire wire_layout(const Schema& schema, const std::vector<std::size_t>& widths, const std::vector<bool>& include) {
  Wire w;
  w.cset.assign(schema.columns().size(), H5T_CSET_UTF8);
  for (std::size_t c = 0; c < schema.columns().size(); ++c) {
    const Col type = schema.columns()[c].type;
    w.offset.push_back(w.row);
    w.size.push_back(include[c] ? (type == Col::str ? widths[c] : mem_size(type)) : 0);
    w.row += w.size.back();
  }
  return w;
}

// Compound type of a wire layout: standard little-endian atoms for the file, native ones
// for memory (same sizes, so the same offsets).
h5::Id wire_type(const Schema& schema, const Wire& w, const std::vector<bool>& include, bool for_file) {
  h5::Id t = h5::check(H5Tcreate(H5T_COMPOUND, std::max<std::size_t>(w.row, 1)), "H5Tcreate");
  for (std::size_t c = 0; c < schema.columns().size(); ++c) {
    if (!include[c]) continue;
    const auto& col = schema.columns()[c];
    if (col.type == Col::str) {
      h5::Id str = fixed_string_type(w.size[c], w.cset[c]);
      h5::check_status(H5Tinsert(t, col.name, w.offset[c], str), col.name);
    } else {
      h5::check_status(H5Tinsert(t, col.name, w.offset[c], for_file ? file_atom(col.type) : mem_atom(col.type)),
                       col.name);
    }
  }
  return t;
}

}  // namespace

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
  const auto& cols = schema_->columns();
  std::vector<std::size_t> widths(cols.size(), 0);
  for (std::size_t c = 0; c < cols.size(); ++c)
    if (cols[c].type == Col::str) {
      widths[c] = 1;
      for (const auto& s : strings_[c]) widths[c] = std::max(widths[c], s.size());
    }
  const Wire w = wire_layout(*schema_, widths, present_);
  std::vector<unsigned char> wire(w.row * n_, 0);
  for (std::size_t r = 0; r < n_; ++r)
    for (std::size_t c = 0; c < cols.size(); ++c) {
      unsigned char* dst = wire.data() + r * w.row + w.offset[c];
      if (cols[c].type == Col::str)
        std::memcpy(dst, strings_[c][r].data(), strings_[c][r].size());
      else
        std::memcpy(dst, at(r, c), w.size[c]);
    }
  h5::Id ftype = wire_type(*schema_, w, present_, true);
  h5::Id mtype = wire_type(*schema_, w, present_, false);
  hsize_t dims[1] = {n_};
  h5::Id space = extendible_space(1, dims);
  h5::Id dcpl = chunked_dcpl(1, dims, w.row);
  h5::Id dset = h5::check(H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), name);
  if (n_ > 0) h5::check_status(H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, wire.data()), name);
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
  const auto& cols = schema.columns();
  std::vector<bool> present(cols.size(), false);
  std::vector<std::size_t> widths(cols.size(), 0);
  std::vector<H5T_cset_t> csets(cols.size(), H5T_CSET_UTF8);
  for (std::size_t c = 0; c < cols.size(); ++c) {
    const int idx = H5Tget_member_index(ftype, cols[c].name);
    if (idx < 0) continue;
    present[c] = true;
    h5::Id member = h5::check(H5Tget_member_type(ftype, static_cast<unsigned>(idx)), cols[c].name);
    const bool is_string = H5Tget_class(member) == H5T_STRING;
    if (is_string != (cols[c].type == Col::str)) h5::fail(std::string(name) + "." + cols[c].name + " has the wrong type");
    if (!is_string) continue;
    if (H5Tis_variable_str(member) > 0) h5::fail(std::string(name) + "." + cols[c].name + " is a variable-length string");
    widths[c] = H5Tget_size(member);
    csets[c] = H5Tget_cset(member);
    if (widths[c] == 0 || widths[c] > (1u << 20)) h5::fail(std::string(name) + "." + cols[c].name + " has a bad width");
  }
  Wire w = wire_layout(schema, widths, present);
  w.cset = csets;
  check_plausible_size(dset, n, std::max<std::size_t>(w.row, 1), name);
  Rows rows(schema, n);
  rows.present_ = present;
  if (n == 0 || w.row == 0) return rows;
  std::vector<unsigned char> wire(w.row * n, 0);
  h5::Id mtype = wire_type(schema, w, present, false);
  h5::check_status(H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, wire.data()), name);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = 0; c < cols.size(); ++c) {
      if (!present[c]) continue;
      const auto* src = reinterpret_cast<const char*>(wire.data() + r * w.row + w.offset[c]);
      if (cols[c].type == Col::str)
        rows.strings_[c][r].assign(src, strnlen(src, w.size[c]));
      else
        std::memcpy(rows.at(r, c), src, w.size[c]);
    }
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

// One zlib stream (what HDF5's deflate filter stores and inflates). kSeriesStrategy trades a
// little size for speed on shuffled numeric data. Returns the stored size, 0 on failure.
static std::size_t deflate_chunk(std::vector<unsigned char>& in, std::vector<unsigned char>& out) {
  z_stream z{};
  if (deflateInit2(&z, static_cast<int>(kDeflateLevel), Z_DEFLATED, 15, 8, kSeriesStrategy) != Z_OK) return 0;
  z.next_in = in.data();
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const std::size_t size = z.total_out;
  deflateEnd(&z);
  return rc == Z_STREAM_END ? size : 0;
}

void write_array_1d_parallel(hid_t loc, const char* name, hid_t file_type, std::size_t elem_size, hsize_t n,
                             const void* data, unsigned threads) {
  if constexpr (std::endian::native != std::endian::little) {
    h5::Id mem = h5::check(H5Tcopy(file_type), "H5Tcopy");  // let HDF5 convert
    hsize_t dims[1] = {n};
    write_array(loc, name, file_type, mem, 1, dims, data);
    return;
  }
  hsize_t dims[1] = {n};
  h5::Id space = extendible_space(1, dims);
  h5::Id dcpl = chunked_dcpl(1, dims, elem_size);
  h5::Id dset = h5::check(H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), name);
  if (n == 0) return;
  hsize_t chunk_rows = 0;
  h5::check_status(H5Pget_chunk(dcpl, 1, &chunk_rows) < 0 ? -1 : 0, "H5Pget_chunk");
  const std::size_t chunks = static_cast<std::size_t>((n + chunk_rows - 1) / chunk_rows);
  const std::size_t chunk_bytes = static_cast<std::size_t>(chunk_rows) * elem_size;
  std::vector<std::vector<unsigned char>> packed(chunks);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  auto worker = [&] {
    std::vector<unsigned char> plain(chunk_bytes), shuffled(chunk_bytes);
    for (std::size_t c = next++; c < chunks && !failed; c = next++) {
      // The last chunk is stored whole, zero-filled past the end (HDF5's default fill value).
      const std::size_t first = c * chunk_rows;
      const std::size_t rows = std::min<std::size_t>(chunk_rows, n - first);
      std::fill(plain.begin(), plain.end(), 0);
      std::memcpy(plain.data(), static_cast<const unsigned char*>(data) + first * elem_size, rows * elem_size);
      for (std::size_t i = 0; i < chunk_rows; ++i)  // shuffle filter: byte j of element i goes to plane j
        for (std::size_t b = 0; b < elem_size; ++b) shuffled[b * chunk_rows + i] = plain[i * elem_size + b];
      packed[c].resize(compressBound(static_cast<uLong>(chunk_bytes)));
      const std::size_t size = deflate_chunk(shuffled, packed[c]);
      if (size == 0) failed = true;
      packed[c].resize(size);
    }
  };
  std::vector<std::thread> helpers;
  try {
    for (unsigned t = 1; t < threads && t < chunks; ++t) helpers.emplace_back(worker);
  } catch (const std::system_error&) {
    // No thread to spare: the calling thread does all chunks.
  }
  worker();
  for (auto& t : helpers) t.join();
  if (failed) h5::fail(std::string(name) + ": deflate failed");
  for (std::size_t c = 0; c < chunks; ++c) {
    hsize_t offset[1] = {c * chunk_rows};
    h5::check_status(H5Dwrite_chunk(dset, H5P_DEFAULT, 0, offset, packed[c].size(), packed[c].data()), name);
  }
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
  std::size_t width = 1;
  for (const auto& s : v) width = std::max(width, s.size());
  std::vector<char> buf(width * v.size(), 0);
  for (std::size_t i = 0; i < v.size(); ++i) std::memcpy(buf.data() + i * width, v[i].data(), v[i].size());
  h5::Id type = fixed_string_type(width);
  hsize_t dims[1] = {v.size()};
  h5::Id space = h5::check(H5Screate_simple(1, dims, nullptr), name);
  h5::Id dset = h5::check(H5Dcreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), name);
  if (!v.empty()) h5::check_status(H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), name);
}

std::vector<std::string> read_strings(hid_t loc, const char* name) {
  h5::Id dset = h5::check(H5Dopen2(loc, name, H5P_DEFAULT), name);
  h5::Id ftype = h5::check(H5Dget_type(dset), name);
  if (H5Tget_class(ftype) != H5T_STRING || H5Tis_variable_str(ftype) > 0)
    h5::fail(std::string(name) + " is not a fixed-size string list");
  const std::size_t width = H5Tget_size(ftype);
  if (width == 0 || width > (1u << 20)) h5::fail(std::string(name) + " has a bad width");
  h5::Id space = h5::check(H5Dget_space(dset), name);
  if (H5Sget_simple_extent_ndims(space) != 1) h5::fail(std::string(name) + " is not one-dimensional");
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space, &n, nullptr);
  check_plausible_size(dset, n, width, name);
  std::vector<std::string> out;
  if (n == 0) return out;
  std::vector<char> buf(width * n, 0);
  h5::Id mem = fixed_string_type(width, H5Tget_cset(ftype));
  h5::check_status(H5Dread(dset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), name);
  out.reserve(n);
  for (hsize_t i = 0; i < n; ++i) out.emplace_back(buf.data() + i * width, strnlen(buf.data() + i * width, width));
  return out;
}

}  // namespace hpcmon::store::table
