// Cost of one accounting-database health reading (dbhealth/mariadb read_status: status counters,
// PROCESSLIST, top digests) on a live connection, as the head pays it every interval.
//   usage: hpcmon_dbserver_bench HOST PORT USER PASSWORD_FILE SCHEMA [READINGS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "hpcmon/dbhealth/db_status.hpp"

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s HOST PORT USER PASSWORD_FILE SCHEMA [READINGS]\n", argv[0]);
    return 1;
  }
  hpcmon::dbhealth::Endpoint endpoint;
  endpoint.host = argv[1];
  endpoint.port = std::stoi(argv[2]);
  endpoint.user = argv[3];
  endpoint.password_file = argv[4];
  const int readings = argc > 6 ? std::stoi(argv[6]) : 200;
  try {
    const auto connect_start = std::chrono::steady_clock::now();
    auto connection = hpcmon::dbhealth::Connection::open(endpoint);
    const double connect_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - connect_start).count();
    std::vector<double> ms;
    hpcmon::dbhealth::DbStatus last;
    for (int i = 0; i < readings; ++i) {
      const auto start = std::chrono::steady_clock::now();
      last = hpcmon::dbhealth::read_status(connection, {argv[5], 20});
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(ms.begin(), ms.end());
    std::printf("readings %d  connect_ms %.2f  median_ms %.3f  p95_ms %.3f  max_ms %.3f  clients %zu  digests %zu  connections %lld\n",
                readings, connect_ms, ms[ms.size() / 2], ms[ms.size() * 95 / 100], ms.back(), last.clients.size(),
                last.digests.size(), static_cast<long long>(last.threads_connected));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "hpcmon_dbserver_bench: %s\n", error.what());
    return 1;
  }
  return 0;
}
