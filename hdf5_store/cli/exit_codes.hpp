// Exit codes of `hpcmon`, documented in docs/job-record.md ("The hpcmon command").
#pragma once

#include "hpcmon/store.hpp"

namespace hpcmon::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;        // bad command line
inline constexpr int kExitUnreadable = 2;   // missing, unreadable, or not an HDF5 file
inline constexpr int kExitNotHpcmon = 3;    // HDF5, but not an hpcmon record
inline constexpr int kExitUnsupported = 4;  // a record format major version this build does not know
inline constexpr int kExitDamaged = 5;      // truncated, corrupt or inconsistent record
inline constexpr int kExitWriteFailed = 6;  // the output file could not be written
inline constexpr int kExitRequestFailed = 7;  // `hpcmon jobs`: the head daemon refused or was unreachable

inline int exit_code_for(store::RecordError::Kind kind) {
  using Kind = store::RecordError::Kind;
  switch (kind) {
    case Kind::unreadable: case Kind::not_hdf5: return kExitUnreadable;
    case Kind::not_hpcmon: return kExitNotHpcmon;
    case Kind::unsupported_major: return kExitUnsupported;
    case Kind::damaged: return kExitDamaged;
    case Kind::write_failed: return kExitWriteFailed;
  }
  return kExitDamaged;
}

}  // namespace hpcmon::cli
