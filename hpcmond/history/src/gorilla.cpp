// Gorilla chunk coding (gorilla.hpp).
#include "gorilla.hpp"

#include <bit>
#include <cstring>

namespace hpcmon::history::gorilla {
namespace {

std::uint64_t to_bits(double value) { return std::bit_cast<std::uint64_t>(value); }
double from_bits(std::uint64_t bits) { return std::bit_cast<double>(bits); }

// Delta-of-delta buckets: prefix bits, prefix length, payload width.
struct Bucket {
  std::uint64_t prefix;
  int prefix_bits, width;
};
constexpr Bucket kBuckets[] = {{0b10, 2, 7}, {0b110, 3, 9}, {0b1110, 4, 12}, {0b11110, 5, 32}};

bool fits(std::int64_t value, int width) {
  const std::int64_t limit = std::int64_t{1} << (width - 1);
  return value >= -limit && value < limit;
}

std::int64_t sign_extend(std::uint64_t bits, int width) {
  if (width == 64) return static_cast<std::int64_t>(bits);
  const std::uint64_t sign = std::uint64_t{1} << (width - 1);
  return static_cast<std::int64_t>((bits ^ sign) - sign);
}

}  // namespace

void BitWriter::write(std::uint64_t bits, int count) {
  for (int i = count - 1; i >= 0;) {
    if (bits_ % 8 == 0) bytes_.push_back(0);
    const int free_bits = 8 - static_cast<int>(bits_ % 8);
    const int take = std::min(free_bits, i + 1);
    const std::uint64_t chunk = (bits >> (i + 1 - take)) & ((std::uint64_t{1} << take) - 1);
    bytes_.back() |= static_cast<std::uint8_t>(chunk << (free_bits - take));
    bits_ += static_cast<std::size_t>(take);
    i -= take;
  }
}

bool BitReader::read(int count, std::uint64_t& out) {
  if (pos_ + static_cast<std::size_t>(count) > size_bits_) return false;
  out = 0;
  while (count > 0) {
    const int offset = static_cast<int>(pos_ % 8);
    const int avail = 8 - offset;
    const int take = std::min(avail, count);
    const std::uint64_t byte = data_[pos_ / 8];
    const std::uint64_t chunk = (byte >> (avail - take)) & ((std::uint64_t{1} << take) - 1);
    out = (out << take) | chunk;
    pos_ += static_cast<std::size_t>(take);
    count -= take;
  }
  return true;
}

bool BitReader::read_bit(bool& out) {
  if (pos_ >= size_bits_) return false;
  out = (data_[pos_ / 8] >> (7 - pos_ % 8)) & 1;
  ++pos_;
  return true;
}

void Encoder::append(std::int64_t t_ms, const double* values) {
  if (count_ == 0) {
    out_.write(static_cast<std::uint64_t>(t_ms), 64);
    for (int c = 0; c < columns_; ++c) {
      last_bits_[c] = to_bits(values[c]);
      out_.write(last_bits_[c], 64);
    }
    first_t_ = last_t_ = t_ms;
    ++count_;
    return;
  }
  const std::int64_t delta = t_ms - last_t_;
  const std::int64_t dod = delta - last_delta_;
  if (dod == 0) {
    out_.write(0, 1);
  } else {
    bool done = false;
    for (const Bucket& bucket : kBuckets)
      if (fits(dod, bucket.width)) {
        out_.write(bucket.prefix, bucket.prefix_bits);
        out_.write(static_cast<std::uint64_t>(dod) & ((std::uint64_t{1} << bucket.width) - 1), bucket.width);
        done = true;
        break;
      }
    if (!done) {
      out_.write(0b11111, 5);
      out_.write(static_cast<std::uint64_t>(dod), 64);
    }
  }
  last_delta_ = delta;
  last_t_ = t_ms;
  for (int c = 0; c < columns_; ++c) write_value(c, values[c]);
  ++count_;
}

void Encoder::write_value(int c, double value) {
  const std::uint64_t bits = to_bits(value);
  const std::uint64_t x = bits ^ last_bits_[c];
  last_bits_[c] = bits;
  if (x == 0) {
    out_.write(0, 1);
    return;
  }
  int leading = std::countl_zero(x);
  const int trailing = std::countr_zero(x);
  if (leading > 31) leading = 31;
  if (window_[c] && leading >= leading_[c] && trailing >= trailing_[c]) {
    out_.write(0b10, 2);
    const int width = 64 - leading_[c] - trailing_[c];
    out_.write(x >> trailing_[c], width);
    return;
  }
  const int width = 64 - leading - trailing;
  out_.write(0b11, 2);
  out_.write(static_cast<std::uint64_t>(leading), 5);
  out_.write(static_cast<std::uint64_t>(width == 64 ? 0 : width), 6);
  out_.write(x >> trailing, width);
  window_[c] = true;
  leading_[c] = leading;
  trailing_[c] = trailing;
}

bool Decoder::read_value(int c, double& value) {
  bool bit = false;
  if (!in_.read_bit(bit)) return false;
  if (bit) {
    bool fresh = false;
    if (!in_.read_bit(fresh)) return false;
    if (fresh) {
      std::uint64_t leading = 0, width = 0;
      if (!in_.read(5, leading) || !in_.read(6, width)) return false;
      if (width == 0) width = 64;
      if (leading + width > 64) return false;
      leading_[c] = static_cast<int>(leading);
      trailing_[c] = static_cast<int>(64 - leading - width);
    }
    const int width = 64 - leading_[c] - trailing_[c];
    if (width <= 0) return false;
    std::uint64_t meaningful = 0;
    if (!in_.read(width, meaningful)) return false;
    last_bits_[c] ^= meaningful << trailing_[c];
  }
  value = from_bits(last_bits_[c]);
  return true;
}

bool Decoder::next(std::int64_t& t_ms, double* values) {
  if (remaining_ == 0 || damaged_) return false;
  std::uint64_t word = 0;
  if (index_ == 0) {
    if (!in_.read(64, word)) return damaged_ = true, false;
    last_t_ = static_cast<std::int64_t>(word);
    for (int c = 0; c < columns_; ++c) {
      if (!in_.read(64, last_bits_[c])) return damaged_ = true, false;
      values[c] = from_bits(last_bits_[c]);
    }
  } else {
    int ones = 0;
    bool bit = true;
    while (ones < 5) {
      if (!in_.read_bit(bit)) return damaged_ = true, false;
      if (!bit) break;
      ++ones;
    }
    std::int64_t dod = 0;
    if (ones > 0) {
      const int width = ones == 5 ? 64 : kBuckets[ones - 1].width;
      if (!in_.read(width, word)) return damaged_ = true, false;
      dod = sign_extend(word, width);
    }
    last_delta_ += dod;
    last_t_ += last_delta_;
    for (int c = 0; c < columns_; ++c)
      if (!read_value(c, values[c])) return damaged_ = true, false;
  }
  t_ms = last_t_;
  ++index_;
  --remaining_;
  return true;
}

}  // namespace hpcmon::history::gorilla
