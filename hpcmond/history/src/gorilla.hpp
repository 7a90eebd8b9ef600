// Gorilla-style chunk coding (Pelkonen et al., VLDB 2015): timestamps as delta-of-delta in
// milliseconds with variable-width buckets, each value column as the XOR with its previous
// value (leading/meaningful-bit windows). A chunk holds one timestamp stream and 1..4
// value columns (raw: value; downsampled: min, max, sum, count).
// Timestamps must not decrease inside a chunk: the caller starts a new chunk instead.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hpcmon::history::gorilla {

inline constexpr int kMaxColumns = 4;

class BitWriter {
 public:
  void write(std::uint64_t bits, int count);  // the low `count` bits, most significant first
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }
  std::size_t bit_count() const { return bits_; }

 private:
  std::vector<std::uint8_t> bytes_;
  std::size_t bits_ = 0;
};

class BitReader {
 public:
  BitReader(const std::uint8_t* data, std::size_t size) : data_(data), size_bits_(size * 8) {}
  bool read(int count, std::uint64_t& out);  // false past the end
  bool read_bit(bool& out);

 private:
  const std::uint8_t* data_;
  std::size_t size_bits_;
  std::size_t pos_ = 0;
};

// Appends samples to one chunk; bytes() is the encoded chunk (no header).
class Encoder {
 public:
  explicit Encoder(int columns) : columns_(columns) {}
  void append(std::int64_t t_ms, const double* values);
  std::uint32_t count() const { return count_; }
  std::int64_t first_t() const { return first_t_; }
  std::int64_t last_t() const { return last_t_; }
  const std::vector<std::uint8_t>& bytes() const { return out_.bytes(); }
  int columns() const { return columns_; }

 private:
  void write_value(int column, double value);
  int columns_;
  BitWriter out_;
  std::uint32_t count_ = 0;
  std::int64_t first_t_ = 0, last_t_ = 0, last_delta_ = 0;
  std::uint64_t last_bits_[kMaxColumns] = {};
  int leading_[kMaxColumns] = {}, trailing_[kMaxColumns] = {};
  bool window_[kMaxColumns] = {};
};

// Decodes `count` samples of a chunk; false when the bytes end early (damaged chunk).
class Decoder {
 public:
  Decoder(const std::uint8_t* data, std::size_t size, std::uint32_t count, int columns)
      : in_(data, size), remaining_(count), columns_(columns) {}
  bool next(std::int64_t& t_ms, double* values);  // false at the end or on damage
  bool damaged() const { return damaged_; }

 private:
  bool read_value(int column, double& value);
  BitReader in_;
  std::uint32_t remaining_;
  int columns_;
  std::uint32_t index_ = 0;
  bool damaged_ = false;
  std::int64_t last_t_ = 0, last_delta_ = 0;
  std::uint64_t last_bits_[kMaxColumns] = {};
  int leading_[kMaxColumns] = {}, trailing_[kMaxColumns] = {};
};

}  // namespace hpcmon::history::gorilla
