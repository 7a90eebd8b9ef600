// Block files (block.hpp).
#include "block.hpp"

#include <bit>
#include <cstdio>
#include <cstring>

#include "gorilla.hpp"
#include "io.hpp"

namespace hpcmon::history {
namespace {

constexpr char kMagic[8] = {'H', 'P', 'C', 'M', 'B', 'L', 'K', '1'};
constexpr std::uint32_t kChunkRows = 4096;

}  // namespace

std::string tier_folder(std::int64_t resolution_ns) {
  if (resolution_ns == 0) return "raw";
  return std::to_string(resolution_ns / 1000000000) + "s";
}

std::filesystem::path block_path(const std::filesystem::path& dir, const BlockName& name) {
  char file[96];
  std::snprintf(file, sizeof file, "%lld-%llu-%llu.blk", static_cast<long long>(name.window_start_ms),
                static_cast<unsigned long long>(name.src_min), static_cast<unsigned long long>(name.src_max));
  return dir / tier_folder(name.resolution_ns) / file;
}

bool parse_block_file_name(const std::string& file, BlockName& name) {
  long long window = 0;
  unsigned long long a = 0, b = 0;
  int used = 0;
  if (std::sscanf(file.c_str(), "%lld-%llu-%llu.blk%n", &window, &a, &b, &used) != 3) return false;
  if (static_cast<std::size_t>(used) != file.size() || a > b) return false;
  name.window_start_ms = window;
  name.src_min = a;
  name.src_max = b;
  return true;
}

std::string encode_block(const BlockName& name, const std::map<std::string, std::vector<Row>>& series) {
  std::string out(kMagic, sizeof kMagic);
  io::put_u32(out, static_cast<std::uint32_t>(name.columns));
  io::put_u64(out, static_cast<std::uint64_t>(name.resolution_ns));
  io::put_u64(out, static_cast<std::uint64_t>(name.window_start_ms));
  io::put_u64(out, name.src_min);
  io::put_u64(out, name.src_max);
  io::put_varint(out, series.size());
  for (const auto& [key, rows] : series) {
    io::put_varint(out, key.size());
    out += key;
    const Row& last = rows.back();
    const double last_value = name.columns == 1 ? last.v[0] : (last.v[3] > 0 ? last.v[2] / last.v[3] : 0);
    io::put_u64(out, static_cast<std::uint64_t>(last.t_ms));
    io::put_u64(out, std::bit_cast<std::uint64_t>(last_value));
    const std::size_t chunks = (rows.size() + kChunkRows - 1) / kChunkRows;
    io::put_varint(out, chunks);
    for (std::size_t c = 0; c < chunks; ++c) {
      gorilla::Encoder encoder(name.columns);
      const std::size_t begin = c * kChunkRows, end = std::min(rows.size(), begin + kChunkRows);
      for (std::size_t i = begin; i < end; ++i) encoder.append(rows[i].t_ms, rows[i].v);
      io::put_varint(out, io::zigzag(rows[begin].t_ms));
      io::put_varint(out, static_cast<std::uint64_t>(rows[end - 1].t_ms - rows[begin].t_ms));
      io::put_varint(out, end - begin);
      io::put_varint(out, encoder.bytes().size());
      out.append(reinterpret_cast<const char*>(encoder.bytes().data()), encoder.bytes().size());
    }
  }
  io::put_u32(out, io::crc32c(out.data(), out.size()));
  return out;
}

std::string load_block(const std::filesystem::path& path, Block& block) {
  block = Block{};
  block.path = path;
  if (!io::read_file(path, block.bytes)) return "cannot read";
  const std::string& bytes = block.bytes;
  if (bytes.size() < sizeof kMagic + 4 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    return "not a history block";
  std::string_view tail(bytes.data() + bytes.size() - 4, 4);
  std::uint32_t crc = 0;
  io::get_u32(tail, crc);
  if (io::crc32c(bytes.data(), bytes.size() - 4) != crc) return "checksum mismatch";
  std::string_view in(bytes.data() + sizeof kMagic, bytes.size() - sizeof kMagic - 4);
  std::uint32_t columns = 0;
  std::uint64_t resolution = 0, window = 0, count = 0;
  if (!io::get_u32(in, columns) || !io::get_u64(in, resolution) || !io::get_u64(in, window) ||
      !io::get_u64(in, block.name.src_min) || !io::get_u64(in, block.name.src_max) ||
      !io::get_varint(in, count) || (columns != 1 && columns != 4))
    return "damaged header";
  block.name.columns = static_cast<int>(columns);
  block.name.resolution_ns = static_cast<std::int64_t>(resolution);
  block.name.window_start_ms = static_cast<std::int64_t>(window);
  bool first = true;
  for (std::uint64_t s = 0; s < count; ++s) {
    BlockSeries entry;
    std::uint64_t size = 0, last_t = 0, last_v = 0, chunks = 0;
    if (!io::get_varint(in, size) || in.size() < size) return "damaged series table";
    entry.key = std::string(in.substr(0, size));
    in.remove_prefix(size);
    if (!io::get_u64(in, last_t) || !io::get_u64(in, last_v) || !io::get_varint(in, chunks))
      return "damaged series table";
    entry.last_t_ms = static_cast<std::int64_t>(last_t);
    entry.last_value = std::bit_cast<double>(last_v);
    for (std::uint64_t c = 0; c < chunks; ++c) {
      std::uint64_t min_t = 0, span = 0, rows = 0, length = 0;
      if (!io::get_varint(in, min_t) || !io::get_varint(in, span) || !io::get_varint(in, rows) ||
          !io::get_varint(in, length) || in.size() < length)
        return "damaged chunk table";
      ChunkRef chunk;
      chunk.min_t_ms = io::unzigzag(min_t);
      chunk.max_t_ms = chunk.min_t_ms + static_cast<std::int64_t>(span);
      chunk.count = static_cast<std::uint32_t>(rows);
      chunk.offset = static_cast<std::size_t>(in.data() - bytes.data());
      chunk.size = length;
      in.remove_prefix(length);
      block.samples += rows;
      if (first || chunk.min_t_ms < block.min_t_ms) block.min_t_ms = chunk.min_t_ms;
      if (first || chunk.max_t_ms > block.max_t_ms) block.max_t_ms = chunk.max_t_ms;
      first = false;
      entry.chunks.push_back(chunk);
    }
    block.by_key[entry.key] = block.series.size();
    block.series.push_back(std::move(entry));
  }
  return "";
}

void Block::rows(const std::string& key, std::int64_t from_ms, std::int64_t to_ms, std::vector<Row>& out) const {
  auto it = by_key.find(key);
  if (it == by_key.end()) return;
  for (const ChunkRef& chunk : series[it->second].chunks) {
    if (chunk.max_t_ms < from_ms || chunk.min_t_ms > to_ms) continue;
    gorilla::Decoder decoder(reinterpret_cast<const std::uint8_t*>(bytes.data()) + chunk.offset, chunk.size,
                             chunk.count, name.columns);
    Row row;
    while (decoder.next(row.t_ms, row.v))
      if (row.t_ms >= from_ms && row.t_ms <= to_ms) out.push_back(row);
  }
}

}  // namespace hpcmon::history
