# The dashboard in a real browser: chromium (Debian) driven by playwright-core (npm, build
# tree) against a real hpcmond fed by real MPI and non-MPI jobs on the private Slurm cluster
# (fixture `slurm`). Screenshots and the request log stay in <build>/tests/webui.dashboard/.
if(NOT TARGET hpcmon_webui)
  # Until the top-level list names webui/, the dashboard is added from here.
  add_subdirectory(${PROJECT_SOURCE_DIR}/webui ${CMAKE_BINARY_DIR}/webui)
endif()
find_program(HPCMON_CHROMIUM chromium)
if(TARGET hpcmond AND TARGET spank_hpcmon AND HPCMON_CHROMIUM)
  add_test(NAME webui.dashboard
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/webui_dashboard.sh
                   ${HPCMON_TEST_SLURM_DIR} $<TARGET_FILE:hpcmon_mpi> $<TARGET_FILE:hpcmon>
                   $<TARGET_FILE:hpcmon_demo_heat1d> ${CMAKE_CURRENT_BINARY_DIR}/webui.dashboard)
  set_tests_properties(webui.dashboard PROPERTIES FIXTURES_REQUIRED slurm RESOURCE_LOCK slurm TIMEOUT 240
    ENVIRONMENT "HPCMON_PYTHON=${HPCMON_PYTHON};HPCMON_HEAD_BIN=$<TARGET_FILE:hpcmond>;HPCMON_AGENT_BIN=$<TARGET_FILE:hpcmond>;HPCMON_SPANK_PLUGIN=$<TARGET_FILE:spank_hpcmon>;HPCMON_WEBUI_NPM=${HPCMON_WEBUI_NPM_DIR};HPCMON_WEBUI_DIR=${HPCMON_WEBUI_DIR};HPCMON_CHROMIUM=${HPCMON_CHROMIUM};HPCMON_WEBUI_CHECK=${PROJECT_SOURCE_DIR}/webui/tests/browser_check.mjs")
endif()

# The job page's Trace panel (issue 11) on a traced mpirun of the planted-wait ping-pong
# (mpi_monitor/tests/trace), no Slurm needed: page figures against the API's, the API's
# against `hpcmon trace summary`. Screenshots in <build>/tests/webui.trace_panel/shots/.
if(TARGET hpcmond AND TARGET hpcmon AND TARGET mpi_trace_pingpong AND HPCMON_CHROMIUM)
  add_test(NAME webui.trace_panel
           COMMAND bash ${PROJECT_SOURCE_DIR}/webui/tests/trace_panel.sh $<TARGET_FILE:hpcmond> $<TARGET_FILE:hpcmon>
                   ${MPIEXEC_EXECUTABLE} $<TARGET_FILE:hpcmon_mpi> $<TARGET_FILE:mpi_trace_pingpong>
                   ${CMAKE_CURRENT_BINARY_DIR}/webui.trace_panel)
  set_tests_properties(webui.trace_panel PROPERTIES TIMEOUT 120
    ENVIRONMENT "${HPCMON_MPI_TEST_ENV};HPCMON_WEBUI_NPM=${HPCMON_WEBUI_NPM_DIR};HPCMON_WEBUI_DIR=${HPCMON_WEBUI_DIR};HPCMON_CHROMIUM=${HPCMON_CHROMIUM}")
endif()

# The Database page's history charts (issue 12) of a live MariaDB: the `accounting` fixture
# (tests/accounting.cmake, included after this file: its folder is spelled out here).
if(TARGET hpcmond AND HPCMON_CHROMIUM)
  add_test(NAME webui.database_history
           COMMAND bash ${PROJECT_SOURCE_DIR}/webui/tests/database_live.sh $<TARGET_FILE:hpcmond>
                   ${PROJECT_SOURCE_DIR}/dbhealth/tests/data ${CMAKE_CURRENT_BINARY_DIR}/webui.database_history)
  set_tests_properties(webui.database_history PROPERTIES FIXTURES_REQUIRED accounting RESOURCE_LOCK accounting TIMEOUT 120
    ENVIRONMENT "HPCMON_ACCOUNTING_DIR=${CMAKE_BINARY_DIR}/accounting-cluster;HPCMON_WEBUI_NPM=${HPCMON_WEBUI_NPM_DIR};HPCMON_WEBUI_DIR=${HPCMON_WEBUI_DIR};HPCMON_CHROMIUM=${HPCMON_CHROMIUM}")
endif()
