// Files that exercise the reader's refusals and compatibility rules, made by the test
// itself (nothing binary is checked in): each function writes one file at `path`.
#pragma once

#include <filesystem>

namespace hpcmon::testkit {

void write_known(const std::filesystem::path& path);
// The known record cut to `keep` bytes.
void write_truncated(const std::filesystem::path& path, std::uintmax_t keep);
// The known record with format_major = 2.
void write_unknown_major(const std::filesystem::path& path);
// A record as an older (or other) minor version writes it: no /series and /summary groups,
// no mpi_table_overflows attribute, a /ranks table without clock_offset_ns and cpuset but
// with a column this reader does not know, and an unknown group and attribute; format 1.0.
void write_other_minor(const std::filesystem::path& path, unsigned minor);
// 64 KiB of pseudo-random bytes.
void write_random_bytes(const std::filesystem::path& path);
// An HDF5 file from another program: one dataset, no hpcmon attributes.
void write_foreign_hdf5(const std::filesystem::path& path);

}  // namespace hpcmon::testkit
