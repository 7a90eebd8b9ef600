// Symbolises return addresses of one profile with libdwfl: the modules are reported from the
// profile's saved /proc/self/maps lines (dwfl_linux_proc_maps_report), so the load bases are
// the profiled process's, whatever ASLR chose.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hpcmon/memprof_report.hpp"

namespace hpcmon::mem {

class Symboliser {
 public:
  explicit Symboliser(const std::vector<std::string>& maps_lines);
  ~Symboliser();
  Symboliser(const Symboliser&) = delete;
  Symboliser& operator=(const Symboliser&) = delete;
  // A return address: looked up at address - 1 (the call instruction, not the next line).
  Frame frame(uint64_t return_address);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace hpcmon::mem
