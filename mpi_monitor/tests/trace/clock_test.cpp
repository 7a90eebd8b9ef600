// The tick source's rule on captured /proc/cpuinfo text (cpuinfo_tsc.hpp).
#include <gtest/gtest.h>

#include "cpuinfo_tsc.hpp"

using hpcmon::mpi::cpuinfo_invariant_tsc;

TEST(CpuinfoTsc, BothFlagsSelectTheTsc) {
  const char* kvm = "processor\t: 0\nvendor_id\t: GenuineIntel\n"
                    "flags\t\t: fpu vme tsc msr constant_tsc rep_good nopl nonstop_tsc cpuid tsc_known_freq\n"
                    "bugs\t\t: spectre_v1\n";
  EXPECT_TRUE(cpuinfo_invariant_tsc(kvm));
}

TEST(CpuinfoTsc, ConstantWithoutNonstopFallsBack) {
  EXPECT_FALSE(cpuinfo_invariant_tsc("processor\t: 0\nflags\t\t: fpu tsc constant_tsc rep_good\n"));
}

TEST(CpuinfoTsc, NonstopWithoutConstantFallsBack) {
  EXPECT_FALSE(cpuinfo_invariant_tsc("processor\t: 0\nflags\t\t: fpu tsc nonstop_tsc\n"));
}

TEST(CpuinfoTsc, PrefixesAndOtherLinesDoNotCount) {
  // "nonstop_tsc_s3" is not nonstop_tsc; flags on the "bugs" line or a later CPU do not count.
  EXPECT_FALSE(cpuinfo_invariant_tsc("flags\t\t: constant_tsc nonstop_tsc_s3\nbugs\t\t: nonstop_tsc\n"));
  EXPECT_FALSE(cpuinfo_invariant_tsc("processor\t: 0\nvendor_id\t: AuthenticAMD\n"));
  EXPECT_TRUE(cpuinfo_invariant_tsc("flags\t\t: nonstop_tsc constant_tsc"));
}
