#include "symbolise.hpp"

#include <cxxabi.h>
#include <elfutils/libdwfl.h>

#include <cstdio>
#include <cstdlib>

namespace hpcmon::mem {

struct Symboliser::State {
  Dwfl* dwfl = nullptr;
  char* debuginfo_path = nullptr;
  Dwfl_Callbacks callbacks{};
  std::map<uint64_t, Frame> cache;
};

Symboliser::Symboliser(const std::vector<std::string>& maps_lines) : state_(std::make_unique<State>()) {
  state_->callbacks.find_elf = dwfl_linux_proc_find_elf;
  state_->callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
  state_->callbacks.debuginfo_path = &state_->debuginfo_path;
  state_->dwfl = dwfl_begin(&state_->callbacks);
  if (state_->dwfl == nullptr) return;
  std::string text;
  for (const auto& line : maps_lines) text += line + "\n";
  if (text.empty()) return;
  FILE* in = fmemopen(text.data(), text.size(), "r");
  if (in == nullptr) return;
  dwfl_report_begin(state_->dwfl);
  dwfl_linux_proc_maps_report(state_->dwfl, in);
  dwfl_report_end(state_->dwfl, nullptr, nullptr);
  fclose(in);
}

Symboliser::~Symboliser() {
  if (state_->dwfl != nullptr) dwfl_end(state_->dwfl);
}

Frame Symboliser::frame(uint64_t return_address) {
  if (auto it = state_->cache.find(return_address); it != state_->cache.end()) return it->second;
  Frame f;
  f.address = return_address;
  const Dwarf_Addr pc = return_address - 1;
  Dwfl_Module* module = state_->dwfl == nullptr ? nullptr : dwfl_addrmodule(state_->dwfl, pc);
  if (module != nullptr) {
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
  }
  state_->cache.emplace(return_address, f);
  return f;
}

}  // namespace hpcmon::mem
