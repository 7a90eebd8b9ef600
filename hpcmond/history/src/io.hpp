// Small file helpers of the history store: CRC-32C, varints, little-endian words, and the
// atomic file write (tmp + fsync + rename + fsync of the folder).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace hpcmon::history::io {

std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0);

void put_varint(std::string& out, std::uint64_t value);
bool get_varint(std::string_view& in, std::uint64_t& value);
void put_u32(std::string& out, std::uint32_t value);
void put_u64(std::string& out, std::uint64_t value);
bool get_u32(std::string_view& in, std::uint32_t& value);
bool get_u64(std::string_view& in, std::uint64_t& value);
inline std::uint64_t zigzag(std::int64_t v) { return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63); }
inline std::int64_t unzigzag(std::uint64_t v) { return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1); }

// Writes `bytes` to `path` atomically. Empty on success, else errno's text (the temporary is
// removed; ENOSPC leaves nothing behind).
std::string write_atomically(const std::filesystem::path& path, std::string_view bytes);
// fsync of a folder (after a rename or unlink in it). Empty on success.
std::string sync_dir(const std::filesystem::path& dir);
// Whole file; false when it cannot be read.
bool read_file(const std::filesystem::path& path, std::string& out);

}  // namespace hpcmon::history::io
