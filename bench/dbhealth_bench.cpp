// Benchmark of dbhealth (bench/dbhealth_bench.sh runs it): slow-log ingestion (parse +
// fingerprint + statistics) in entries per second, and fingerprinting cost per statement, on a
// generated log of real slurmdbd statement shapes (copies of a captured log, literals varied).
#include "hpcmon/dbhealth/dbhealth.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

using namespace hpcmon::dbhealth;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: hpcmon_dbhealth_bench GENERATED_LOG\n";
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();

    const auto t0 = Clock::now();
    ParseResult parsed = parse_slow_log(text, 0, true);
    const auto t1 = Clock::now();
    Analyzer analyzer(hpcmon::config::defaults().accounting_db);
    for (const SlowQuery& q : parsed.entries) analyzer.add(q);
    const auto t2 = Clock::now();
    const auto findings = find_patterns(analyzer);
    const auto t3 = Clock::now();

    // Fingerprint alone, over every statement.
    std::size_t bytes = 0;
    const auto f0 = Clock::now();
    for (const SlowQuery& q : parsed.entries) bytes += fingerprint(q.statement).size();
    const auto f1 = Clock::now();

    auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
    const double n = static_cast<double>(parsed.entries.size());
    std::printf("entries %zu, bytes %zu, fingerprints %zu, findings %zu, malformed %zu\n", parsed.entries.size(),
                text.size(), analyzer.fingerprints().size(), findings.size(), parsed.malformed.size());
    std::printf("parse: %.3f s (%.0f entries/s, %.1f MB/s)\n", seconds(t0, t1), n / seconds(t0, t1),
                static_cast<double>(text.size()) / 1e6 / seconds(t0, t1));
    std::printf("analyse (fingerprint + statistics): %.3f s (%.0f entries/s)\n", seconds(t1, t2), n / seconds(t1, t2));
    std::printf("ingestion total (parse + analyse): %.0f entries/s\n", n / seconds(t0, t2));
    std::printf("patterns: %.3f ms\n", seconds(t2, t3) * 1e3);
    std::printf("fingerprint alone: %.2f us per statement (mean statement %.0f bytes; checksum %zu)\n",
                seconds(f0, f1) / n * 1e6, [&] {
                    double total = 0;
                    for (const SlowQuery& q : parsed.entries) total += static_cast<double>(q.statement.size());
                    return total / n;
                }(), bytes);
    return 0;
}
