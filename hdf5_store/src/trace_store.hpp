// The /trace writer, called by write_file while the record is open. Internal to hpcmon_store.
#pragma once

#include <hdf5.h>

#include "hpcmon/trace.hpp"

namespace hpcmon::store::detail {

inline constexpr const char* kTraceGroupName = "trace";
void write_trace(hid_t file, TraceSource& source);

}  // namespace hpcmon::store::detail

namespace hpcmon::store {
inline constexpr const char* kTraceGroup = detail::kTraceGroupName;
}
