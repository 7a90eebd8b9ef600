// hpcmon mpi_monitor: libhpcmon_mpi.so, preloaded into unmodified MPI programs.
//
// What it is: a PMPI tool that counts, times and sizes every MPI call of a rank, keeps a
// per-peer traffic matrix, and at MPI_Finalize gathers fixed-size summaries to rank 0,
// which writes the MPI part of the job record. Three companion libraries, found beside the
// preload and dlopen'ed only when needed, hold everything heavy:
//   libhpcmon_mpi_config.so    MPI_Init, rank 0, unloaded once read: the configuration
//   libhpcmon_mpi_counters.so  MPI_Init, every rank: the rank's counters (libpapi only when a
//                              configured event needs it)
//   libhpcmon_mpi_report.so    MPI_Finalize, rank 0 (or a rank in MPI_Abort): the HDF5 writer
// The rank's CPU binding is taken at MPI_Init by the preload itself (sched_getaffinity and
// sysfs): no hwloc topology is ever loaded in a rank.
// Fortran programs (mpif.h, `use mpi`): Open MPI's Fortran bindings call PMPI_* directly, so
// the preload also exports Fortran entries (mpi_send_, mpi_send, mpi_send__, MPI_SEND)
// generated from the same table; they share the C entries' record functions and forward to
// pmpi_send_ with the program's own arguments. No Fortran library is linked: pmpi_*_ and the
// *_f2c converters are found with dlsym on a Fortran call, so C programs never load one.
// Byte accounting: docs/byte-accounting.md.
// What it owns: the MPI function table (mpi_functions.tsv), the generated wrappers, the
// per-rank tables, the finalize gather and docs/byte-accounting.md.
// What it must never do: allocate, lock or make a system call inside a wrapped call (the hot
// path); link libmpi, HDF5, PAPI, hwloc or yaml-cpp (every MPI symbol is found with dlsym at
// MPI_Init); change the program's output or exit code. It is a guest in every process:
// until MPI_Init of the MPI it was built for it only forwards.
// Talks to: hdf5_store (writes the record), papi_sampler (rank counters) and common
// (configuration), only through the companion libraries.
//
// Environment read at MPI_Init:
//   HPCMON_OUTPUT_DIR  outside Slurm, the record directory (else the config's hpc.record_dir)
//   HPCMON_CONFIG      configuration file (rank 0 reads it, then broadcasts)
//   HPCMON_MPI_QUIET   "1": no line on stderr after a successful write (failures still print)
//   HPCMON_RUN_DIR     the job's run directory (SPANK plugin): where each rank keeps its live
//                      table (docs/live-table.md); outside Slurm a private 0700 folder
//   HPCMON_MPI_LIVE    "0": no live table and no sampling thread
//   HPCMON_MPI_SERIES_POINTS  cap of each rank's sample series (default 512)
//   HPCMON_MPI_TRACE   "1": trace every timed call into a per-rank buffer (docs/tracing.md)
//   HPCMON_MPI_TRACE_EVENTS  events kept per rank when tracing (default 262144; then: stop, count drops)
//   HPCMON_TEST_CLOCK_SKEW_NS, HPCMON_TEST_CLOCK  test knobs of the clock alignment (docs/tracing.md)
// Live tables: the per-thread tables live in a fixed-size mapped file; a sampling thread per
// rank appends RSS, MPI totals and the rank's counters to a bounded series in it
// (live_table_writer.hpp, sampler_thread.hpp; reader: hpcmon/live_table.hpp).
#pragma once

#include <cstdint>

namespace hpcmon::mpi {

// Capacities of the fixed per-rank tables. Calls that do not fit are counted in
// JobRecord::mpi_table_overflows, never a crash or unbounded growth.
inline constexpr int kMaxThreads = 8;               // threads with their own tables
inline constexpr int kTrafficPeers = 2048;          // distinct peers per thread
inline constexpr int kPendingRequests = 1024;       // receive requests in flight per thread
inline constexpr int kPersistentRequests = 1024;    // persistent requests per thread
inline constexpr int kCommunicators = 512;          // live communicators
inline constexpr int kPeerPool = 65536;             // peer translations over all communicators
inline constexpr int kWorlds = 16;                  // MPI worlds reached through intercommunicators
inline constexpr int kStatusChunk = 64;             // local statuses for MPI_STATUSES_IGNORE

// Pcontrol levels (MPI_Pcontrol's documented meaning): 0 stops recording, 1 (or any
// positive level) records; recording starts at 1.
inline constexpr int kPcontrolOff = 0;

}  // namespace hpcmon::mpi
