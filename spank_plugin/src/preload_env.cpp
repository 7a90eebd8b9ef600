#include "preload_env.hpp"

#include <vector>

namespace hpcmon::spank {
namespace {

std::vector<std::string> entries(const std::string& list) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : list) {
    if (c == ':' || c == ' ' || c == '\t') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string join_except(const std::string& first, const std::string& list, const std::string& skip) {
  std::string out = first;
  for (const std::string& e : entries(list)) {
    if (e == skip) continue;
    if (!out.empty()) out += ':';
    out += e;
  }
  return out;
}

}  // namespace

std::string with_preload(const std::string& current, const std::string& lib) {
  return join_except(lib, current, lib);
}

std::string without_preload(const std::string& current, const std::string& lib) {
  return join_except("", current, lib);
}

}  // namespace hpcmon::spank
