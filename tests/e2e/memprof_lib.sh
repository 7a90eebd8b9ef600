# Shared part of the memory-profile end-to-end tests: the job user, the leaker copied where that
# user reads it (for symbols), a node agent, and the SPANK plugin preloading libhpcmon_mem.so for
# --hpcmon-mem. Needs lib.sh sourced first; sources spank_lib.sh and agent_lib.sh itself.
# Needs: HPCMON_MEM_PRELOAD (libhpcmon_mem.so), HPCMON_MEMPROF_LEAKER (memprof_leaker).
source "$(dirname "${BASH_SOURCE[0]}")/spank_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/agent_lib.sh"
mem_preload="${HPCMON_MEM_PRELOAD:?HPCMON_MEM_PRELOAD must name libhpcmon_mem.so}"
leaker_bin="${HPCMON_MEMPROF_LEAKER:?HPCMON_MEMPROF_LEAKER must name memprof_leaker}"

# start_memprof_agent: the job user, $work/leaker, the agent and the plugin with mem_preload.
start_memprof_agent() {
  ensure_test_user
  chmod 755 "$work"
  install -m 755 "$leaker_bin" "$work/leaker"  # the job user reads it for symbols
  start_agent
  use_agent_plugin "mem_preload=$mem_preload"
}
