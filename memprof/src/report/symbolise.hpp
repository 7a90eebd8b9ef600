// Symbolises return addresses of one profile with libdwfl. The modules mapped at exit are
// reported from the profile's saved /proc/self/maps lines (dwfl_linux_proc_maps_report), so the
// load bases are the profiled process's whatever ASLR chose; objects closed before exit are
// reported each on its own at its old load bias, and chosen by the site's unload epoch.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hpcmon/memprof_report.hpp"

namespace hpcmon::mem {

class Symboliser {
 public:
  explicit Symboliser(const Profile& profile);
  ~Symboliser();
  Symboliser(const Symboliser&) = delete;
  Symboliser& operator=(const Symboliser&) = delete;
  // A return address of a stack captured at `epoch`: looked up at address - 1 (the call
  // instruction, not the next line).
  Frame frame(uint64_t return_address, uint32_t epoch);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace hpcmon::mem
