# End-to-end tests of the node agent (hpcmond --agent) with the SPANK plugin on the private
# Slurm cluster (fixture `slurm`), one script per feature under e2e/agent_*.sh.
if(TARGET hpcmond AND TARGET spank_hpcmon)
  foreach(feature burn killed scancel user mpi_merge)
    hpcmon_slurm_test(agent_${feature} agent_${feature}.sh)
    set_property(TEST e2e.slurm.agent_${feature} APPEND PROPERTY ENVIRONMENT
                 "HPCMON_SPANK_PLUGIN=$<TARGET_FILE:spank_hpcmon>" "HPCMON_AGENT_BIN=$<TARGET_FILE:hpcmond>")
    set_property(TEST e2e.slurm.agent_${feature} PROPERTY TIMEOUT 60)
  endforeach()
endif()
