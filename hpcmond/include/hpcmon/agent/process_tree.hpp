// Descendants of a step's task pids. This kernel may lack /proc/<pid>/task/<tid>/children
// (CONFIG_PROC_CHILDREN), so the tree is read from every /proc/<pid>/stat once per tick and
// shared by all steps.
#pragma once

#include <sys/types.h>

#include <string_view>
#include <unordered_map>
#include <vector>

namespace hpcmon::agent {

// Parent of every process now in /proc.
std::unordered_map<pid_t, pid_t> read_parent_map();

// The roots (those still present) and all their descendants, roots first.
std::vector<pid_t> descendants(const std::vector<pid_t>& roots, const std::unordered_map<pid_t, pid_t>& parents);

}  // namespace hpcmon::agent
