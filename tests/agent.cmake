# End-to-end tests of the node agent (hpcmond --agent) with the SPANK plugin on the private
# Slurm cluster (fixture `slurm`), one script per feature under e2e/agent_*.sh.
if(TARGET hpcmond AND TARGET spank_hpcmon)
  # An MPI job that notes its cumulative send count every second (agent_mpi_scancel).
  add_executable(hpcmon_test_send_counter e2e/programs/send_counter.c)
  target_link_libraries(hpcmon_test_send_counter PRIVATE MPI::MPI_C)
  target_compile_options(hpcmon_test_send_counter PRIVATE -Wno-pedantic)

  foreach(feature burn killed scancel user mpi_merge mpi_scancel scontrol_match)
    hpcmon_slurm_test(agent_${feature} agent_${feature}.sh)
    set_property(TEST e2e.slurm.agent_${feature} APPEND PROPERTY ENVIRONMENT
                 "HPCMON_SPANK_PLUGIN=$<TARGET_FILE:spank_hpcmon>" "HPCMON_AGENT_BIN=$<TARGET_FILE:hpcmond>"
                 "HPCMON_SEND_COUNTER=$<TARGET_FILE:hpcmon_test_send_counter>")
    set_property(TEST e2e.slurm.agent_${feature} PROPERTY TIMEOUT 60)
  endforeach()

  # Memory profiles into the record and the --hpcmon-mem switch (memprof/, docs/memory-profiling.md).
  if(TARGET hpcmon_mem AND TARGET memprof_leaker)
    foreach(feature record batch)
      hpcmon_slurm_test(memprof_${feature} memprof_${feature}.sh)
      set_property(TEST e2e.slurm.memprof_${feature} APPEND PROPERTY ENVIRONMENT
                   "HPCMON_SPANK_PLUGIN=$<TARGET_FILE:spank_hpcmon>" "HPCMON_AGENT_BIN=$<TARGET_FILE:hpcmond>"
                   "HPCMON_MEM_PRELOAD=$<TARGET_FILE:hpcmon_mem>" "HPCMON_MEMPROF_LEAKER=$<TARGET_FILE:memprof_leaker>")
      set_property(TEST e2e.slurm.memprof_${feature} PROPERTY TIMEOUT 90)
    endforeach()
  endif()

  # Tests that need a cluster configured their own way run on a cluster of their own (folder
  # and ports apart, started and stopped by the script): they take neither the `slurm` fixture
  # nor its lock, so `ctest -j2` runs the other Slurm tests meanwhile. time_limit is the one
  # slow test (a job killed at its one-minute limit: 60-90 s); oom needs cgroups
  # (HPCMON_SLURM_CGROUP=1) and is skipped where there is no cgroup v1 memory controller.
  function(hpcmon_agent_own_cluster_test name ctld_port slurmd_port timeout)
    add_test(NAME e2e.slurm.agent_${name}
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/agent_${name}.sh
                     ${CMAKE_BINARY_DIR}/slurm-cluster-${name} $<TARGET_FILE:hpcmon_mpi> $<TARGET_FILE:hpcmon>
                     $<TARGET_FILE:hpcmon_demo_heat1d> ${CMAKE_CURRENT_BINARY_DIR}/agent_${name})
    set_tests_properties(e2e.slurm.agent_${name} PROPERTIES TIMEOUT ${timeout} RESOURCE_LOCK slurm_${name}
      SKIP_RETURN_CODE 77
      ENVIRONMENT "HPCMON_PYTHON=${HPCMON_PYTHON};HPCMON_SPANK_PLUGIN=$<TARGET_FILE:spank_hpcmon>;HPCMON_AGENT_BIN=$<TARGET_FILE:hpcmond>;HPCMON_SLURM_CTLD_PORT=${ctld_port};HPCMON_SLURM_SLURMD_PORT=${slurmd_port}")
  endfunction()
  hpcmon_agent_own_cluster_test(time_limit 6827 6828 200)
  hpcmon_agent_own_cluster_test(oom 6837 6838 90)

  # JobMemoryNearLimit against the step cgroup's limit read by the agent (e2e/alert_cgroup_memory.sh):
  # a cgroup cluster of its own, under agent_oom's lock (both put jobs in Slurm's one /slurm_<host>
  # cgroup tree, and both clusters number jobs from 1); ~40 s.
  add_test(NAME e2e.slurm.alert_cgroup_memory
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/alert_cgroup_memory.sh
                   ${CMAKE_BINARY_DIR}/slurm-cluster-alert-cgroup $<TARGET_FILE:hpcmon_mpi> $<TARGET_FILE:hpcmon>
                   $<TARGET_FILE:hpcmon_demo_heat1d> ${CMAKE_CURRENT_BINARY_DIR}/alert_cgroup_memory)
  set_tests_properties(e2e.slurm.alert_cgroup_memory PROPERTIES TIMEOUT 150 RESOURCE_LOCK slurm_oom SKIP_RETURN_CODE 77
    ENVIRONMENT "HPCMON_PYTHON=${HPCMON_PYTHON};HPCMON_SPANK_PLUGIN=$<TARGET_FILE:spank_hpcmon>;HPCMON_AGENT_BIN=$<TARGET_FILE:hpcmond>;HPCMON_HEAD_BIN=$<TARGET_FILE:hpcmond>;HPCMON_SLURM_CTLD_PORT=6847;HPCMON_SLURM_SLURMD_PORT=6848")
endif()
