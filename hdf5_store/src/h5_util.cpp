#include "h5_util.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

namespace hpcmon::store::h5 {
namespace {

Id scalar_space() { return check(H5Screate(H5S_SCALAR), "H5Screate"); }

void write_scalar(hid_t obj, const char* name, hid_t file_type, hid_t mem_type, const void* v) {
  Id space = scalar_space();
  Id attr = check(H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT), name);
  check_status(H5Awrite(attr, mem_type, v), name);
}

template <class T>
std::optional<T> read_scalar(hid_t obj, const char* name, hid_t mem_type) {
  if (!has_attr(obj, name)) return std::nullopt;
  Id attr = check(H5Aopen(obj, name, H5P_DEFAULT), name);
  Id space = check(H5Aget_space(attr), name);
  if (H5Sget_simple_extent_npoints(space) != 1) fail(std::string("attribute ") + name + " is not scalar");
  Id type = check(H5Aget_type(attr), name);
  H5T_class_t cls = H5Tget_class(type);
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) fail(std::string("attribute ") + name + " is not a number");
  T v{};
  check_status(H5Aread(attr, mem_type, &v), name);
  return v;
}

}  // namespace

// Fixed-size, null-padded UTF-8: attribute strings then live in the checksummed object
// header, not in the global heap (which HDF5 reads without any check).
Id fixed_string(std::size_t size, H5T_cset_t cset) {
  Id t = check(H5Tcopy(H5T_C_S1), "H5Tcopy");
  check_status(H5Tset_size(t, size == 0 ? 1 : size), "H5Tset_size");
  check_status(H5Tset_strpad(t, H5T_STR_NULLPAD), "H5Tset_strpad");
  check_status(H5Tset_cset(t, cset), "H5Tset_cset");
  return t;
}

void write_attr_i64(hid_t o, const char* n, std::int64_t v) { write_scalar(o, n, H5T_STD_I64LE, H5T_NATIVE_INT64, &v); }
void write_attr_u64(hid_t o, const char* n, std::uint64_t v) { write_scalar(o, n, H5T_STD_U64LE, H5T_NATIVE_UINT64, &v); }
void write_attr_u32(hid_t o, const char* n, std::uint32_t v) { write_scalar(o, n, H5T_STD_U32LE, H5T_NATIVE_UINT32, &v); }
void write_attr_i32(hid_t o, const char* n, std::int32_t v) { write_scalar(o, n, H5T_STD_I32LE, H5T_NATIVE_INT32, &v); }
void write_attr_u8(hid_t o, const char* n, std::uint8_t v) { write_scalar(o, n, H5T_STD_U8LE, H5T_NATIVE_UINT8, &v); }
void write_attr_f64(hid_t o, const char* n, double v) { write_scalar(o, n, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v); }

void write_attr_str(hid_t obj, const char* name, const std::string& v) {
  Id type = fixed_string(v.size());
  std::string padded = v.empty() ? std::string(1, '\0') : v;
  write_scalar(obj, name, type, type, padded.data());
}

void write_attr_str_list(hid_t obj, const char* name, const std::vector<std::string>& v) {
  std::size_t width = 1;
  for (const auto& s : v) width = std::max(width, s.size());
  Id type = fixed_string(width);
  hsize_t n = v.size();
  Id space = check(n == 0 ? H5Screate(H5S_NULL) : H5Screate_simple(1, &n, nullptr), name);
  Id attr = check(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), name);
  if (n == 0) return;
  std::vector<char> buf(width * v.size(), 0);
  for (std::size_t i = 0; i < v.size(); ++i) std::memcpy(buf.data() + i * width, v[i].data(), v[i].size());
  check_status(H5Awrite(attr, type, buf.data()), name);
}

bool has_attr(hid_t obj, const char* name) {
  htri_t r = H5Aexists(obj, name);
  if (r < 0) fail(std::string("cannot look up attribute ") + name);
  return r > 0;
}

std::optional<std::int64_t> read_attr_i64(hid_t o, const char* n) { return read_scalar<std::int64_t>(o, n, H5T_NATIVE_INT64); }
std::optional<std::uint64_t> read_attr_u64(hid_t o, const char* n) { return read_scalar<std::uint64_t>(o, n, H5T_NATIVE_UINT64); }
std::optional<double> read_attr_f64(hid_t o, const char* n) { return read_scalar<double>(o, n, H5T_NATIVE_DOUBLE); }

// Reads a fixed-size string attribute of `count` elements. Variable-length strings are
// refused: their bytes sit in the unchecked global heap, where damage can crash HDF5.
static std::vector<std::string> read_strings(hid_t attr, hid_t file_type, hsize_t count, const char* name) {
  if (H5Tis_variable_str(file_type) != 0) fail(std::string("attribute ") + name + " is a variable-length string");
  std::size_t size = H5Tget_size(file_type);
  if (size == 0 || size > (1u << 20)) fail(std::string("attribute ") + name + " has a bad string size");
  Id mem = fixed_string(size, H5Tget_cset(file_type));
  std::vector<char> buf(size * count);
  check_status(H5Aread(attr, mem, buf.data()), name);
  std::vector<std::string> out;
  for (hsize_t i = 0; i < count; ++i) {
    const char* s = buf.data() + i * size;
    out.emplace_back(s, strnlen(s, size));
  }
  return out;
}

std::optional<std::string> read_attr_str(hid_t obj, const char* name) {
  if (!has_attr(obj, name)) return std::nullopt;
  Id attr = check(H5Aopen(obj, name, H5P_DEFAULT), name);
  Id type = check(H5Aget_type(attr), name);
  if (H5Tget_class(type) != H5T_STRING) fail(std::string("attribute ") + name + " is not a string");
  Id space = check(H5Aget_space(attr), name);
  if (H5Sget_simple_extent_npoints(space) != 1) fail(std::string("attribute ") + name + " is not scalar");
  return read_strings(attr, type, 1, name).front();
}

std::vector<std::string> read_attr_str_list(hid_t obj, const char* name) {
  if (!has_attr(obj, name)) return {};
  Id attr = check(H5Aopen(obj, name, H5P_DEFAULT), name);
  Id type = check(H5Aget_type(attr), name);
  if (H5Tget_class(type) != H5T_STRING) fail(std::string("attribute ") + name + " is not a string list");
  Id space = check(H5Aget_space(attr), name);
  hssize_t n = H5Sget_simple_extent_npoints(space);
  if (n < 0 || n > 10'000'000) fail(std::string("attribute ") + name + " has a bad size");
  if (n == 0 || H5Sget_simple_extent_type(space) == H5S_NULL) return {};
  return read_strings(attr, type, static_cast<hsize_t>(n), name);
}

bool link_exists(hid_t loc, const char* path) {
  htri_t r = H5Lexists(loc, path, H5P_DEFAULT);
  if (r < 0) fail(std::string("cannot look up ") + path);
  if (r == 0) return false;
  return H5Oexists_by_name(loc, path, H5P_DEFAULT) > 0;
}

}  // namespace hpcmon::store::h5
