# The `accounting` fixture: the private Slurm cluster WITH accounting (MariaDB + slurmdbd,
# scripts/slurm-accounting-up.sh), on ports of its own so it runs beside the `slurm` fixture
# (6817/6818). A test that needs it: FIXTURES_REQUIRED accounting, RESOURCE_LOCK accounting,
# and `source $HPCMON_ACCOUNTING_DIR/env.sh` (SLURM_CONF, DB port/socket, slow log, the
# `hpcmon` and `hpcmon_dev` accounts' password files). From any folder the directory is
# ${CMAKE_BINARY_DIR}/accounting-cluster; hpcmon_accounting_test() below sets all of that.
set(HPCMON_TEST_ACCOUNTING_DIR ${CMAKE_BINARY_DIR}/accounting-cluster)
set(HPCMON_TEST_ACCOUNTING_ENV
    HPCMON_SLURM_CTLD_PORT=26817 HPCMON_SLURM_SLURMD_PORT=26818
    HPCMON_SLURMDBD_PORT=26819 HPCMON_MARIADB_PORT=23306
    HPCMON_ACCOUNTING_DIR=${HPCMON_TEST_ACCOUNTING_DIR})

add_test(NAME accounting.up
         COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/slurm-accounting-up.sh ${HPCMON_TEST_ACCOUNTING_DIR})
add_test(NAME accounting.down
         COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/slurm-accounting-down.sh ${HPCMON_TEST_ACCOUNTING_DIR})
set_tests_properties(accounting.up PROPERTIES FIXTURES_SETUP accounting RESOURCE_LOCK accounting
                     TIMEOUT 120 ENVIRONMENT "${HPCMON_TEST_ACCOUNTING_ENV}")
set_tests_properties(accounting.down PROPERTIES FIXTURES_CLEANUP accounting RESOURCE_LOCK accounting
                     TIMEOUT 120 ENVIRONMENT "${HPCMON_TEST_ACCOUNTING_ENV}")

# hpcmon_accounting_test(NAME COMMAND...): a test on the accounting cluster.
function(hpcmon_accounting_test name)
  add_test(NAME ${name} COMMAND ${ARGN})
  set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED accounting RESOURCE_LOCK accounting
                       TIMEOUT 120 ENVIRONMENT "${HPCMON_TEST_ACCOUNTING_ENV}")
endfunction()

hpcmon_accounting_test(accounting.cluster_check
                       bash ${PROJECT_SOURCE_DIR}/scripts/slurm-accounting-check.sh ${HPCMON_TEST_ACCOUNTING_DIR})
