#include "fixtures.hpp"

#include <hdf5.h>

#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

#include "hpcmon/store.hpp"
#include "known_record.hpp"

namespace hpcmon::testkit {
namespace {

void must(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("fixture: ") + what);
}

hid_t open_rw(const std::filesystem::path& path) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_file_locking(fapl, false, true);
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl);
  H5Pclose(fapl);
  must(f >= 0, "open");
  return f;
}

void set_u32_attr(hid_t obj, const char* name, std::uint32_t v) {
  if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, H5T_STD_U32LE, space, H5P_DEFAULT, H5P_DEFAULT);
  must(a >= 0 && H5Awrite(a, H5T_NATIVE_UINT32, &v) >= 0, name);
  H5Aclose(a);
  H5Sclose(space);
}

}  // namespace

void write_known(const std::filesystem::path& path) { store::write_record(path, known_record()); }

void write_truncated(const std::filesystem::path& path, std::uintmax_t keep) {
  write_known(path);
  std::filesystem::resize_file(path, keep);
}

void write_unknown_major(const std::filesystem::path& path) {
  write_known(path);
  hid_t f = open_rw(path);
  set_u32_attr(f, "format_major", 2);
  set_u32_attr(f, "format_minor", 0);  // "format 2.0", whatever minor this build writes
  H5Fclose(f);
}

void write_other_minor(const std::filesystem::path& path, unsigned minor) {
  write_known(path);
  hid_t f = open_rw(path);
  set_u32_attr(f, "format_minor", minor);
  must(H5Ldelete(f, "series", H5P_DEFAULT) >= 0, "delete series");
  must(H5Ldelete(f, "summary", H5P_DEFAULT) >= 0, "delete summary");
  must(H5Adelete(f, "mpi_table_overflows") >= 0, "delete attribute");
  set_u32_attr(f, "some_future_attribute", 7);
  hid_t g = H5Gcreate2(f, "some_future_group", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Gclose(g);

  // A /ranks table with fewer columns than 1.0 plus one this reader does not know.
  must(H5Ldelete(f, "ranks", H5P_DEFAULT) >= 0, "delete ranks");
  struct Row {
    std::int32_t rank;
    char node[8];
    double wall_s;
    double gpu_util;
  };
  hid_t str = H5Tcopy(H5T_C_S1);
  H5Tset_size(str, 8);
  H5Tset_strpad(str, H5T_STR_NULLPAD);
  hid_t mem = H5Tcreate(H5T_COMPOUND, sizeof(Row));
  H5Tinsert(mem, "rank", HOFFSET(Row, rank), H5T_NATIVE_INT32);
  H5Tinsert(mem, "node", HOFFSET(Row, node), str);
  H5Tinsert(mem, "wall_s", HOFFSET(Row, wall_s), H5T_NATIVE_DOUBLE);
  H5Tinsert(mem, "gpu_util", HOFFSET(Row, gpu_util), H5T_NATIVE_DOUBLE);
  Row rows[4] = {{0, "node01", 10, 0.5}, {1, "node01", 11, 0.5}, {2, "node02", 12, 0.5}, {3, "node02", 13, 0.5}};
  hsize_t n = 4;
  hid_t space = H5Screate_simple(1, &n, nullptr);
  hid_t d = H5Dcreate2(f, "ranks", mem, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  must(d >= 0 && H5Dwrite(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) >= 0, "write ranks");
  H5Dclose(d);
  H5Sclose(space);
  H5Tclose(mem);
  H5Tclose(str);
  H5Fclose(f);
}

void write_random_bytes(const std::filesystem::path& path) {
  std::mt19937 rng(12345);
  std::ofstream out(path, std::ios::binary);
  for (int i = 0; i < 65536; ++i) out.put(static_cast<char>(rng() & 0xff));
}

void write_foreign_hdf5(const std::filesystem::path& path) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  must(f >= 0, "create foreign");
  hsize_t n = 3;
  double v[3] = {1, 2, 3};
  hid_t space = H5Screate_simple(1, &n, nullptr);
  hid_t d = H5Dcreate2(f, "temperature", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  H5Dclose(d);
  H5Sclose(space);
  H5Fclose(f);
}

}  // namespace hpcmon::testkit
