// Deterministic records for tests, the golden h5dump and the benchmark: the same call
// always builds the same record, with values exactly representable in binary.
#pragma once

#include <cstdint>

#include "hpcmon/record.hpp"

namespace hpcmon::testkit {

// 4 ranks on 2 nodes, 3 MPI functions per rank, ring traffic, 3 series of 5 samples.
// Figures the report test asserts are listed in known_record.cpp.
record::JobRecord known_record();

// A realistic record of `ranks` ranks: ~10 MPI functions per rank, sparse traffic (each
// rank talks to 4 neighbours), 3 series per rank of `samples` samples each, one node per
// 16 ranks. Deterministic for a given seed.
record::JobRecord synthetic_record(std::int32_t ranks, std::size_t samples, std::uint32_t seed = 1);

}  // namespace hpcmon::testkit
