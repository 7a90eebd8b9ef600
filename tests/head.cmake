# End-to-end tests of the head daemon (hpcmond without --agent) on the private Slurm cluster (fixture
# `slurm`), one script per feature under e2e/head_*.sh; Prometheus scraping needs no Slurm.
if(TARGET hpcmond_head)
  foreach(feature slurm_state records user_access)
    hpcmon_slurm_test(head_${feature} head_${feature}.sh)
    set_property(TEST e2e.slurm.head_${feature} APPEND PROPERTY ENVIRONMENT
                 "HPCMON_HEAD_BIN=$<TARGET_FILE:hpcmond>")
    set_property(TEST e2e.slurm.head_${feature} PROPERTY TIMEOUT 60)
  endforeach()
  # NodeDown from Slurm's DOWN state while the node's agent still pushes (e2e/alert_node_down.sh).
  hpcmon_slurm_test(alert_node_down alert_node_down.sh)
  set_property(TEST e2e.slurm.alert_node_down APPEND PROPERTY ENVIRONMENT
               "HPCMON_HEAD_BIN=$<TARGET_FILE:hpcmond>" "HPCMON_AGENT_BIN=$<TARGET_FILE:hpcmond>")
  set_property(TEST e2e.slurm.alert_node_down PROPERTY TIMEOUT 60)
endif()

# The scheduler's RPC statistics (docs/scheduler.md): on the `slurm` fixture, and slurmdbd's on
# the `accounting` fixture. Registered at the end of this folder, once accounting.cmake and
# the dashboard's variables (webui.cmake) exist.
function(hpcmon_sched_tests)
  if(NOT TARGET hpcmond_head)
    return()
  endif()
  hpcmon_slurm_test(sched_rpc_stats sched_rpc_stats.sh)
  set_property(TEST e2e.slurm.sched_rpc_stats APPEND PROPERTY ENVIRONMENT "HPCMON_HEAD_BIN=$<TARGET_FILE:hpcmond>")
  set_property(TEST e2e.slurm.sched_rpc_stats PROPERTY TIMEOUT 90)
  hpcmon_accounting_test(e2e.accounting.sched_dbd_stats
                         bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/sched_dbd_stats.sh $<TARGET_FILE:hpcmond>
                         ${CMAKE_CURRENT_BINARY_DIR}/sched_dbd_stats)
  set_property(TEST e2e.accounting.sched_dbd_stats APPEND PROPERTY ENVIRONMENT "HPCMON_PYTHON=${HPCMON_PYTHON}")
  if(HPCMON_CHROMIUM AND HPCMON_WEBUI_NPM_DIR)
    hpcmon_slurm_test(sched_webui sched_webui.sh)
    set_property(TEST e2e.slurm.sched_webui APPEND PROPERTY ENVIRONMENT
                 "HPCMON_HEAD_BIN=$<TARGET_FILE:hpcmond>" "HPCMON_WEBUI_NPM=${HPCMON_WEBUI_NPM_DIR}"
                 "HPCMON_WEBUI_DIR=${HPCMON_WEBUI_DIR}" "HPCMON_CHROMIUM=${HPCMON_CHROMIUM}")
    set_property(TEST e2e.slurm.sched_webui PROPERTY TIMEOUT 90)
  endif()
endfunction()
cmake_language(DEFER CALL hpcmon_sched_tests)

# The canonical record carries rank 0's /trace and the partials' /memory (docs/tracing.md, docs/job-record.md).
if(TARGET hpcmond_head AND TARGET spank_hpcmon AND TARGET hpcmon_mem)
  hpcmon_slurm_test(trace_canonical trace_canonical.sh)
  set_property(TEST e2e.slurm.trace_canonical APPEND PROPERTY ENVIRONMENT
               "HPCMON_HEAD_BIN=$<TARGET_FILE:hpcmond>" "HPCMON_AGENT_BIN=$<TARGET_FILE:hpcmond>"
               "HPCMON_SPANK_PLUGIN=$<TARGET_FILE:spank_hpcmon>" "HPCMON_MEM_PRELOAD=$<TARGET_FILE:hpcmon_mem>")
  set_property(TEST e2e.slurm.trace_canonical PROPERTY TIMEOUT 90)
endif()
