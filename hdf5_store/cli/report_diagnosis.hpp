// The diagnosis part of `hpcmon report` (diagnosis/, docs/diagnosis.md): thresholds from the
// configuration file when there is one ($HPCMON_CONFIG, else the system file), else defaults.
#pragma once

#include "hpcmon/diagnosis.hpp"

namespace hpcmon::cli {

// A configuration that cannot be read gives one `hpcmon: ` warning line on stderr and the
// default thresholds: a report is never refused for it.
diagnosis::Analysis diagnose_for_report(const record::JobRecord& rec);

// The report's analysis: the one stored in the record's /diagnosis group (written by the
// head's merge or `hpcmon merge`, with the thresholds of that moment) unless `reanalyse` or
// the record has none, then computed now with the current thresholds. `origin` says which.
diagnosis::Analysis analysis_for_report(const record::JobRecord& rec, bool reanalyse, std::string& origin);

}  // namespace hpcmon::cli
