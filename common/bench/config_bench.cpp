// Cost of reading the configuration: the first load of a process (which also reads PAPI's
// preset table once), later loads, and rebuilding it from exported environment variables.
// Usage: hpcmon_config_bench FILE [ITERATIONS]
#include "hpcmon/config.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double microseconds_since(Clock::time_point start) {
    return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

template <class F>
double median_us(int iterations, F&& work) {
    std::vector<double> times;
    for (int i = 0; i < iterations; ++i) {
        const auto start = Clock::now();
        work();
        times.push_back(microseconds_since(start));
    }
    std::nth_element(times.begin(), times.begin() + iterations / 2, times.end());
    return times[iterations / 2];
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s FILE [ITERATIONS]\n", argv[0]);
        return 1;
    }
    const std::filesystem::path file = argv[1];
    const int iterations = argc > 2 ? std::max(1, std::atoi(argv[2])) : 1000;
    using namespace hpcmon::config;

    const auto first_start = Clock::now();
    const Config first = load_file(file, Environment::ignore);
    const double first_us = microseconds_since(first_start);

    const double warm_us = median_us(iterations, [&] { (void)load_file(file, Environment::ignore); });
    const std::vector<std::string> exported = to_environment(first);
    const double env_us = median_us(iterations, [&] {
        Config rebuilt = defaults();
        apply_environment(rebuilt, exported);
    });
    std::printf("first load_file (includes PAPI preset table): %8.1f us\n", first_us);
    std::printf("load_file, median of %d:                     %8.1f us\n", iterations, warm_us);
    std::printf("defaults + apply_environment(%zu vars), median: %6.1f us\n", exported.size(), env_us);
    return 0;
}
