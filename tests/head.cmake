# End-to-end tests of the head daemon (hpcmond without --agent) on the private Slurm cluster (fixture
# `slurm`), one script per feature under e2e/head_*.sh; Prometheus scraping needs no Slurm.
if(TARGET hpcmond_head)
  foreach(feature slurm_state records user_access)
    hpcmon_slurm_test(head_${feature} head_${feature}.sh)
    set_property(TEST e2e.slurm.head_${feature} APPEND PROPERTY ENVIRONMENT
                 "HPCMON_HEAD_BIN=$<TARGET_FILE:hpcmond>")
    set_property(TEST e2e.slurm.head_${feature} PROPERTY TIMEOUT 60)
  endforeach()
endif()
