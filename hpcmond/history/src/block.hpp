// Immutable block files of the history store: one tier, one time window, the series of one
// or more flushed log segments (src_min..src_max), each series as Gorilla chunks. Layout
// (docs/history.md): magic, header, series table with chunk bytes, CRC-32C of all before it.
// Written once through io::write_atomically; a file whose CRC fails is never loaded.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace hpcmon::history {

// One stored row: raw (one column: value) or aggregated (min, max, sum, count).
struct Row {
  std::int64_t t_ms = 0;
  double v[4] = {};
};

struct ChunkRef {
  std::int64_t min_t_ms = 0, max_t_ms = 0;
  std::uint32_t count = 0;
  std::size_t offset = 0, size = 0;  // into Block::bytes
};

struct BlockSeries {
  std::string key;
  std::int64_t last_t_ms = 0;
  double last_value = 0;  // raw: the value; aggregated: the last bucket's average
  std::vector<ChunkRef> chunks;
};

struct BlockName {
  int columns = 1;              // 1 raw, 4 aggregated
  std::int64_t resolution_ns = 0;
  std::int64_t window_start_ms = 0;
  std::uint64_t src_min = 0, src_max = 0;
};

struct Block {
  std::filesystem::path path;
  BlockName name;
  std::int64_t min_t_ms = 0, max_t_ms = 0;
  std::uint64_t samples = 0;
  std::string bytes;
  std::vector<BlockSeries> series;
  std::unordered_map<std::string, std::size_t> by_key;
  // Rows of one series in [from, to] (ms), in chunk order (sorted inside a block).
  void rows(const std::string& key, std::int64_t from_ms, std::int64_t to_ms, std::vector<Row>& out) const;
};

// <tier folder>/<window_start_ms>-<src_min>-<src_max>.blk; tier folder "raw" or "<seconds>s".
std::string tier_folder(std::int64_t resolution_ns);
std::filesystem::path block_path(const std::filesystem::path& dir, const BlockName& name);
bool parse_block_file_name(const std::string& file, BlockName& name);

// Encodes `series` (key -> rows sorted by time, no duplicate times) into a block file's bytes.
std::string encode_block(const BlockName& name, const std::map<std::string, std::vector<Row>>& series);
// Loads a block file; empty on success, else why it is unusable.
std::string load_block(const std::filesystem::path& path, Block& block);

}  // namespace hpcmon::history
