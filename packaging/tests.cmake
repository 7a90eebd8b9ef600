# Tests of the deployment, prefix deploy.:
#   deploy.units    systemd-analyze verify and offline exposure scores (seconds; default run)
#   deploy.rootfs   the .deb packages in a clean Debian 12 root filesystem (debootstrap),
#                   hpcmond answering as user hpcmon
#   deploy.compose  docker-compose.performance.yml with podman: up, ports 3001/9090/9093,
#                   Prometheus' hpcmond target up, down
# The last two take minutes and need podman, runc, debootstrap, docker-compose and the
# packages (target `package`): label `deploy`, skipped unless HPCMON_DEPLOY_TESTS=1, run by
# scripts/test-deploy.sh.
add_test(NAME deploy.units
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/tests/units_test.sh ${CMAKE_CURRENT_BINARY_DIR}
          $<TARGET_FILE:hpcmond> ${HPCMON_SBIN_DIR})
set_tests_properties(deploy.units PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 60 LABELS packaging)

foreach(name rootfs compose)
  add_test(NAME deploy.${name}
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/tests/${name}_test.sh ${CMAKE_BINARY_DIR} ${PROJECT_SOURCE_DIR})
  set_tests_properties(deploy.${name} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 1200 LABELS deploy
                       RUN_SERIAL ON)
endforeach()
