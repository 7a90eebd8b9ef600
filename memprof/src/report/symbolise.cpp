#include "symbolise.hpp"

#include <cxxabi.h>
#include <elfutils/libdwfl.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace hpcmon::mem {

namespace {

struct DwflHandle {
  Dwfl* dwfl = nullptr;
  char* debuginfo_path = nullptr;
  Dwfl_Callbacks callbacks{};
  DwflHandle() {
    callbacks.find_elf = dwfl_linux_proc_find_elf;
    callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
    callbacks.debuginfo_path = &debuginfo_path;
    dwfl = dwfl_begin(&callbacks);
  }
  ~DwflHandle() {
    if (dwfl != nullptr) dwfl_end(dwfl);
  }
  DwflHandle(const DwflHandle&) = delete;
  DwflHandle& operator=(const DwflHandle&) = delete;
};

struct UnloadedModule {
  uint32_t epoch = 0;
  Dwarf_Addr start = 0, end = 0;
  std::unique_ptr<DwflHandle> handle;
};

Frame lookup(Dwfl* dwfl, uint64_t return_address) {
  Frame f;
  f.address = return_address;
  const Dwarf_Addr pc = return_address - 1;
  Dwfl_Module* module = dwfl == nullptr ? nullptr : dwfl_addrmodule(dwfl, pc);
  if (module == nullptr) return f;
  const char* mainfile = nullptr;
  const char* name = dwfl_module_info(module, nullptr, nullptr, nullptr, nullptr, nullptr, &mainfile, nullptr);
  f.module = name != nullptr ? name : (mainfile != nullptr ? mainfile : "");
  if (const char* symbol = dwfl_module_addrname(module, pc)) {
    f.symbol = symbol;
    int status = -1;
    char* demangled = abi::__cxa_demangle(symbol, nullptr, nullptr, &status);
    f.function = status == 0 && demangled != nullptr ? demangled : symbol;
    std::free(demangled);
  }
  if (Dwfl_Line* line = dwfl_module_getsrc(module, pc)) {
    int lineno = 0;
    if (const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr)) {
      f.file = file;
      f.line = lineno;
    }
  }
  return f;
}

}  // namespace

struct Symboliser::State {
  DwflHandle at_exit;
  std::vector<UnloadedModule> unloaded;  // by unload epoch
  std::map<std::pair<uint64_t, int>, Frame> cache;  // (address, module index or -1)
};

Symboliser::Symboliser(const Profile& profile) : state_(std::make_unique<State>()) {
  Dwfl* dwfl = state_->at_exit.dwfl;
  std::string text;
  for (const auto& line : profile.maps) text += line + "\n";
  if (dwfl != nullptr && !text.empty()) {
    if (FILE* in = fmemopen(text.data(), text.size(), "r")) {
      dwfl_report_begin(dwfl);
      dwfl_linux_proc_maps_report(dwfl, in);
      dwfl_report_end(dwfl, nullptr, nullptr);
      fclose(in);
    }
  }
  for (const auto& object : profile.unloaded) {
    UnloadedModule m;
    m.epoch = object.epoch;
    m.handle = std::make_unique<DwflHandle>();
    if (m.handle->dwfl == nullptr) continue;
    dwfl_report_begin(m.handle->dwfl);
    Dwfl_Module* module =
        dwfl_report_elf(m.handle->dwfl, object.path.c_str(), object.path.c_str(), -1, object.base, false);
    dwfl_report_end(m.handle->dwfl, nullptr, nullptr);
    if (module == nullptr) continue;
    dwfl_module_info(module, nullptr, &m.start, &m.end, nullptr, nullptr, nullptr, nullptr);
    state_->unloaded.push_back(std::move(m));
  }
  std::sort(state_->unloaded.begin(), state_->unloaded.end(),
            [](const UnloadedModule& a, const UnloadedModule& b) { return a.epoch < b.epoch; });
}

Symboliser::~Symboliser() = default;

Frame Symboliser::frame(uint64_t return_address, uint32_t epoch) {
  // The first object unloaded after the capture that covered this address, else the exit's map.
  int chosen = -1;
  for (size_t i = 0; i < state_->unloaded.size(); ++i) {
    const auto& m = state_->unloaded[i];
    if (m.epoch > epoch && return_address - 1 >= m.start && return_address - 1 < m.end) {
      chosen = static_cast<int>(i);
      break;
    }
  }
  const auto key = std::make_pair(return_address, chosen);
  if (auto it = state_->cache.find(key); it != state_->cache.end()) return it->second;
  Dwfl* dwfl = chosen < 0 ? state_->at_exit.dwfl : state_->unloaded[static_cast<size_t>(chosen)].handle->dwfl;
  Frame f = lookup(dwfl, return_address);
  state_->cache.emplace(key, f);
  return f;
}

}  // namespace hpcmon::mem
