// Small guest-safe helpers around the HDF5 C API: owning handles, quiet error stack,
// attributes. Internal to hpcmon_store.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hpcmon::store::h5 {

// Thrown inside the store when an HDF5 call fails; the public functions turn it into a
// RecordError naming the file.
struct Failure {
  std::string what;
};

[[noreturn]] inline void fail(std::string what) { throw Failure{std::move(what)}; }

// Owns one HDF5 identifier and closes it with H5Idec_ref (works for every kind of id).
class Id {
 public:
  Id() = default;
  explicit Id(hid_t id) : id_(id) {}
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  Id(Id&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Id& operator=(Id&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  ~Id() { reset(); }
  void reset() {
    if (id_ >= 0) H5Idec_ref(id_);
    id_ = H5I_INVALID_HID;
  }
  hid_t get() const { return id_; }
  hid_t release() { return std::exchange(id_, H5I_INVALID_HID); }
  operator hid_t() const { return id_; }  // NOLINT: handles are passed straight to the C API

 private:
  hid_t id_ = H5I_INVALID_HID;
};

// Checks a returned id; throws Failure naming what failed.
inline Id check(hid_t id, const char* what) {
  if (id < 0) fail(what);
  return Id(id);
}
inline void check_status(herr_t status, const char* what) {
  if (status < 0) fail(what);
}

// Silences HDF5's automatic error printing for the calling thread while our own calls run,
// and restores whatever the host program had set. In the thread-safe build (Debian's) the
// default error stack is per thread, so other threads of the host are never affected. If
// the host installed an old-style (H5Eset_auto1) handler we cannot save it, so we leave it.
class QuietErrors {
 public:
  QuietErrors() {
    saved_ok_ = H5Eget_auto2(H5E_DEFAULT, &func_, &data_) >= 0;
    if (saved_ok_) H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~QuietErrors() {
    if (saved_ok_) {
      H5Eclear2(H5E_DEFAULT);
      H5Eset_auto2(H5E_DEFAULT, func_, data_);
    }
  }
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;

 private:
  bool saved_ok_ = false;
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

// File locking off for this file only (locks fail on many NFS and Lustre mounts). The
// property exists from HDF5 1.10.7; older libraries lock, and we never set the global
// HDF5_USE_FILE_LOCKING variable in a process that is not ours.
inline void disable_file_locking(hid_t fapl) {
#if H5_VERSION_GE(1, 10, 7)
  check_status(H5Pset_file_locking(fapl, false, true), "H5Pset_file_locking");
#else
  (void)fapl;
#endif
}

// Fixed-size (at least 1 byte), null-padded UTF-8 string type.
Id fixed_string(std::size_t size, H5T_cset_t cset = H5T_CSET_UTF8);

// Attributes (scalar). Writers use fixed standard little-endian types.
void write_attr_i64(hid_t obj, const char* name, std::int64_t v);
void write_attr_u64(hid_t obj, const char* name, std::uint64_t v);
void write_attr_u32(hid_t obj, const char* name, std::uint32_t v);
void write_attr_i32(hid_t obj, const char* name, std::int32_t v);
void write_attr_u8(hid_t obj, const char* name, std::uint8_t v);
void write_attr_f64(hid_t obj, const char* name, double v);
void write_attr_str(hid_t obj, const char* name, const std::string& v);
void write_attr_str_list(hid_t obj, const char* name, const std::vector<std::string>& v);

bool has_attr(hid_t obj, const char* name);
// Readers convert to the native type; a missing attribute gives std::nullopt.
std::optional<std::int64_t> read_attr_i64(hid_t obj, const char* name);
std::optional<std::uint64_t> read_attr_u64(hid_t obj, const char* name);
std::optional<double> read_attr_f64(hid_t obj, const char* name);
std::optional<std::string> read_attr_str(hid_t obj, const char* name);
std::vector<std::string> read_attr_str_list(hid_t obj, const char* name);

bool link_exists(hid_t loc, const char* path);

}  // namespace hpcmon::store::h5
