// LD_PRELOAD editing: the preload goes first, exactly once, the user's entries kept in order.
// Steps started inside a batch job inherit the batch step's LD_PRELOAD, so the preload may
// already be there (Slurm test-cluster trap G20).
#pragma once

#include <string>

namespace hpcmon::spank {

// `lib` first, then every entry of `current` except `lib` itself. ld.so separates entries by
// spaces or colons; the result uses colons.
std::string with_preload(const std::string& current, const std::string& lib);
// `current` without any entry equal to `lib` (used by --hpcmon=off inside a monitored job).
std::string without_preload(const std::string& current, const std::string& lib);

}  // namespace hpcmon::spank
