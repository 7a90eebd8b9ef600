# CPack DEB: three component packages. Library dependencies come from dpkg-shlibdeps; the
# rest is declared here.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hpcmon)
set(CPACK_PACKAGE_VENDOR "hpcmon")
set(CPACK_PACKAGE_CONTACT "hpcmon maintainers <hpcmon@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL common node head)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# A SPANK plugin loads only in the Slurm major.minor it was built for.
find_file(HPCMON_SLURM_VERSION_H slurm/slurm_version.h)
if(HPCMON_SLURM_VERSION_H)
  file(STRINGS ${HPCMON_SLURM_VERSION_H} line REGEX "#define SLURM_VERSION_NUMBER")
  string(REGEX MATCH "0x([0-9a-fA-F][0-9a-fA-F])([0-9a-fA-F][0-9a-fA-F])" _ "${line}")
  math(EXPR slurm_major "0x${CMAKE_MATCH_1}")
  math(EXPR slurm_minor "0x${CMAKE_MATCH_2}")
  math(EXPR slurm_next "${slurm_minor} + 1")
  set(HPCMON_SLURM_SERIES "${slurm_major}.${slurm_minor}")
  string(REGEX REPLACE "^([0-9])$" "0\\1" slurm_minor2 "${slurm_minor}")
  string(REGEX REPLACE "^([0-9])$" "0\\1" slurm_next2 "${slurm_next}")
  set(HPCMON_SLURM_BREAKS "slurmd (<< ${slurm_major}.${slurm_minor2}), slurmd (>= ${slurm_major}.${slurm_next2})")
endif()

set(CPACK_COMPONENT_COMMON_DISPLAY_NAME "hpcmon common files")
set(CPACK_COMPONENT_COMMON_DESCRIPTION
    "HPC-native performance monitor: the hpcmond program (head daemon and node agent),\n the hpcmon command (reports, exports, merges, jobs), hpcmon-config, the default\n configuration and the documentation. Creates the system user and group hpcmon.")
set(CPACK_DEBIAN_COMMON_PACKAGE_NAME hpcmon-common)
set(CPACK_DEBIAN_COMMON_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_COMMON_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_SOURCE_DIR}/debian/common/postinst ${CMAKE_CURRENT_SOURCE_DIR}/debian/common/postrm
    ${CMAKE_CURRENT_SOURCE_DIR}/debian/common/conffiles)

set(CPACK_COMPONENT_NODE_DISPLAY_NAME "hpcmon for compute nodes")
set(CPACK_COMPONENT_NODE_DESCRIPTION
    "hpcmon on a compute node: the MPI preload libhpcmon_mpi.so (Open MPI) with its\n companions, the SPANK plugin spank_hpcmon.so (Slurm ${HPCMON_SLURM_SERIES}), the opt-in memory profiler libhpcmon_mem.so, the step sampler\n hpcmon-sample and the node agent's systemd unit. Jobs are monitored only once the\n administrator uncommented the plugstack line in /etc/slurm/plugstack.conf.d/hpcmon.conf.")
set(CPACK_COMPONENT_NODE_DEPENDS common)
set(CPACK_DEBIAN_NODE_PACKAGE_NAME hpcmon-node)
set(CPACK_DEBIAN_NODE_PACKAGE_RECOMMENDS "slurmd, openmpi-bin")
# libhpcmon_mem.so dlopens libunwind (linking it would replace libgcc's unwinder in every program).
set(CPACK_DEBIAN_NODE_PACKAGE_DEPENDS "libunwind8")
if(HPCMON_SLURM_BREAKS)
  set(CPACK_DEBIAN_NODE_PACKAGE_BREAKS "${HPCMON_SLURM_BREAKS}")
endif()
set(CPACK_DEBIAN_NODE_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_SOURCE_DIR}/debian/node/postinst ${CMAKE_CURRENT_SOURCE_DIR}/debian/node/prerm
    ${CMAKE_CURRENT_SOURCE_DIR}/debian/node/postrm ${CMAKE_CURRENT_SOURCE_DIR}/debian/node/conffiles)

set(CPACK_COMPONENT_HEAD_DISPLAY_NAME "hpcmon for the head node")
set(CPACK_COMPONENT_HEAD_DESCRIPTION
    "hpcmon on the head node: the hpcmond service (REST API, Prometheus /metrics, web\n view, record merge, alerts), run as the unprivileged user hpcmon.")
set(CPACK_COMPONENT_HEAD_DEPENDS common)
set(CPACK_DEBIAN_HEAD_PACKAGE_NAME hpcmon-head)
set(CPACK_DEBIAN_HEAD_PACKAGE_RECOMMENDS "munge")
set(CPACK_DEBIAN_HEAD_PACKAGE_SUGGESTS "prometheus, prometheus-alertmanager")
set(CPACK_DEBIAN_HEAD_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_SOURCE_DIR}/debian/head/postinst ${CMAKE_CURRENT_SOURCE_DIR}/debian/head/prerm
    ${CMAKE_CURRENT_SOURCE_DIR}/debian/head/postrm)

include(CPack)

# The compose file builds the monitoring image from this folder: its Dockerfile beside the .debs.
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/container/monitoring/Dockerfile
               ${CPACK_PACKAGE_DIRECTORY}/Dockerfile COPYONLY)
# Only the packages and the Dockerfile go into the build context (not CPack's staging tree).
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/container/monitoring/dockerignore
               ${CPACK_PACKAGE_DIRECTORY}/.dockerignore COPYONLY)
