// Pieces of the writer shared between files. Internal to hpcmon_store.
#pragma once

#include <hdf5.h>

#include "hpcmon/store.hpp"

namespace hpcmon::store::detail {

// The derived /summary group (docs/job-record.md, "Summary").
void write_summary(hid_t file, const Summary& summary);

}  // namespace hpcmon::store::detail
