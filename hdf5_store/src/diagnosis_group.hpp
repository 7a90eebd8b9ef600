// The optional /diagnosis group (format 1.1, docs/job-record.md): the findings of the job
// diagnosis as a table, and the whole analysis as JSON, written by the head's merge and by
// `hpcmon merge`. Internal to hpcmon_store; the analysis itself lives in diagnosis/.
#pragma once

#include <hdf5.h>

#include "hpcmon/record.hpp"

namespace hpcmon::store::detail {

void write_diagnosis(hid_t file, const record::StoredDiagnosis& diagnosis);
// Leaves `diagnosis` empty (present false) when the file has no /diagnosis group.
void read_diagnosis(hid_t file, record::StoredDiagnosis& diagnosis);

}  // namespace hpcmon::store::detail
