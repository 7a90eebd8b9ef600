# End-to-end tests of spank_hpcmon.so on the private Slurm cluster (fixture `slurm`). Each
# script lists the plugin in the cluster's plugstack.conf, restarts slurmd, and restores the
# empty plugstack at exit, pass or fail.
if(NOT TARGET spank_hpcmon)
  return()  # no slurm/spank.h on this machine
endif()
foreach(feature srun_record off default_off batch array overlap bad_arg symlink agent_events)
  hpcmon_slurm_test(spank_${feature} spank_${feature}.sh)
  set_property(TEST e2e.slurm.spank_${feature} APPEND PROPERTY
               ENVIRONMENT "HPCMON_SPANK_PLUGIN=$<TARGET_FILE:spank_hpcmon>")
  set_property(TEST e2e.slurm.spank_${feature} PROPERTY TIMEOUT 60)
endforeach()

# MPI tracing switched per job (--hpcmon-trace, plugstack trace= / trace_events=; docs/tracing.md).
hpcmon_slurm_test(trace_switch trace_switch.sh)
set_property(TEST e2e.slurm.trace_switch APPEND PROPERTY ENVIRONMENT "HPCMON_SPANK_PLUGIN=$<TARGET_FILE:spank_hpcmon>")
set_property(TEST e2e.slurm.trace_switch PROPERTY TIMEOUT 90)
