#include "preload_env.hpp"

#include <gtest/gtest.h>

using namespace hpcmon::spank;

TEST(PreloadEnv, PrependsOnceAndKeepsUserEntries) {
  const std::string lib = "/opt/h/libhpcmon_mpi.so";
  EXPECT_EQ(with_preload("", lib), lib);
  EXPECT_EQ(with_preload("/u/a.so", lib), lib + ":/u/a.so");
  EXPECT_EQ(with_preload("/u/a.so /u/b.so", lib), lib + ":/u/a.so:/u/b.so");
  // A step inside a batch job inherits the batch step's value (trap G20).
  EXPECT_EQ(with_preload(lib + ":/u/a.so", lib), lib + ":/u/a.so");
  EXPECT_EQ(with_preload("/u/a.so:" + lib + "::" + lib, lib), lib + ":/u/a.so");
  EXPECT_EQ(with_preload(with_preload("/u/a.so", lib), lib), lib + ":/u/a.so");
}

TEST(PreloadEnv, RemovesOnlyThePreload) {
  const std::string lib = "/opt/h/libhpcmon_mpi.so";
  EXPECT_EQ(without_preload(lib, lib), "");
  EXPECT_EQ(without_preload(lib + ":/u/a.so", lib), "/u/a.so");
  EXPECT_EQ(without_preload("/u/a.so " + lib + " /u/b.so", lib), "/u/a.so:/u/b.so");
  EXPECT_EQ(without_preload("/other/libhpcmon_mpi.so", lib), "/other/libhpcmon_mpi.so");
}
