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

    // A performance_schema reading per fingerprint (the texts as digests), twice: the first
    // resolves every digest to its fingerprint, the second is a round's steady state.
    DigestSnapshot snapshot;
    std::uint64_t digest_no = 0;
    for (const auto& [id, stats] : analyzer.fingerprints())
        snapshot.rows.push_back({"slurm_acct_db", "d" + std::to_string(++digest_no), stats.fingerprint, stats.count,
                                 stats.total_time_s, 0, 0, 0, stats.rows_examined, stats.rows_sent, 0, 1, 2});
    const auto d0 = Clock::now();
    analyzer.add_digests(snapshot);
    const auto d1 = Clock::now();
    for (auto& row : snapshot.rows) row.count += 1;
    analyzer.add_digests(snapshot);
    const auto d2 = Clock::now();
    const std::string state = analyzer.save().dump();
    const auto d3 = Clock::now();

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
    std::printf("digests: %zu rows, first reading %.2f ms, next reading %.2f ms\n", snapshot.rows.size(),
                seconds(d0, d1) * 1e3, seconds(d1, d2) * 1e3);
    std::printf("saved analysis: %zu bytes, %.2f ms to serialise\n", state.size(), seconds(d2, d3) * 1e3);
    return 0;
}
