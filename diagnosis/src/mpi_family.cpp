// MPI function families, from the MPI layer's function table (generated list).
#include <string_view>
#include <unordered_map>

#include "hpcmon/diagnosis.hpp"

namespace hpcmon::diagnosis {
namespace {

const std::unordered_map<std::string_view, std::string_view>& table() {
  static const std::unordered_map<std::string_view, std::string_view> rows = {
#include "mpi_family_table.inc"
  };
  return rows;
}

}  // namespace

std::string mpi_family(const std::string& function) {
  const auto found = table().find(function);
  if (found == table().end()) return "other";
  const std::string_view family = found->second;
  if (family == "p2p" || family == "persistent" || family == "probe") return "point-to-point";
  if (family == "coll") return "collective";
  if (family == "wait") return "wait";
  if (family == "rma") return "one-sided";
  if (family == "io") return "file-io";
  if (family == "lifecycle") return "lifecycle";
  return "other";
}

}  // namespace hpcmon::diagnosis
