// Compound tables and plain arrays on disk. A Schema lists a table's columns with their
// on-disk standard types; the memory side is a packed row buffer filled with memcpy, so the
// file layout never depends on a C++ struct's layout. Internal to hpcmon_store.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "h5_util.hpp"

namespace hpcmon::store::table {

enum class Col { i32, u32, i64, u64, u16, u8, f64, str };

struct Column {
  const char* name;
  Col type;
};

class Schema {
 public:
  explicit Schema(std::vector<Column> columns);
  const std::vector<Column>& columns() const { return columns_; }
  // Offsets of the numeric columns in a Rows buffer (strings live beside it).
  std::size_t row_size() const { return row_size_; }
  std::size_t offset(std::size_t col) const { return offsets_[col]; }

 private:
  std::vector<Column> columns_;
  std::vector<std::size_t> offsets_;
  std::size_t row_size_ = 0;
};

// Row buffer of one table. Strings are stored on disk as fixed-size, null-padded UTF-8 of
// the table's longest value: no global heap, whose damage HDF5 cannot detect.
class Rows {
 public:
  Rows(const Schema& schema, std::size_t n);
  std::size_t size() const { return n_; }
  const Schema& schema() const { return *schema_; }

  template <class T>
  void set(std::size_t row, std::size_t col, T v) {
    std::memcpy(at(row, col), &v, sizeof v);
  }
  void set_str(std::size_t row, std::size_t col, const std::string& s) { strings_[col][row] = s; }

  template <class T>
  T get(std::size_t row, std::size_t col) const {
    T v;
    std::memcpy(&v, at(row, col), sizeof v);
    return v;
  }
  const std::string& get_str(std::size_t row, std::size_t col) const { return strings_[col][row]; }
  // False when the file's table has no such column (an older minor version).
  bool present(std::size_t col) const { return present_[col]; }

  // Creates dataset `name` under `loc` (chunked, extendible, shuffle + deflate) and writes.
  void write(hid_t loc, const char* name);
  // Reads dataset `name`; columns missing from the file keep zero / empty values.
  static Rows read(hid_t loc, const char* name, const Schema& schema);

 private:
  unsigned char* at(std::size_t row, std::size_t col) { return buf_.data() + row * schema_->row_size() + schema_->offset(col); }
  const unsigned char* at(std::size_t row, std::size_t col) const { return buf_.data() + row * schema_->row_size() + schema_->offset(col); }

  const Schema* schema_;
  std::size_t n_;
  std::vector<unsigned char> buf_;                 // numeric columns
  std::vector<std::vector<std::string>> strings_;  // per string column
  std::vector<bool> present_;
};

// Fixed-size string type of `size` bytes (at least 1), null-padded, UTF-8 unless told.
// Readers pass the file's character set: HDF5 does not convert between ASCII and UTF-8.
h5::Id fixed_string_type(std::size_t size, H5T_cset_t cset = H5T_CSET_UTF8);

inline constexpr unsigned kDeflateLevel = 1;

// Dataset creation property list: chunked along the first dimension, shuffle + deflate.
h5::Id chunked_dcpl(int rank, const hsize_t* dims, std::size_t elem_size);

// A 1-D little-endian numeric array of n elements, written like write_array (same chunks,
// same shuffle + deflate, readable by any HDF5), but its chunks are shuffled and deflated on
// `threads` threads, the calling one included, and stored with H5Dwrite_chunk: deflate is
// what bounds the write time of large series.
void write_array_1d_parallel(hid_t loc, const char* name, hid_t file_type, std::size_t elem_size, hsize_t n,
                             const void* data, unsigned threads);

// Plain numeric arrays (1-D or 2-D), chunked, extendible and compressed.
void write_array(hid_t loc, const char* name, hid_t file_type, hid_t mem_type, int rank,
                 const hsize_t* dims, const void* data);
// Reads a numeric array of the given rank; dims receives its extent.
template <class T>
std::vector<T> read_array(hid_t loc, const char* name, hid_t mem_type, int rank, hsize_t* dims);

void write_strings(hid_t loc, const char* name, const std::vector<std::string>& v);
std::vector<std::string> read_strings(hid_t loc, const char* name);

// Rejects a dataset whose extent could not have come from its stored bytes (a damaged
// header asking for an absurd allocation).
void check_plausible_size(hid_t dset, hsize_t points, std::size_t elem_size, const char* name);

extern template std::vector<double> read_array<double>(hid_t, const char*, hid_t, int, hsize_t*);
extern template std::vector<std::int64_t> read_array<std::int64_t>(hid_t, const char*, hid_t, int, hsize_t*);
extern template std::vector<std::uint64_t> read_array<std::uint64_t>(hid_t, const char*, hid_t, int, hsize_t*);

}  // namespace hpcmon::store::table
